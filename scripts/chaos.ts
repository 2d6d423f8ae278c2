// `npm run chaos`: a long chaos run (test/chaos/chaos.ts) on a Temporal dev server of its own
// (in memory, headless, on a free loopback port), which it stops at the end.
//   npx tsx scripts/chaos.ts [--steps 500] [--seed N] [--services 3] [--fir-services 1] [--wave-services 1] [--release-phase-ms 1500] [--settle-ms 60000]
//                            [--history-cap 400] [--weight KIND=N ...] [--evidence DIR] [--json] [--plan]
// The last --fir-services services run on Heroku's Fir generation (OCI images); the first --wave-services
// lay their stages out in waves ([s1], [s2, s3], [s4]). Exit 1 when any invariant was violated. --plan prints the seed's plan and runs nothing.
// --evidence DIR writes what the checker saw and every pipeline's history there at the end, to trace a violation.
// --weight changes how often a kind of action is chosen (0 leaves it out), e.g. --weight storm=2 --weight fault=0.
import { parseArgs } from 'node:util';
import { DEFAULT_WEIGHTS, planText, runChaos, type ChaosReport, type EventKind } from '../test/chaos/chaos';
import { ensureDevServer } from '../temporal/dev-server';
import { freePort } from '../temporal/free-port';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '500' },
    seed: { type: 'string' },
    services: { type: 'string', default: '3' },
    'fir-services': { type: 'string', default: '1' },
    'wave-services': { type: 'string', default: '1' },
    'settle-ms': { type: 'string', default: '60000' },
    'release-phase-ms': { type: 'string', default: '1500' },
    'history-cap': { type: 'string', default: '400' },
    weight: { type: 'string', multiple: true, default: [] },
    evidence: { type: 'string' },
    json: { type: 'boolean', default: false },
    plan: { type: 'boolean', default: false },
  },
});

const integer = (name: string, text: string, min: number): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer of at least ${min}, not ${text}`);
    process.exit(2);
  }
  return n;
};

const steps = integer('steps', values.steps, 1);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : integer('seed', values.seed, 0);
const services = integer('services', values.services, 1);
const firServices = integer('fir-services', values['fir-services'], 0);
const waveServices = integer('wave-services', values['wave-services'], 0);
const settleMs = integer('settle-ms', values['settle-ms'], 0);
// Heroku's release phases take seconds (often minutes): long enough to be seen pending.
const releasePhaseMs = integer('release-phase-ms', values['release-phase-ms'], 0);
const historyCap = integer('history-cap', values['history-cap'], 50);
const weights: Partial<Record<EventKind, number>> = {};
for (const text of values.weight) {
  const [kind, value] = text.split('=');
  if (!(kind in DEFAULT_WEIGHTS) || !(Number(value) >= 0)) {
    console.error(
      `--weight must be KIND=N with N >= 0 and KIND one of ${Object.keys(DEFAULT_WEIGHTS).join(', ')}; not ${text}`,
    );
    process.exit(2);
  }
  weights[kind as EventKind] = Number(value);
}
const say = (line: string) => (values.json ? console.error(line) : console.log(line));

if (values.plan) {
  for (const line of planText(
    seed,
    steps,
    services,
    4,
    [150, 1_000],
    { minAgeMs: 1_000, tickMs: 1_000, releasePhaseMs },
    weights,
  ))
    console.log(line);
  process.exit(0);
}

function print(report: ChaosReport): void {
  const line = (label: string, value: unknown) => console.log(`${label.padEnd(22)} ${value}`);
  const kinds = (counts: Record<string, number | undefined>) =>
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  console.log('');
  line('seed', `${report.seed} (plan ${report.planHash})`);
  line('steps', `${report.steps} in ${(report.elapsedMs / 1000).toFixed(1)} s`);
  line('services', report.services.join(', '));
  line('actions', kinds(report.actions));
  line('faults injected', `${report.faults.injected} (${kinds(report.faults.injectedByKind)})`);
  line('faults fired', `${report.faults.fired} (${kinds(report.faults.firedByKind)})`);
  line(
    'promotions',
    `${report.promotions.total} (automatic ${report.promotions.automatic}, by hand ${report.promotions.byHand}, into a wave with several targets ${report.promotions.severalTargets})`,
  );
  line('activity failures', `${report.activityFailures} attempts (retried)`);
  line('refused configs', `${report.refusedConfigs} (malformed configure signals the workflows refused)`);
  line('manual promotions', `${report.manual.started} started of ${report.manual.requested} asked`);
  line(
    'updates',
    `${report.updates.answered} answered in time of ${report.updates.sent} sent (${
      Object.entries(report.updates.byKind)
        .map(([k, n]) => `${k} ${n.answered}/${n.sent}`)
        .join(', ') || 'none'
    })`,
  );
  line('decisions', kinds(report.decisions));
  line('handovers', `${report.handovers} continue-as-new`);
  line('merge storms', `${report.storms.run} (flowed ${report.storms.flowed}, exempt ${report.storms.exempt})`);
  line(
    'slow promotions',
    `${report.slowPromotions.run} (held with a decided promotion in flight: ${report.slowPromotions.caughtInFlight})`,
  );
  line('freeze reached all', report.freezeReachMs.length ? `${report.freezeReachMs.join(', ')} ms` : 'no freeze');
  line(
    'workflow tasks',
    report.workflowTasks.length
      ? `${report.workflowTasks.length} timed out, failed or retried`
      : 'all completed at once',
  );
  for (const t of report.workflowTasks)
    console.log(`  ${new Date(t.at).toISOString().slice(11, 23)} ${t.service}: ${t.what}`);
  line('settled', report.settled ? 'yes' : `no: ${report.unsettled.join('; ')}`);
  line('notes', report.notes.length);
  for (const note of report.notes) console.log(`  [${note.kind}] step ${note.step}: ${note.description}`);
  line(
    'violations',
    `${report.violations.length} (${Object.entries(report.violationsByInvariant)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})`,
  );
  for (const v of report.violations) console.log(`  [${v.invariant}] step ${v.step}: ${v.description}`);
}

const server = await ensureDevServer({ address: `127.0.0.1:${await freePort()}`, headless: true, dbFile: null });
const abort = new AbortController();
process.once('SIGINT', () => {
  say('interrupted: settling and reporting (Ctrl-C again to quit at once)');
  abort.abort();
  process.once('SIGINT', () => void server.stop().finally(() => process.exit(130)));
});
let code = 0;
try {
  say(
    `chaos: seed ${seed}, ${steps} steps, ${services} services (${Math.min(firServices, services)} on Fir, ${Math.min(waveServices, services)} in waves), release phase ${releasePhaseMs} ms, Temporal dev server at ${server.address}`,
  );
  const report = await runChaos({
    seed,
    steps,
    services,
    firServices,
    waveServices,
    server,
    settleMs,
    releasePhaseMs,
    historyCap,
    weights,
    ...(values.evidence ? { evidenceDir: values.evidence } : {}),
    signal: abort.signal,
    progressEvery: 25,
    onProgress: (p) =>
      say(
        `step ${String(p.step).padStart(4)}/${p.steps}  ${(p.elapsedMs / 1000).toFixed(0).padStart(4)} s  promotions ${p.promotions}  faults fired ${p.faultsFired}  violations ${p.violations}`,
      ),
  });
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else print(report);
  if (values.evidence) say(`evidence: ${values.evidence}`);
  code = report.violations.length > 0 ? 1 : 0;
} catch (error) {
  console.error(error);
  code = 2;
} finally {
  await server.stop();
}
process.exit(code);
