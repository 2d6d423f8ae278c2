// `npm run bench`: what conveyor costs and how fast it is, on a Temporal dev server of its own (in
// memory, headless, on a free loopback port) with the sandbox standing in for Heroku and GitHub.
//   npx tsx bench/run.ts [--json] [--sizes 50,200] [--runs 5] [--window-s 30]
// (a) Heroku requests per reconcile cycle per service at steady state;
// (b) time from a merge to the release running on the last of 4 stages (minAge 0s and 1s), median of runs;
// (c) scale: N pipelines (4 stages, tick 5s): workflow start time, time until each made its first
//     observation, steady-state requests per minute, and the worker's CPU and memory (the worker runs
//     in a process of its own, bench/worker.ts, so the sandbox's work is not counted as the worker's).
// It only reports; nothing here is an assertion. Everything it starts, it stops.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { applyServices } from '../client/pipelines';
import type { Service } from '../domain/service';
import { ensureDevServer, type DevServer } from '../temporal/dev-server';
import { projectRoot } from '../temporal/paths';
import { statusQuery } from '../workflows/messages';
import type { PipelineStatus } from '../workflows/status';
import { startStack, status, type Stack } from '../test/support/stack';
import { workflowBundle } from '../test/support/temporal';
import type { WorkerUsage } from './worker';
import { freePort } from '../temporal/free-port';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '50,200' },
    runs: { type: 'string', default: '5' },
    'window-s': { type: 'string', default: '30' },
  },
});
const sizes = values.sizes
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const runs = Math.max(1, Number(values.runs) || 5);
const windowMs = Math.max(5, Number(values['window-s']) || 30) * 1000;
const PROMOTION_DELAY_MS = 200;
const RELEASE_PHASE_MS = 100;

const log = (line: string) => console.error(line);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

async function until<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A pipeline at rest: observed, nothing in flight, every pair in sync. */
const atRest = (st: PipelineStatus) =>
  st.observedAt !== null &&
  st.inFlight.length === 0 &&
  st.pairs.length > 0 &&
  st.pairs.every((p) => p.state === 'in-sync');

/** Per endpoint, divided by `per`. */
const perUnit = (counts: Record<string, number>, per: number) =>
  Object.fromEntries(
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([endpoint, n]) => [endpoint, round(n / per, 3)]),
  );

const sum = (counts: Record<string, number>, api: 'heroku' | 'github') =>
  Object.entries(counts).reduce(
    (total, [endpoint, n]) =>
      total + ((endpoint.split(' ')[1]?.startsWith('/github/') ? 'github' : 'heroku') === api ? n : 0),
    0,
  );

// ---------------------------------------------------------------------------------------------
// (a) requests per cycle, (b) merge to the last stage

interface SteadyState {
  services: number;
  tickMs: number;
  windowMs: number;
  /** Requests per endpoint per tick per service. */
  perCycle: Record<string, number>;
  herokuPerCycle: number;
  githubPerCycle: number;
}

async function steadyState(stack: Stack): Promise<SteadyState> {
  const services = [
    await stack.launch('bench-steady', { minAge: '1s', tick: '1s' }),
    await stack.launch('bench-steady', { minAge: '1s', tick: '1s' }),
  ];
  // A merge first, so the steady state is after a roll-out, not before any.
  const merged = await Promise.all(services.map((s) => stack.sandbox.scenario.merge(s.pipeline)));
  await until(
    async () =>
      (await Promise.all(services.map((s) => status(stack, s)))).every(
        (st, i) => atRest(st) && st.stages.every((g) => g.commit === merged[i].sha),
      ),
    60_000,
    'the roll-out',
  );
  await sleep(3_000);
  const window = 15_000;
  stack.sandbox.resetCounts();
  await sleep(window);
  const counts = stack.sandbox.requestCounts();
  const cycles = (window / 1_000) * services.length;
  return {
    services: services.length,
    tickMs: 1_000,
    windowMs: window,
    perCycle: perUnit(counts, cycles),
    herokuPerCycle: round(sum(counts, 'heroku') / cycles, 3),
    githubPerCycle: round(sum(counts, 'github') / cycles, 3),
  };
}

interface MergeToLast {
  minAge: string;
  runsMs: number[];
  medianMs: number;
}

async function mergeToLast(stack: Stack, minAge: string): Promise<MergeToLast> {
  const service = await stack.launch('bench-latency', { minAge, tick: '1s' });
  const last = service.stages.at(-1)!;
  const { scenario } = stack.sandbox;
  const running = () => scenario.releases(last).find((r) => r.current)?.commit;
  await until(async () => atRest(await status(stack, service)), 30_000, 'a pipeline at rest');
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const merged = await scenario.merge(service.pipeline);
    const start = Date.now();
    await until(() => running() === merged.sha, 60_000, `merge ${i + 1} on ${last}`, 10);
    runsMs.push(Date.now() - start);
    await until(async () => atRest(await status(stack, service)), 30_000, 'the pipeline at rest again');
    await sleep(500);
  }
  return { minAge, runsMs, medianMs: median(runsMs) };
}

