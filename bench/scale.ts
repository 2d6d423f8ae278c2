// `npx tsx bench/scale.ts`: many pipelines on few workers. N pipelines of 12 stages with Heroku's
// release webhooks on (fallback poll 10 min) are started and left to settle, then the workers' CPU
// (% of one core), RSS and workflow-task latencies (Temporal Core's own histograms, scraped from each
// worker's Prometheus endpoint) are measured over an idle window, and again while a share of the
// pipelines roll a merge out to their 12th stage. It only reports; nothing here is an assertion.
//   npx tsx bench/scale.ts [--pipelines 100] [--workers 1] [--cluster] [--idle-s 600] [--rolling-pct 10]
//                          [--rolling-s 600] [--soak-s 10] [--worker-env K=V,K=V] [--keep-ssl-env] [--json] [--write]
// --cluster: a self-hosted Temporal on PostgreSQL (temporal/cluster.ts, as `npm run cluster` runs it)
// instead of the dev server. --worker-env: settings given to every worker (e.g. CONVEYOR_MEMORY_MB=512).
// SSL_CERT_FILE and SSL_CERT_DIR are unset for the bench and its workers unless --keep-ssl-env
// (bench/heroku-client-certs.ts says why).
// --write: the figures as a section of bench/results.md (replacing the one of the same heading).
// The idle window is one fallback period by default: the pipelines started together poll together,
// so a shorter window would see all of their polls or none.
import { nodeArgs } from './node-args';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyServices } from '../client/pipelines';
import type { Service } from '../domain/service';
import { startCluster, type Cluster } from '../temporal/cluster';
import { ensureDevServer, type DevServer } from '../temporal/dev-server';
import { freePort } from '../temporal/free-port';
import { projectRoot } from '../temporal/paths';
import { startStack, type Stack } from '../test/support/stack';
import { workflowBundle } from '../test/support/temporal';
import { statusQuery } from '../workflows/messages';
import { histogram, observations, quantile, since, total, type Buckets } from './histograms';
import { installWebhooks, tellPipelines } from '../client/webhooks';
import { RECEIVER_PATH } from '../worker/receiver';
import { webhooksEnv } from './webhooks';
import type { WorkerUsage } from './worker';
import { withoutCertificateFiles } from './heroku-client-certs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const { values } = parseArgs({
  options: {
    pipelines: { type: 'string', default: '100' },
    workers: { type: 'string', default: '1' },
    cluster: { type: 'boolean', default: false },
    'idle-s': { type: 'string', default: '600' },
    'settle-s': { type: 'string', default: '30' },
    'rolling-pct': { type: 'string', default: '10' },
    'rolling-s': { type: 'string', default: '600' },
    'soak-s': { type: 'string', default: '10' },
    'worker-env': { type: 'string', default: '' },
    'keep-ssl-env': { type: 'boolean', default: false },
    label: { type: 'string' },
    json: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});

const positive = (name: string, text: string): number => {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`bench scale: --${name} '${text}' is not a positive number`);
    process.exit(2);
  }
  return n;
};
const PIPELINES = Math.round(positive('pipelines', values.pipelines));
const WORKERS = Math.round(positive('workers', values.workers));
const IDLE_MS = positive('idle-s', values['idle-s']) * 1000;
const SETTLE_MS = Number(values['settle-s']) * 1000 || 0;
const ROLLING_SHARE = positive('rolling-pct', values['rolling-pct']) / 100;
const ROLLING_MS = positive('rolling-s', values['rolling-s']) * 1000;
const SOAK_MS = positive('soak-s', values['soak-s']) * 1000;
const STAGES = 12;
const TICK_MS = 60_000;
const FALLBACK_POLL_MS = 600_000;
const WORKER_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  values['worker-env']
    .split(',')
    .filter((pair) => pair.trim())
    .map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) {
        console.error(`bench scale: --worker-env '${pair}' is not NAME=value`);
        process.exit(2);
      }
      return [pair.slice(0, at).trim(), pair.slice(at + 1)];
    }),
);
// The sandbox answers every request (its rate limit is off): the bench measures the worker, not Heroku's
// limits. 1,000 pipelines of 12 stages polled every 10 minutes exceed one account's 4,500 tokens an hour.
const UNLIMITED_BUDGET = {
  CONVEYOR_HEROKU_POOL: '1000000000',
  CONVEYOR_HEROKU_REFILL_PER_MINUTE: '1000000000',
};

