// `npx tsx bench/waves.ts`: one 12-environment service laid out as 4 waves (1, 1, 2 and 8 apps)
// against the same service as a chain of 12 stages, and against the cedar-style baseline poller
// (bench/cedar.ts, which knows only a chain) on that chain, side by side in one run, with the same
// soak and tick, on a Temporal dev server of its own and the sandbox. It only reports; nothing here
// is an assertion.
//   npx tsx bench/waves.ts [--pipelines 5] [--soak-s 3] [--tick-s 2] [--json] [--write]
// --write puts the table in bench/results.md, as its last section (bench/run.ts keeps it).
// The figure: merge -> every app runs it, minus the soaks the layout needs (a chain: 11, the waves:
// 3), per pipeline; its p50 and p99, and the waves' to the chain's and to the baseline's. The lead
// time itself is told too.
import { parseArgs } from 'node:util';
import type { Service } from '../domain/service';
import { ensureDevServer } from '../temporal/dev-server';
import { freePort } from '../temporal/free-port';
import { startStack, type Stack } from '../test/support/stack';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../temporal/paths';
import { WAVES_SECTION, writeWavesSection } from './waves-section';
import { CedarPoller } from './cedar';

const { values } = parseArgs({
  options: {
    pipelines: { type: 'string', default: '5' },
    'soak-s': { type: 'string', default: '3' },
    'tick-s': { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});
const PIPELINES = Math.max(1, Number(values.pipelines) || 5);
const SOAK_MS = Math.max(0.5, Number(values['soak-s']) || 3) * 1000;
const TICK_MS = Math.max(1, Number(values['tick-s']) || 2) * 1000;
const WAVES = [1, 1, 2, 8];
const log = (line: string) => console.error(`bench waves: ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Layout {
  name: 'baseline' | 'chain' | 'waves';
  soaks: number;
  shape: (apps: string[]) => Pick<Service, 'stages' | 'waves'>;
}

const layouts: Layout[] = [
  // What a team writes without conveyor: the cedar-style poller, promoting a chain of 12.
  { name: 'baseline', soaks: 11, shape: (apps) => ({ stages: apps }) },
  { name: 'chain', soaks: 11, shape: (apps) => ({ stages: apps }) },
  {
    name: 'waves',
    soaks: WAVES.length - 1,
    shape: (apps) => {
      let at = 0;
      const waves = WAVES.map((size) => apps.slice(at, (at += size)));
      return { stages: apps, waves };
    },
  },
];

function percentile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Merges every pipeline at once; answers each one's merge -> every app runs it, in ms (undefined: never). */
async function leadTimes(stack: Stack, services: Service[]): Promise<{ leads: (number | undefined)[]; posts: number }> {
  const runs = (app: string) => stack.sandbox.scenario.releases(app).find((r) => r.current)?.commit;
  const merged = await Promise.all(
    services.map(async (s) => ({ at: Date.now(), sha: (await stack.sandbox.scenario.merge(s.pipeline)).sha })),
  );
  const arrived: (number | undefined)[] = services.map(() => undefined);
  const deadline = Date.now() + 11 * SOAK_MS + 180_000;
  while (arrived.some((a) => a === undefined) && Date.now() < deadline) {
    services.forEach((s, i) => {
      if (arrived[i] === undefined && s.stages.every((app) => runs(app) === merged[i].sha))
        arrived[i] = Date.now() - merged[i].at;
    });
    await sleep(25);
  }
  const shas = new Set(merged.map((m) => m.sha));
  const posts = stack.sandbox.scenario.promotions().filter((p) => p.commit && shas.has(p.commit)).length;
  return { leads: arrived, posts: posts / services.length };
}

const started = Date.now();
const server = await ensureDevServer({ address: `127.0.0.1:${await freePort()}`, headless: true, dbFile: null });
const rows: {
  layout: string;
  soaks: number;
  leadP50: number;
  overheadP50: number;
  overheadP99: number;
  missed: number;
  posts: number;
}[] = [];
try {
  for (const layout of layouts) {
    const baseline = layout.name === 'baseline';
    const stack = await startStack({ server, promotionDelayMs: 200, releasePhaseMs: 100, worker: !baseline });
    let poller: CedarPoller | undefined;
    try {
      stack.sandbox.scenario.setRateLimit({ bucket: 1e12, refillPerMinute: 1e12, remaining: 1e12 });
      const services: Service[] = [];
      for (let i = 0; i < PIPELINES; i++) {
        const base = `${layout.name}${i}`;
        const apps = Array.from({ length: 12 }, (_, j) => `${base}-e${String(j + 1).padStart(2, '0')}`);
        const config = { ...layout.shape(apps), minAgeMs: SOAK_MS, tickMs: TICK_MS, ci: false };
        services.push(await (baseline ? stack.prepare(base, config) : stack.launch(base, config)));
      }
      if (baseline) {
        const pipelines = services.map((s) => ({ name: s.pipeline, stages: s.stages }));
        poller = new CedarPoller(stack.sandbox.herokuUrl, stack.sandbox.token, pipelines, {
          minAgeMs: SOAK_MS,
          tickMs: TICK_MS,
        });
        await poller.start();
      }
      await sleep(2 * TICK_MS); // every pipeline has looked once
      log(`${layout.name}: ${PIPELINES} pipelines merging at once`);
      const { leads, posts } = await leadTimes(stack, services);
      const done = leads.filter((l): l is number => l !== undefined);
      const overheads = done.map((l) => l - layout.soaks * SOAK_MS);
      rows.push({
        layout: layout.name,
        soaks: layout.soaks,
        leadP50: percentile(done, 0.5) / 1000,
        overheadP50: percentile(overheads, 0.5) / 1000,
        overheadP99: percentile(overheads, 0.99) / 1000,
        missed: leads.length - done.length,
        posts,
      });
    } finally {
      await poller?.stop();
      await stack.stop();
    }
  }
} finally {
  await server.stop();
}

const [baseline, chain, waves] = rows;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : '—');
const command = `npx tsx bench/waves.ts --pipelines ${PIPELINES} --soak-s ${SOAK_MS / 1000} --tick-s ${TICK_MS / 1000}`;
if (values.json)
  console.log(JSON.stringify({ pipelines: PIPELINES, soakS: SOAK_MS / 1000, tickS: TICK_MS / 1000, rows }));
else {
  const s = (n: number) => `${n.toFixed(2)} s`;
  const lines = [
    WAVES_SECTION,
    '',
    `\`${command}\` (${Math.round((Date.now() - started) / 1000)} s on ${cpus().length} cores, shared; load ${loadavg()[0].toFixed(2)} at the end): ${PIPELINES} pipelines of 12 apps merging at once, the same soak (minAge ${SOAK_MS / 1000} s) and tick (${TICK_MS / 1000} s), one Temporal dev server, the sandbox's promotions 200 ms and release phases 100 ms. The baseline is the cedar-style poller (bench/cedar.ts) on a chain of 12, in the same run. A chain of 12 needs 11 soaks; 4 waves of 1, 1, 2 and 8 apps need 3, and post one promotion per wave.`,
    '',
    `| figure | baseline, chain of 12 | conveyor, chain of 12 | conveyor, 4 waves (1, 1, 2, 8) | waves / chain | waves / baseline |`,
    '| --- | --- | --- | --- | --- | --- |',
    `| Merge -> every app minus the soaks (chain 11, waves 3), p50 / p99 | ${s(baseline.overheadP50)} / ${s(baseline.overheadP99)} | ${s(chain.overheadP50)} / ${s(chain.overheadP99)} | ${s(waves.overheadP50)} / ${s(waves.overheadP99)} | ${ratio(waves.overheadP50, chain.overheadP50)} | ${ratio(waves.overheadP50, baseline.overheadP50)} |`,
    `| Merge -> every app (lead time), p50 | ${s(baseline.leadP50)} | ${s(chain.leadP50)} | ${s(waves.leadP50)} | ${ratio(waves.leadP50, chain.leadP50)} | ${ratio(waves.leadP50, baseline.leadP50)} |`,
    `| Promotions posted per pipeline for the merge | ${baseline.posts} | ${chain.posts} | ${waves.posts} | | |`,
    `| Pipelines that did not reach every app | ${baseline.missed} | ${chain.missed} | ${waves.missed} | | |`,
  ];
  console.log(lines.join('\n'));
  if (values.write) writeWavesSection(join(projectRoot, 'bench', 'results.md'), lines.join('\n'));
}