// ---------------------------------------------------------------------------------------------
// (c) scale

interface Scale {
  services: number;
  tickMs: number;
  /** applyServices for all of them, as `conveyor apply` does. */
  startMs: number;
  /** From the start until every pipeline has observed Heroku once. */
  firstObservationMs: number;
  windowMs: number;
  herokuPerMinute: number;
  githubPerMinute: number;
  latestReleasesPerTickPerService: number;
  /** Of one core: 100 = one core busy. */
  workerCpuPercent: number;
  workerRssMb: number;
  workerHeapMb: number;
  /** This process: the sandbox answering the worker (and the bench itself). */
  sandboxCpuPercent: number;
}

interface WorkerProcess {
  child: ChildProcess;
  usage(): Promise<WorkerUsage>;
  stop(): Promise<void>;
}

async function workerProcess(stack: Stack, bundlePath: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench', 'worker.ts')], {
    env: { ...stack.workerEnv, BENCH_WORKFLOW_BUNDLE: bundlePath },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(`worker said ${JSON.stringify(m)}`))));
    child.once('exit', (code) => reject(new Error(`bench worker exited with ${code}`)));
  });
  return {
    child,
    usage: () =>
      new Promise<WorkerUsage>((resolve) => {
        child.once('message', (m) => resolve(m as WorkerUsage));
        child.send('usage');
      }),
    async stop() {
      if (child.exitCode !== null) return;
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

async function scale(server: DevServer, count: number, bundlePath: string): Promise<Scale> {
  const tickMs = 5_000;
  const stack = await startStack({
    server,
    worker: false,
    promotionDelayMs: PROMOTION_DELAY_MS,
    releasePhaseMs: RELEASE_PHASE_MS,
  });
  let worker: WorkerProcess | undefined;
  const services: Service[] = [];
  try {
    // Heroku's real limit (4,500 an hour per token) is far below what hundreds of pipelines ask; the
    // bench measures what they ask, so the sandbox's bucket is made bottomless.
    stack.sandbox.scenario.setRateLimit({ bucket: 1e9, refillPerMinute: 1e9, remaining: 1e9 });
    for (let i = 0; i < count; i++) services.push(await stack.prepare(`s${count}x${i}`, { minAge: '1s', tick: '5s' }));
    worker = await workerProcess(stack, bundlePath);

    const started = Date.now();
    await applyServices(stack.client, services, stack.taskQueue);
    const startMs = Date.now() - started;
    const waiting = new Set(services.map((s) => s.name));
    await until(
      async () => {
        await inBatches([...waiting], 25, async (name) => {
          const st = await query(stack.client, name);
          if (st?.observedAt) waiting.delete(name);
        });
        return waiting.size === 0;
      },
      180_000,
      `first observations (${waiting.size} left)`,
      200,
    );
    const firstObservationMs = Date.now() - started;

    await sleep(tickMs);
    stack.sandbox.resetCounts();
    const before = await worker.usage();
    const mainBefore = process.cpuUsage();
    const t0 = Date.now();
    await sleep(windowMs);
    const elapsed = Date.now() - t0;
    const after = await worker.usage();
    const mainAfter = process.cpuUsage(mainBefore);
    const counts = stack.sandbox.requestCounts();
    const cpu = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => b.user + b.system - (a.user + a.system);
    const latest = counts['GET /pipelines/{id}/latest-releases'] ?? 0;
    return {
      services: count,
      tickMs,
      startMs,
      firstObservationMs,
      windowMs: elapsed,
      herokuPerMinute: round((sum(counts, 'heroku') / elapsed) * 60_000, 1),
      githubPerMinute: round((sum(counts, 'github') / elapsed) * 60_000, 1),
      latestReleasesPerTickPerService: round(latest / ((elapsed / tickMs) * count), 3),
      workerCpuPercent: round((cpu(before.cpu, after.cpu) / (elapsed * 1000)) * 100, 1),
      workerRssMb: round(after.memory.rss / 2 ** 20, 1),
      workerHeapMb: round(after.memory.heapUsed / 2 ** 20, 1),
      sandboxCpuPercent: round(((mainAfter.user + mainAfter.system) / (elapsed * 1000)) * 100, 1),
    };
  } finally {
    await inBatches(services, 25, (s) =>
      stack.client.workflow
        .getHandle(`conveyor/${s.name}`)
        .terminate('bench finished')
        .catch(() => undefined),
    );
    await worker?.stop();
    await stack.stop();
  }
}

async function query(client: Client, service: string): Promise<PipelineStatus | undefined> {
  return client.workflow
    .getHandle(`conveyor/${service}`)
    .query(statusQuery)
    .catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------

interface BenchReport {
  sandbox: { promotionDelayMs: number; releasePhaseMs: number };
  steadyState: SteadyState;
  mergeToLast: MergeToLast[];
  scale: Scale[];
  elapsedMs: number;
}

function print(report: BenchReport): void {
  const { steadyState: a, mergeToLast: b, scale: c } = report;
  console.log(
    `conveyor bench (sandbox: promotion ${report.sandbox.promotionDelayMs} ms, release phase ${report.sandbox.releasePhaseMs} ms; ${(report.elapsedMs / 1000).toFixed(0)} s)`,
  );
  console.log('');
  console.log(
    `(a) requests per reconcile cycle per service at steady state (${a.services} services, tick ${a.tickMs / 1000}s, ${a.windowMs / 1000} s)`,
  );
  for (const [endpoint, n] of Object.entries(a.perCycle)) console.log(`    ${endpoint.padEnd(58)} ${n.toFixed(3)}`);
  console.log(`    ${'Heroku, all endpoints'.padEnd(58)} ${a.herokuPerCycle.toFixed(3)}`);
  console.log(`    ${'GitHub, all endpoints'.padEnd(58)} ${a.githubPerCycle.toFixed(3)}`);
  console.log('');
  console.log(`(b) merge -> running on the last of 4 stages (tick 1s), ${b[0]?.runsMs.length ?? 0} runs`);
  for (const m of b)
    console.log(
      `    minAge ${m.minAge.padEnd(3)} median ${(m.medianMs / 1000).toFixed(2)} s   (${m.runsMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')})`,
    );
  console.log('');
  console.log(`(c) scale: 4 stages, tick 5s, steady state over ${((c[0]?.windowMs ?? windowMs) / 1000) | 0} s`);
  const header = [
    'services',
    'start',
    'all observed',
    'Heroku req/min',
    'GitHub req/min',
    'latest/tick/svc',
    'worker CPU',
    'worker RSS',
    'worker heap',
    'sandbox CPU',
  ];
  const rows = c.map((s) => [
    String(s.services),
    `${s.startMs} ms`,
    `${(s.firstObservationMs / 1000).toFixed(1)} s`,
    s.herokuPerMinute.toFixed(0),
    s.githubPerMinute.toFixed(0),
    s.latestReleasesPerTickPerService.toFixed(2),
    `${s.workerCpuPercent.toFixed(1)} %`,
    `${s.workerRssMb.toFixed(0)} MB`,
    `${s.workerHeapMb.toFixed(0)} MB`,
    `${s.sandboxCpuPercent.toFixed(1)} %`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `    ${cells.map((cell, i) => cell.padStart(widths[i])).join('  ')}`;
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log('    (CPU: % of one core; Heroku allows 75 requests/min per token: at tick 5s that is ~6 services)');
}

const began = Date.now();
const server = await ensureDevServer({ address: `127.0.0.1:${await freePort()}`, headless: true, dbFile: null });
const bundleDir = mkdtempSync(join(tmpdir(), 'conveyor-bench-'));
let code = 0;
try {
  log(`bench: Temporal dev server at ${server.address}`);
  const bundlePath = join(bundleDir, 'workflows.js');
  writeFileSync(bundlePath, (await workflowBundle()).code);

  const stack = await startStack({ server, promotionDelayMs: PROMOTION_DELAY_MS, releasePhaseMs: RELEASE_PHASE_MS });
  let steady: SteadyState;
  const latencies: MergeToLast[] = [];
  try {
    log('bench: (a) steady state...');
    steady = await steadyState(stack);
    for (const minAge of ['0s', '1s']) {
      log(`bench: (b) merge to the last stage, minAge ${minAge}...`);
      latencies.push(await mergeToLast(stack, minAge));
    }
  } finally {
    await stack.stop();
  }
  const scaled: Scale[] = [];
  for (const n of sizes) {
    log(`bench: (c) ${n} pipelines...`);
    scaled.push(await scale(server, n, bundlePath));
  }
  const report: BenchReport = {
    sandbox: { promotionDelayMs: PROMOTION_DELAY_MS, releasePhaseMs: RELEASE_PHASE_MS },
    steadyState: steady,
    mergeToLast: latencies,
    scale: scaled,
    elapsedMs: Date.now() - began,
  };
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else print(report);
} catch (error) {
  console.error(error);
  code = 1;
} finally {
  await server.stop();
  rmSync(bundleDir, { recursive: true, force: true });
}
process.exit(code);
