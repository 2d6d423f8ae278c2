// `npm run chaos`: a long chaos run (test/chaos/chaos.ts) on a Temporal dev server of its own
// (in memory, headless, on a free loopback port), which it stops at the end.
//   npx tsx scripts/chaos.ts [--steps 500] [--seed N] [--services 3] [--release-phase-ms 1500] [--settle-ms 60000] [--json] [--plan]
// Exit 1 when any safety invariant was violated. --plan prints the seed's plan and runs nothing.
import { parseArgs } from 'node:util';
import { planText, runChaos, type ChaosReport } from '../test/chaos/chaos';
import { ensureDevServer } from '../temporal/dev-server';
import { freePort } from '../temporal/free-port';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '500' },
    seed: { type: 'string' },
    services: { type: 'string', default: '3' },
    'settle-ms': { type: 'string', default: '60000' },
    'release-phase-ms': { type: 'string', default: '1500' },
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
const settleMs = integer('settle-ms', values['settle-ms'], 0);
// Heroku's release phases take seconds (often minutes): long enough to be seen pending.
const releasePhaseMs = integer('release-phase-ms', values['release-phase-ms'], 0);
const say = (line: string) => (values.json ? console.error(line) : console.log(line));

if (values.plan) {
  for (const line of planText(seed, steps, services)) console.log(line);
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
  line('promotions', `${report.promotions.total} (automatic ${report.promotions.automatic}, by hand ${report.promotions.byHand})`);
  line('activity failures', `${report.activityFailures} attempts (retried)`);
  line('manual promotions', `${report.manual.started} started of ${report.manual.requested} asked`);
  line('freeze reached all', report.freezeReachMs.length ? `${report.freezeReachMs.join(', ')} ms` : 'no freeze');
  line('settled', report.settled ? 'yes' : `no: ${report.unsettled.join('; ')}`);
  line('notes', report.notes.length);
  for (const note of report.notes) console.log(`  [${note.kind}] step ${note.step}: ${note.description}`);
  line('violations', report.violations.length);
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
  say(`chaos: seed ${seed}, ${steps} steps, ${services} services, release phase ${releasePhaseMs} ms, Temporal dev server at ${server.address}`);
  const report = await runChaos({
    seed,
    steps,
    services,
    server,
    settleMs,
    releasePhaseMs,
    signal: abort.signal,
    progressEvery: 25,
    onProgress: (p) =>
      say(`step ${String(p.step).padStart(4)}/${p.steps}  ${(p.elapsedMs / 1000).toFixed(0).padStart(4)} s  promotions ${p.promotions}  faults fired ${p.faultsFired}  violations ${p.violations}`),
  });
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else print(report);
  code = report.violations.length > 0 ? 1 : 0;
} catch (error) {
  console.error(error);
  code = 2;
} finally {
  await server.stop();
}
process.exit(code);