const log = (line: string) => console.error(`bench scale: ${line}`);
// Before the stack copies process.env into the workers' environment.
const UNSET_CERTIFICATE_VARIABLES = withoutCertificateFiles(values['keep-ssl-env']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

/** Runs `phase` while telling, every 15 s, how far it is. */
async function withProgress<T>(what: string, progress: () => string, phase: Promise<T>): Promise<T> {
  const began = Date.now();
  const timer = setInterval(() => log(`${what}: ${progress()} (${Math.round((Date.now() - began) / 1000)} s)`), 15_000);
  try {
    return await phase;
  } finally {
    clearInterval(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// A worker: bench/worker.ts in its own process, with Core's metrics on a loopback port.

interface BenchWorker {
  usage(): Promise<WorkerUsage>;
  scrape(): Promise<string>;
  stop(): Promise<void>;
}

async function startWorker(env: NodeJS.ProcessEnv, bundlePath: string): Promise<BenchWorker> {
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  const proc: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs(), '--import', 'tsx', join(projectRoot, 'bench', 'worker.ts')],
    {
      env: { ...env, BENCH_WORKFLOW_BUNDLE: bundlePath, BENCH_SDK_METRICS_ADDRESS: metricsAddress },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    proc.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(`worker said ${JSON.stringify(m)}`))));
    proc.once('exit', (code, signal) => reject(new Error(`worker exited before it was ready (${signal ?? code})`)));
  });
  return {
    usage: () =>
      new Promise<WorkerUsage>((resolve) => {
        proc.once('message', (m) => resolve(m as WorkerUsage));
        proc.send('usage');
      }),
    scrape: async () => (await fetch(`http://${metricsAddress}/metrics`)).text(),
    async stop() {
      if (proc.exitCode !== null) return;
      proc.send('stop');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A window: what the workers did while it ran.

const LATENCIES = {
  scheduleToStart: 'temporal_workflow_task_schedule_to_start_latency',
  execution: 'temporal_workflow_task_execution_latency',
  replay: 'temporal_workflow_task_replay_latency',
} as const;
type Latency = keyof typeof LATENCIES;

interface LatencyFigures {
  tasks: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

interface WorkerFigures {
  cpuPercent: number;
  rssMb: number;
  peakRssMb: number;
  /** The main thread's V8 heap (workflows run in worker threads with heaps of their own, inside the RSS). */
  heapUsedMb: number;
  externalMb: number;
  stickyCacheSize: number;
  maxCachedWorkflows: number | null;
}

interface WindowFigures {
  seconds: number;
  /** Every worker's CPU added up, in % of one core. */
  cpuPercent: number;
  workers: WorkerFigures[];
  latencies: Record<Latency, LatencyFigures>;
  /** Workflow tasks completed a minute, activities a minute, sticky cache hits and misses in the window. */
  workflowTasksPerMinute: number;
  activitiesPerMinute: number;
  stickyHits: number;
  stickyMisses: number;
  loadAverage: string;
}

interface Snapshot {
  at: number;
  usages: WorkerUsage[];
  scrapes: string[];
}

async function snapshot(workers: BenchWorker[]): Promise<Snapshot> {
  const [usages, scrapes] = await Promise.all([
    Promise.all(workers.map((w) => w.usage())),
    Promise.all(workers.map((w) => w.scrape())),
  ]);
  return { at: Date.now(), usages, scrapes };
}

const combined = (scrapes: string[], name: string): Buckets => {
  const sum = new Map<number, number>();
  for (const text of scrapes) for (const [bound, n] of histogram(text, name)) sum.set(bound, (sum.get(bound) ?? 0) + n);
  return [...sum].sort((a, b) => a[0] - b[0]);
};
const counted = (scrapes: string[], name: string) => scrapes.reduce((t, text) => t + total(text, name), 0);

function windowFigures(a: Snapshot, b: Snapshot): WindowFigures {
  const ms = b.at - a.at;
  const cpu = (u: WorkerUsage) => u.cpu.user + u.cpu.system;
  const workers = b.usages.map((u, i): WorkerFigures => ({
    cpuPercent: round(((cpu(u) - cpu(a.usages[i])) / (ms * 1000)) * 100),
    rssMb: mb(u.memory.rss),
    peakRssMb: Math.round(u.maxRssKb / 1024),
    heapUsedMb: mb(u.memory.heapUsed),
    externalMb: mb(u.memory.external),
    stickyCacheSize: total(b.scrapes[i], 'temporal_sticky_cache_size'),
    maxCachedWorkflows: u.maxCachedWorkflows ?? null,
  }));
  const latencies = Object.fromEntries(
    Object.entries(LATENCIES).map(([key, name]) => {
      const seen = since(combined(a.scrapes, name), combined(b.scrapes, name));
      const q = (p: number) => {
        const v = quantile(seen, p);
        return v === undefined ? null : round(v);
      };
      return [key, { tasks: observations(seen), p50Ms: q(0.5), p99Ms: q(0.99) }];
    }),
  ) as Record<Latency, LatencyFigures>;
  const delta = (name: string) => counted(b.scrapes, name) - counted(a.scrapes, name);
  const minutes = ms / 60_000;
  return {
    seconds: Math.round(ms / 1000),
    cpuPercent: round(workers.reduce((t, w) => t + w.cpuPercent, 0)),
    workers,
    latencies,
    workflowTasksPerMinute: round(latencies.execution.tasks / minutes),
    activitiesPerMinute: round(
      observations(
        since(
          combined(a.scrapes, 'temporal_activity_execution_latency'),
          combined(b.scrapes, 'temporal_activity_execution_latency'),
        ),
      ) / minutes,
    ),
    stickyHits: delta('temporal_sticky_cache_hit'),
    stickyMisses: delta('temporal_sticky_cache_miss'),
    loadAverage: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

// ---------------------------------------------------------------------------------------------
// What dominates where a goal is missed.

const GOALS = { cpuPercent: 5, rssMb: 512, p99Ms: 200 };

function verdicts(idle: WindowFigures, rolling: WindowFigures): string[] {
  const lines: string[] = [];
  for (const [name, w] of [
    ['idle', idle],
    ['rolling', rolling],
  ] as const) {
    const perWorkerCpu = Math.max(...w.workers.map((x) => x.cpuPercent));
    if (name === 'idle' && perWorkerCpu > GOALS.cpuPercent) {
      const perTask = w.workflowTasksPerMinute + w.activitiesPerMinute > 0;
      lines.push(
        `idle CPU ${perWorkerCpu} % of a core > ${GOALS.cpuPercent} %: ${w.workflowTasksPerMinute} workflow tasks and ${w.activitiesPerMinute} activities a minute` +
          (perTask
            ? ` (the fallback polls: each pipeline's reconcile every 10 min)`
            : ' (no tasks: the worker itself)'),
      );
    }
    const fattest = w.workers.reduce((x, y) => (y.rssMb > x.rssMb ? y : x));
    if (fattest.rssMb > GOALS.rssMb) {
      const rest = fattest.rssMb - fattest.heapUsedMb - fattest.externalMb;
      lines.push(
        `${name} RSS ${fattest.rssMb} MB > ${GOALS.rssMb} MB: main-thread heap ${fattest.heapUsedMb} MB, external ${fattest.externalMb} MB, ` +
          `the rest ${rest} MB (the workflow threads' heaps holding ${fattest.stickyCacheSize} cached workflows of at most ${fattest.maxCachedWorkflows ?? "the SDK's default"}, Core, code)`,
      );
    }
    const s2s = w.latencies.scheduleToStart;
    if (s2s.p99Ms !== null && s2s.p99Ms > GOALS.p99Ms) {
      const { execution, replay } = w.latencies;
      const missRate = w.stickyHits + w.stickyMisses > 0 ? w.stickyMisses / (w.stickyHits + w.stickyMisses) : 0;
      lines.push(
        `${name} schedule-to-start p99 ${s2s.p99Ms} ms > ${GOALS.p99Ms} ms: tasks waited for a slot or a poller; ` +
          `execution p99 ${execution.p99Ms ?? '-'} ms, replay p99 ${replay.p99Ms ?? '-'} ms (${replay.tasks} replays, ` +
          `${Math.round(missRate * 100)} % sticky cache misses), ${w.workflowTasksPerMinute} tasks a minute`,
      );
    }
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------

interface ScaleReport {
  label: string;
  server: 'dev server' | 'PostgreSQL cluster';
  pipelines: number;
  workers: number;
  workerEnv: NodeJS.ProcessEnv;
  /** Certificate variables unset for the bench and its workers (bench/heroku-client-certs.ts). */
  unsetEnv: string[];
  soakS: number;
  observedS: number;
  idle: WindowFigures;
  rolling: WindowFigures & { pipelines: number; reached12th: number; leadP50S: number | null };
  verdicts: string[];
  machine: string;
  elapsedS: number;
}

async function observedCount(stack: Stack, services: Service[]): Promise<number> {
  let n = 0;
  await inBatches(services, 50, async (s) => {
    const st = await stack.client.workflow
      .getHandle(`conveyor/${s.name}`)
      .query(statusQuery)
      .catch(() => undefined);
    if (st?.observedAt) n++;
  });
  return n;
}

const running12th = (stack: Stack, s: Service) =>
  stack.sandbox.scenario.releases(s.stages.at(-1)!).find((r) => r.current)?.commit;

async function run(server: DevServer, bundlePath: string): Promise<ScaleReport> {
  const began = Date.now();
  const stack = await startStack({ worker: false, server });
  const workers: BenchWorker[] = [];
  try {
    stack.sandbox.scenario.setRateLimit({ bucket: 1e12, refillPerMinute: 1e12, remaining: 1e12 });
    const services: Service[] = [];
    await withProgress(
      'sandbox',
      () => `${services.length} of ${PIPELINES} pipelines made`,
      (async () => {
        for (let i = 0; i < PIPELINES; i++) {
          const name = `s${i}`;
          services.push(
            await stack.prepare(name, {
              stages: Array.from({ length: STAGES }, (_, k) => `${name}-s${String(k + 1).padStart(2, '0')}`),
              minAgeMs: SOAK_MS,
              tickMs: TICK_MS,
              webhookTickMs: FALLBACK_POLL_MS,
            }),
          );
        }
      })(),
    );
    const hooks = await webhooksEnv();
    const env = { ...stack.workerEnv, ...UNLIMITED_BUDGET, ...WORKER_ENV };
    // The first worker runs the receiver every app's webhook points at; the others only take tasks.
    for (let i = 0; i < WORKERS; i++) workers.push(await startWorker(i === 0 ? { ...env, ...hooks } : env, bundlePath));
    // Every app subscribed before the pipelines start, as `conveyor webhooks install` does, app by app
    // (four lots of 25 pipelines at a time): each pipeline is told at once, so none polls every tick
    // (60 s) while the others are being subscribed.
    const url = `http://${hooks.CONVEYOR_RECEIVER_ADDRESS}${RECEIVER_PATH}`;
    const lots = Array.from({ length: Math.ceil(services.length / 25) }, (_, i) => services.slice(i * 25, i * 25 + 25));
    const subscribed: Awaited<ReturnType<typeof installWebhooks>>['apps'] = [];
    const problems: string[] = [];
    await withProgress(
      'webhooks install',
      () => `${Math.floor(subscribed.length / STAGES)} of ${PIPELINES} pipelines subscribed`,
      inBatches(lots, 4, async (lot) => {
        const result = await installWebhooks(lot, url, { ...env, ...hooks });
        subscribed.push(...result.apps);
        problems.push(...result.problems);
      }),
    );
    if (problems.length > 0) throw new Error(`webhooks install: ${problems.slice(0, 3).join('; ')}`);
    log(`${WORKERS} worker(s) running; starting ${PIPELINES} pipelines, each told its apps are subscribed...`);
    const startedAt = Date.now();
    await inBatches(services, 50, async (s) => {
      await applyServices(stack.client, [s], stack.taskQueue);
      await tellPipelines(
        stack.client,
        [s],
        subscribed.filter((a) => a.service === s.name),
      );
    });
    let observed = 0;
    await withProgress(
      'first observation',
      () => `${observed} of ${PIPELINES} observed`,
      (async () => {
        while ((observed = await observedCount(stack, services)) < PIPELINES) {
          if (Date.now() - startedAt > Math.max(600_000, PIPELINES * 3_000))
            throw new Error(`only ${observed} of ${PIPELINES} pipelines observed Heroku`);
          await sleep(5_000);
        }
      })(),
    );
    const observedS = Math.round((Date.now() - startedAt) / 1000);
    log(`every pipeline observed in ${observedS} s; settling ${SETTLE_MS / 1000} s`);
    await sleep(SETTLE_MS);

    const idleStart = await snapshot(workers);
    await withProgress('idle window', () => `of ${IDLE_MS / 1000} s`, sleep(IDLE_MS));
    const idle = windowFigures(idleStart, await snapshot(workers));
    log(`idle: ${JSON.stringify(idle)}`);

    const rollers = services.filter((_, i) => i % Math.round(1 / ROLLING_SHARE) === 0);
    const rollStart = await snapshot(workers);
    const merged = new Map<string, { sha: string; at: number }>();
    await Promise.all(
      rollers.map(async (s) =>
        merged.set(s.name, { at: Date.now(), sha: (await stack.sandbox.scenario.merge(s.pipeline)).sha }),
      ),
    );
    const arrived = new Map<string, number>();
    await withProgress(
      `rollout of ${rollers.length}`,
      () => `${arrived.size} of ${rollers.length} at the 12th stage`,
      (async () => {
        const deadline = Date.now() + ROLLING_MS;
        while (arrived.size < rollers.length && Date.now() < deadline) {
          for (const s of rollers)
            if (!arrived.has(s.name) && running12th(stack, s) === merged.get(s.name)!.sha)
              arrived.set(s.name, (Date.now() - merged.get(s.name)!.at) / 1000);
          await sleep(250);
        }
      })(),
    );
    const rolling = windowFigures(rollStart, await snapshot(workers));
    const late = rollers.filter((s) => !arrived.has(s.name));
    if (late.length > 0) {
      // What holds the first of them, as its workflow says.
      const st = await stack.client.workflow.getHandle(`conveyor/${late[0].name}`).query(statusQuery);
      const pairs = st.pairs.filter((p) => p.state !== 'in-sync').map((p) => `${p.from} -> ${p.to}: ${p.reason}`);
      log(
        `${late.length} had not reached their 12th stage; ${late[0].name}: ${pairs.join('; ') || 'every pair in sync'}`,
      );
    }
    const leads = [...arrived.values()].sort((a, b) => a - b);
    return {
      label:
        values.label ??
        `${PIPELINES} pipelines, ${WORKERS} worker(s), ${values.cluster ? 'PostgreSQL cluster' : 'dev server'}`,
      server: values.cluster ? 'PostgreSQL cluster' : 'dev server',
      pipelines: PIPELINES,
      workers: WORKERS,
      workerEnv: WORKER_ENV,
      unsetEnv: UNSET_CERTIFICATE_VARIABLES,
      soakS: SOAK_MS / 1000,
      observedS,
      idle,
      rolling: {
        ...rolling,
        pipelines: rollers.length,
        reached12th: arrived.size,
        leadP50S: leads.length ? round(leads[Math.ceil(leads.length / 2) - 1]) : null,
      },
      verdicts: verdicts(idle, rolling),
      machine: `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), shared`,
      elapsedS: Math.round((Date.now() - began) / 1000),
    };
  } finally {
    // The server goes with its workflows (in memory, or the cluster's temp folder): no terminations.
    await Promise.all(workers.map((w) => w.stop()));
    await stack.sandbox.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// The report as markdown.

const ms = (x: number | null) => (x === null ? '-' : `${x} ms`);
const latencyCell = (l: LatencyFigures) => `${ms(l.p50Ms)} / ${ms(l.p99Ms)} (${l.tasks})`;

function scaleMarkdown(r: ScaleReport, command: string): string {
  const row = (name: string, pick: (w: WindowFigures) => string) =>
    `| ${name} | ${pick(r.idle)} | ${pick(r.rolling)} |`;
  const env = Object.entries(r.workerEnv).map(([k, v]) => `${k}=${v}`);
  return [
    `### ${r.label}`,
    '',
    `\`${command}\``,
    '',
    `${r.pipelines} pipelines of ${STAGES} stages, webhooks on (fallback poll 10 min, tick 60 s), ${r.workers} worker(s) on the ${r.server}` +
      `${env.length ? ` with ${env.join(' ')}` : ''}${r.unsetEnv.length ? ` and ${r.unsetEnv.join(', ')} unset` : ''}; every pipeline observed ${r.observedS} s after the start; idle window ${r.idle.seconds} s; ` +
      `then ${r.rolling.pipelines} pipelines (${Math.round(ROLLING_SHARE * 100)} %) merged at once and rolled out (soak ${r.soakS} s), ` +
      `${r.rolling.reached12th} of them reaching the 12th stage within the ${r.rolling.seconds} s window (lead time p50 ${r.rolling.leadP50S ?? '-'} s). ${r.machine}; ${r.elapsedS} s in all.`,
    '',
    '| figure (goal) | idle | rolling out |',
    '| --- | --- | --- |',
    row(
      'Worker CPU, % of a core, all workers (<= 5 idle)',
      (w) => `${w.cpuPercent} %` + (w.workers.length > 1 ? ` (${w.workers.map((x) => x.cpuPercent).join(' + ')})` : ''),
    ),
    row('Worker RSS at the end / peak (<= 512 MB)', (w) =>
      w.workers.map((x) => `${x.rssMb} / ${x.peakRssMb} MB`).join(', '),
    ),
    row('Main-thread heap / external', (w) => w.workers.map((x) => `${x.heapUsedMb} / ${x.externalMb} MB`).join(', ')),
    row('Workflows in the sticky cache (its size)', (w) =>
      w.workers.map((x) => `${x.stickyCacheSize} (${x.maxCachedWorkflows ?? 'SDK default'})`).join(', '),
    ),
    row('WFT schedule-to-start p50 / p99 (tasks) (p99 <= 200 ms)', (w) => latencyCell(w.latencies.scheduleToStart)),
    row('WFT execution p50 / p99 (tasks)', (w) => latencyCell(w.latencies.execution)),
    row('WFT replay p50 / p99 (replays)', (w) => latencyCell(w.latencies.replay)),
    row('Workflow tasks / activities a minute', (w) => `${w.workflowTasksPerMinute} / ${w.activitiesPerMinute}`),
    row('Sticky cache hits / misses', (w) => `${w.stickyHits} / ${w.stickyMisses}`),
    row('Load average at the end', (w) => w.loadAverage),
    '',
    ...(r.verdicts.length
      ? ['Goals missed, and what dominates:', '', ...r.verdicts.map((v) => `- ${v}`)]
      : ['Every goal met.']),
    '',
  ].join('\n');
}

/** Heading of this bench's section of bench/results.md. */
const SCALE_SECTION = '## Scale: 1,000 pipelines on one worker';

/** Puts the run's table into results.md's SCALE_SECTION, replacing the table of the same label if there is one. */
function writeSection(file: string, r: ScaleReport, command: string): void {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(SCALE_SECTION);
  if (start < 0) throw new Error(`${file} has no '${SCALE_SECTION}' section`);
  const next = text.indexOf('\n## ', start + SCALE_SECTION.length);
  const end = next < 0 ? text.length : next + 1;
  const section = text.slice(start, end);
  const table = scaleMarkdown(r, command);
  const at = section.indexOf(`### ${r.label}\n`);
  const after = at < 0 ? -1 : section.indexOf('\n### ', at + 1);
  const updated =
    at < 0
      ? `${section.replace(/\n*$/, '')}\n\n${table}\n`
      : `${section.slice(0, at)}${table}\n${after < 0 ? '' : section.slice(after + 1)}`;
  writeFileSync(file, text.slice(0, start) + updated + text.slice(end));
}

// ---------------------------------------------------------------------------------------------

const command = `npx tsx bench/scale.ts ${process.argv.slice(2).join(' ')}`.trim();
let cluster: Cluster | undefined;
const server: DevServer = values.cluster
  ? await (async () => {
      log('starting the PostgreSQL cluster...');
      cluster = await startCluster();
      return { address: cluster.address, namespace: cluster.namespace, started: true, stop: () => cluster!.stop() };
    })()
  : await ensureDevServer({ address: `127.0.0.1:${await freePort()}`, headless: true, dbFile: null });
const bundleDir = mkdtempSync(join(tmpdir(), 'conveyor-scale-'));
let code = 0;
try {
  log(
    `Temporal at ${server.address}; ${PIPELINES} pipelines, ${WORKERS} worker(s); load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const bundlePath = join(bundleDir, 'workflows.js');
  writeFileSync(bundlePath, (await workflowBundle()).code);
  const report = await run(server, bundlePath);
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(scaleMarkdown(report, command));
  if (values.write) {
    writeSection(join(projectRoot, 'bench', 'results.md'), report, command);
    log('wrote bench/results.md');
  }
} catch (error) {
  console.error(error);
  code = 1;
} finally {
  await server.stop();
  rmSync(bundleDir, { recursive: true, force: true });
}
process.exit(code);
