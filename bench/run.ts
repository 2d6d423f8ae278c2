// `npm run bench`: conveyor against what a team writes without it, side by side in one run, on one
// Temporal dev server of its own (in memory, headless, on a free loopback port) and the sandbox
// standing in for Heroku and GitHub. Everything it starts, it stops; it only reports, nothing here is
// an assertion. Writes bench/results.md (the tables) and bench/results.png (the chart).
//   npx tsx bench/run.ts [--quick] [--sizes 10,50] [--pool 50] [--factor 60] [--hours 0.5]
//                        [--pool-hours 1] [--drain-hours 24] [--soak-s 6] [--cost 5] [--out bench] [--json]
//                        [--traces] [--histories] [--worker-memory-mb 512] [--keep-ssl-env]
// --traces: conveyor's workers record their spans (worker/traces.ts) to OUT/traces-CONTENDER-N.jsonl,
// and each scale run logs where the time went between a gate's opening and its POST (bench/traces.ts).
// --histories: each scale run saves its pipelines' workflow histories and its openings to
// OUT/histories-CONTENDER-N/ and logs the same wait split at the server's timestamps (bench/history-breakdown.ts).
// --worker-memory-mb: the worker told its memory as a Heroku dyno is (MEMORY_AVAILABLE).
// --keep-ssl-env: keep SSL_CERT_FILE and SSL_CERT_DIR, which heroku-client reads again for every request
// (bench/heroku-client-certs.ts); unset by default, for the baseline and conveyor alike.
// BENCH_NODE_ARGS: extra node options for the workers and the baseline (e.g. --cpu-prof --cpu-prof-dir=DIR).
// BENCH_PROFILE_DIR: each worker writes a CPU profile of its main thread there when it stops.
//
// Contenders, each on a fresh sandbox and namespace of the same server:
//   baseline  a cedar-style poller (bench/cedar.ts): every tick, for every pipeline, every stage app's
//             releases through heroku-client; promotes what differs once it is minAge old
//   conveyor  as it is: polling every tick
//   webhooks  conveyor with Heroku's release webhooks on (when this checkout has them)
// Time is compressed by --factor F: tick 60 s, minAge 30 min and a merge every 10 min become
// 60/F s, 1800/F s and 600/F s, and an hour of pipeline time is 3600/F s of the run.
// Runs:
//   cost   --cost pipelines (12 stages), unlimited Heroku budget: requests and history events per
//          pipeline-hour, idle and with a merge every 10 minutes
//   scale  each of --sizes (12 stages), unlimited budget: requests per hour, the lead time (merge to
//          the 12th stage minus 11 soaks of --soak-s), gate opening (age, resume, unfreeze) to the
//          promotion POST, worker CPU and RSS. Its tick is --scale-tick-s (5 s) and its soak --soak-s
//          (6 s): longer than the tick, as in production, so the age row is not the wait for a poll.
//   pool   --pool pipelines sharing one Heroku pool of 4,500 tokens refilled at 75 a minute, both
//          scaled by pool/1000 (their share of one account with 1,000 pipelines), the refill also by
//          F: 429 answers and promotions posted with a merge every 10 minutes for --pool-hours; then, merges
//          stopped, how long until each pipeline's 12th stage runs its newest merge (at most --drain-hours),
//          the requests per promotion and what conveyor's budget spent them on (its tally, logged)
import { nodeArgs } from './node-args';
import { withoutCertificateFiles } from './heroku-client-certs';
import { spawn, type ChildProcess } from 'node:child_process';
import { writableFolder } from '../client/files';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import {
  applyServices,
  approveRelease,
  freezeAll,
  pausePipeline,
  resumePipeline,
  unfreezeAll,
} from '../client/pipelines';
import type { Service } from '../domain/service';
import { EVERYONE } from '../domain/role';
import { ensureDevServer, type DevServer } from '../temporal/dev-server';
import { freePort } from '../temporal/free-port';
import { projectRoot } from '../temporal/paths';
import { statusQuery } from '../workflows/messages';
import { budgetSettings } from '../config/budget-settings';
import { startStack, type Stack } from '../test/support/stack';
import { workflowBundle } from '../test/support/temporal';
import type { ArrivedRequest } from '../sandbox/server';
import type { CedarConfig, CedarUsage } from './cedar-process';
import { writeChart } from './chart';
import {
  resultsMarkdown,
  sectionsAfterTables,
  type BenchReport,
  type ContenderReport,
  type Dist,
  type ScaleRun,
} from './results';
import { installBenchWebhooks, webhooksEnv } from './webhooks';
import type { WorkerUsage } from './worker';
import type { Tally } from '../activities/api-budget';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from '../worker/worker';
import { workflowTracingModules } from '../worker/traces';
import { breakdown, describe, readSpans, type Opening } from './traces';
import { describeSteps, historyBreakdown, readHistories } from './history-breakdown';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        sizes: { type: 'string' },
        pool: { type: 'string' },
        'pool-of': { type: 'string' },
        cost: { type: 'string' },
        factor: { type: 'string' },
        hours: { type: 'string' },
        'pool-hours': { type: 'string' },
        'drain-hours': { type: 'string' },
        'soak-s': { type: 'string' },
        'scale-tick-s': { type: 'string' },
        'idle-s': { type: 'string' },
        contenders: { type: 'string', default: 'baseline,conveyor,webhooks' },
        runs: { type: 'string', default: 'cost,scale,pool' },
        out: { type: 'string', default: join(projectRoot, 'bench') },
        json: { type: 'boolean', default: false },
        from: { type: 'string' },
        traces: { type: 'boolean', default: false },
        histories: { type: 'boolean', default: false },
        'worker-memory-mb': { type: 'string' },
        'keep-ssl-env': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`bench: ${(error as Error).message} (npx tsx bench/run.ts --help)`);
    process.exit(2);
  }
})();
if (values.help) {
  // The usage is the comment that opens this file.
  const lines = readFileSync(new URL(import.meta.url), 'utf8').split('\n');
  const usage = lines.slice(
    0,
    lines.findIndex((line) => !line.startsWith('//')),
  );
  console.log(usage.map((line) => line.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}
// Refused or made now, not after minutes of running (the figures would be lost).
try {
  writableFolder(values.out, 'bench --out');
} catch (error) {
  console.error(`bench: ${(error as Error).message}`);
  process.exit(2);
}
// Measured without the machine's certificate folder, unless asked (bench/heroku-client-certs.ts says why).
const UNSET_CERTIFICATE_VARIABLES = withoutCertificateFiles(values['keep-ssl-env']);
if (UNSET_CERTIFICATE_VARIABLES.length)
  console.error(
    `bench: ${UNSET_CERTIFICATE_VARIABLES.join(' and ')} unset for every contender (--keep-ssl-env keeps them)`,
  );
const quick = values.quick;
const numbers = (text: string) =>
  text
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
const positive = (text: string | undefined, fallback: number) => {
  const n = Number(text);
  return text !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
};
const SIZES = numbers(values.sizes ?? (quick ? '3,10' : '5,25'));
const POOL = positive(values.pool, quick ? 10 : 30);
const COST = positive(values.cost, quick ? 3 : 5);
/** How many pipelines share the account the pool run's pipelines stand for. */
const POOL_OF = positive(values['pool-of'], 1000);
const FACTOR = positive(values.factor, 60);
const HOURS = positive(values.hours, 0.25);
const POOL_HOURS = positive(values['pool-hours'], 1);
/** After the pool run's merges stop: at most this long (pipeline hours) for the newest merge to reach every 12th stage. */
const DRAIN_HOURS = positive(values['drain-hours'], quick ? 8 : 24);
/**
 * 0 is allowed: every release may go at once, so "age reached -> POST" is "release current -> POST" (a release webhook's event).
 * 6 s by default: longer than the scale runs' tick, as a soak is in production (30 min against 1 min), so a
 * poller has seen a merge on the first stage before its age is reached; a soak shorter than the tick
 * would measure the wait for the next poll, not the reaction to the age.
 */
const SOAK_MS = (values['soak-s'] === '0' ? 0 : positive(values['soak-s'], 6)) * 1000;
/** The scale runs' tick (60 s of pipeline time): longer than the cost runs' so a poller's wait for its next tick shows. */
const SCALE_TICK_MS = positive(values['scale-tick-s'], 5) * 1000;
const SCALE_FACTOR = 60_000 / SCALE_TICK_MS;
const IDLE_MS = positive(values['idle-s'], quick ? 15 : 20) * 1000;
/** How long a gate opening (resume, unfreeze) may take to reach its POST before it counts as missed. */
const OPENING_WAIT_MS = 20_000;
const CONTENDERS = values.contenders.split(',').filter((c) => ['baseline', 'conveyor', 'webhooks'].includes(c));
const RUNS = new Set(values.runs.split(','));
const STAGES = 12;
const PROMOTION_DELAY_MS = 200;
const RELEASE_PHASE_MS = 100;
/** Compressed: 60 s, 30 min, 10 min of pipeline time. */
const TICK_MS = 60_000 / FACTOR;
const MIN_AGE_MS = 1_800_000 / FACTOR;
const MERGE_EVERY_MS = 600_000 / FACTOR;
const hourMs = (hours: number) => (hours * 3_600_000) / FACTOR;

const log = (line: string) => console.error(`bench: ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function dist(xs: number[]): Dist | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { n: sorted.length, p50: round(at(0.5), 3), p99: round(at(0.99), 3), max: round(sorted.at(-1)!, 3) };
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Sends to each service in turn, evenly over `overMs` (one tick): a person resumes one service at a
 * time, and a poller's wait then samples every moment of its tick, not the one where a burst fell.
 * Answers when each was sent.
 */
async function spread(
  services: Service[],
  overMs: number,
  send: (s: Service) => Promise<void>,
): Promise<Map<string, number>> {
  const sent = new Map<string, number>();
  const began = Date.now();
  await Promise.all(
    services.map(async (s, i) => {
      await sleep(began + (i * overMs) / services.length - Date.now());
      sent.set(s.name, Date.now());
      await send(s);
    }),
  );
  return sent;
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

const herokuTotal = (counts: Record<string, number>) =>
  Object.entries(counts).reduce((t, [endpoint, n]) => t + (endpoint.split(' ')[1]?.startsWith('/github') ? 0 : n), 0);
const githubTotal = (counts: Record<string, number>) =>
  Object.values(counts).reduce((t, n) => t + n, 0) - herokuTotal(counts);

// ---------------------------------------------------------------------------------------------
// A contender running against one stack: a child process (conveyor's worker, or the baseline poller).

interface Usage {
  cpu: NodeJS.CpuUsage;
  memory: NodeJS.MemoryUsage;
  /** conveyor's worker: its Heroku calls by activity type, as its budget saw them. */
  budget?: Record<string, Tally>;
}

interface Running {
  usage(): Promise<Usage>;
  /** Every pipeline observed Heroku at least once. */
  observed(): Promise<boolean>;
  pause(services: Service[]): Promise<void>;
  resume(services: Service[]): Promise<Map<string, number>>;
  freeze(): Promise<void>;
  /** Answers when the unfreeze was sent. */
  unfreeze(services: Service[]): Promise<Map<string, number>>;
  /** conveyor only (a poller has no approvals): the second stage asks a person's yes, then it is given. */
  approval?: {
    require(services: Service[]): Promise<void>;
    /** Answers when each approval was sent. */
    approve(services: Service[]): Promise<Map<string, number>>;
    /** The configuration without the approval again (a pipeline whose approval missed is not left stuck). */
    lift(services: Service[]): Promise<void>;
  };
  /** conveyor only: a blackout until `until` (a whole minute, UTC) keeps every promotion waiting. */
  blackout?(services: Service[], until: number): Promise<void>;
  /** Workflow history events of these pipelines so far, every run counted (undefined: no workflows). */
  historyEvents(services: Service[]): Promise<number | undefined>;
  /** conveyor only: writes every run's history of each pipeline to DIR/NAME.json. */
  saveHistories?(services: Service[], dir: string): Promise<void>;
  stop(): Promise<void>;
}

function child(script: string, env: NodeJS.ProcessEnv): Promise<{ process: ChildProcess; exited: Promise<void> }> {
  const proc = spawn(process.execPath, [...nodeArgs(), '--import', 'tsx', join(projectRoot, 'bench', script)], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    proc.once('message', (m) =>
      m === 'ready' ? resolve({ process: proc, exited }) : reject(new Error(`${script} said ${JSON.stringify(m)}`)),
    );
    proc.once('exit', (code, signal) => reject(new Error(`${script} exited before it was ready (${signal ?? code})`)));
  });
}

function ask<T>(proc: ChildProcess): Promise<T> {
  return new Promise<T>((resolve) => {
    proc.once('message', (m) => resolve(m as T));
    proc.send('usage');
  });
}

async function ended(proc: ChildProcess, exited: Promise<void>): Promise<void> {
  if (proc.exitCode !== null) return;
  proc.send('stop');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function startBaseline(stack: Stack, services: Service[], minAgeMs: number, tickMs: number): Promise<Running> {
  const config: CedarConfig = {
    herokuUrl: stack.sandbox.herokuUrl,
    token: stack.sandbox.token,
    pipelines: services.map((s) => ({ name: s.pipeline, stages: s.stages })),
    minAgeMs,
    tickMs,
  };
  const { process: proc, exited } = await child('cedar-process.ts', {
    ...process.env,
    BENCH_CEDAR: JSON.stringify(config),
  });
  const now = (services: Service[]) => new Map(services.map((s) => [s.name, Date.now()]));
  return {
    usage: () => ask<CedarUsage>(proc),
    observed: async () => (await ask<CedarUsage>(proc)).counters.ticks >= 2,
    pause: async (s) => s.forEach((x) => proc.send({ paused: true, pipeline: x.pipeline })),
    resume: (s) => spread(s, SCALE_TICK_MS, async (x) => void proc.send({ paused: false, pipeline: x.pipeline })),
    freeze: async () => void proc.send({ paused: true }),
    unfreeze: async (s) => {
      proc.send({ paused: false });
      return now(s);
    },
    historyEvents: async () => undefined,
    stop: () => ended(proc, exited),
  };
}

async function historyEvents(client: Client, services: Service[]): Promise<number> {
  let total = 0;
  await inBatches(services, 10, async (s) => {
    for await (const run of client.workflow.list({ query: `WorkflowId = "conveyor/${s.name}"` })) {
      // A running run's visibility record lags; describe() reads its history length as it is now.
      const length =
        run.status.name === 'RUNNING'
          ? (await client.workflow.getHandle(run.workflowId, run.runId).describe()).historyLength
          : run.historyLength;
      total += length;
    }
  });
  return total;
}

async function saveHistories(client: Client, services: Service[], dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await inBatches(services, 10, async (s) => {
    const workflowId = `conveyor/${s.name}`;
    const runs: unknown[] = [];
    for await (const run of client.workflow.list({ query: `WorkflowId = "${workflowId}"` }))
      runs.push(JSON.parse(historyToJSON(await client.workflow.getHandle(workflowId, run.runId).fetchHistory())));
    writeFileSync(join(dir, `${s.name}.json`), JSON.stringify({ workflowId, runs }));
  });
}

async function startConveyor(
  stack: Stack,
  services: Service[],
  bundlePath: string,
  webhooks: boolean,
  workerEnv: NodeJS.ProcessEnv,
): Promise<Running> {
  const extraEnv = { ...workerEnv, ...(webhooks ? await webhooksEnv() : {}) };
  const { process: proc, exited } = await child('worker.ts', {
    ...stack.workerEnv,
    ...extraEnv,
    BENCH_WORKFLOW_BUNDLE: bundlePath,
  });
  await applyServices(stack.client, services, stack.taskQueue);
  if (webhooks) {
    const problems = await installBenchWebhooks(stack, services, extraEnv);
    if (problems.length > 0) throw new Error(`bench: webhooks install: ${problems.join('; ')}`);
  }
  const sendAll = async (services: Service[], send: (s: Service) => Promise<void>) => {
    const sent = new Map<string, number>();
    await inBatches(services, 25, async (s) => {
      sent.set(s.name, Date.now());
      await send(s);
    });
    return sent;
  };
  return {
    usage: () => ask<WorkerUsage>(proc),
    async observed() {
      let all = true;
      await inBatches(services, 25, async (s) => {
        const st = await stack.client.workflow
          .getHandle(`conveyor/${s.name}`)
          .query(statusQuery)
          .catch(() => undefined);
        if (!st?.observedAt) all = false;
      });
      return all;
    },
    pause: async (s) =>
      void (await sendAll(s, (x) => pausePipeline(stack.client, x.name, { reason: 'bench', by: 'bench' }))),
    resume: (s) => spread(s, SCALE_TICK_MS, (x) => resumePipeline(stack.client, x.name, 'bench')),
    freeze: () => freezeAll(stack.client, stack.taskQueue, { reason: 'bench', by: 'bench' }),
    async unfreeze(s) {
      const at = Date.now();
      await unfreezeAll(stack.client, stack.taskQueue, 'bench');
      return new Map(s.map((x) => [x.name, at]));
    },
    approval: {
      async require(s) {
        const asking = s.map((x) => ({
          ...x,
          checks: { ...x.checks, [x.stages[1]]: { ...x.checks?.[x.stages[1]], approval: { approvers: [EVERYONE] } } },
        }));
        await applyServices(stack.client, asking, stack.taskQueue);
      },
      lift: async (s) => void (await applyServices(stack.client, s, stack.taskQueue)),
      // A pipeline that has not yet seen its release wait at the gate refuses the approval: asked again
      // for a while (the event is the approval it took), then left out and counted as missed.
      async approve(s) {
        const sent = new Map<string, number>();
        await inBatches(s, 25, async (x) => {
          for (const deadline = Date.now() + 10_000; ; await sleep(250)) {
            const at = Date.now();
            try {
              await approveRelease(stack.client, x.name, { stage: x.stages[1], by: 'bench' });
              return void sent.set(x.name, at);
            } catch (error) {
              if (Date.now() > deadline) return log(`approve ${x.name}: ${(error as Error).message}`);
            }
          }
        });
        return sent;
      },
    },
    async blackout(s, until) {
      const minute = new Date(until).toISOString().slice(0, 16);
      const closed = s.map((x) => ({
        ...x,
        windows: {
          windows: [],
          blackouts: [{ from: new Date().toISOString().slice(0, 10), to: minute, reason: 'bench' }],
        },
      }));
      await applyServices(stack.client, closed, stack.taskQueue);
    },
    historyEvents: (s) => historyEvents(stack.client, s),
    saveHistories: (s, dir) => saveHistories(stack.client, s, dir),
    async stop() {
      await inBatches(services, 25, (s) =>
        stack.client.workflow
          .getHandle(`conveyor/${s.name}`)
          .terminate('bench finished')
          .catch(() => undefined),
      );
      await ended(proc, exited);
    },
  };
}

// ---------------------------------------------------------------------------------------------

interface Env {
  server: DevServer;
  bundlePath: string;
}

interface Prepared {
  stack: Stack;
  services: Service[];
  running: Running;
  /** Promotion POSTs as they arrived. */
  posts: ArrivedRequest[];
  /**
   * Pipeline and app names by id, read once: they do not change during a run, and a snapshot of the
   * sandbox (a deep copy of all its state) taken for every POST while a burst was still posting took
   * a third of a core from the very moment it measured.
   */
  names: { pipelines: ReadonlyMap<string, string>; apps: ReadonlyMap<string, string> };
  stop(): Promise<void>;
}

async function prepare(
  env: Env,
  contender: string,
  count: number,
  base: string,
  config: { minAgeMs: number; tickMs: number; factor: number; workerEnv?: NodeJS.ProcessEnv },
): Promise<Prepared> {
  const stack = await startStack({
    server: env.server,
    worker: false,
    promotionDelayMs: PROMOTION_DELAY_MS,
    releasePhaseMs: RELEASE_PHASE_MS,
  });
  const posts: ArrivedRequest[] = [];
  const off = stack.sandbox.onRequest((r) => {
    if (r.endpoint === 'POST /pipeline-promotions') posts.push(r);
  });
  let running: Running | undefined;
  try {
    stack.sandbox.scenario.setRateLimit({ bucket: 1e12, refillPerMinute: 1e12, remaining: 1e12 });
    const services: Service[] = [];
    const stageNames = (name: string) =>
      Array.from({ length: STAGES }, (_, i) => `${name}-s${String(i + 1).padStart(2, '0')}`);
    for (let i = 0; i < count; i++) {
      const name = `${base}${i}`;
      services.push(
        await stack.prepare(name, {
          stages: stageNames(name),
          minAgeMs: config.minAgeMs,
          tickMs: config.tickMs,
          // conveyor's fallback poll while webhooks reach a pipeline (10 minutes), compressed like the tick.
          webhookTickMs: Math.max(config.tickMs, 600_000 / config.factor),
        }),
      );
    }
    running =
      contender === 'baseline'
        ? await startBaseline(stack, services, config.minAgeMs, config.tickMs)
        : await startConveyor(stack, services, env.bundlePath, contender === 'webhooks', config.workerEnv ?? {});
    // Three minutes, or 4 s a pipeline beyond 45 (100 pipelines of 12 stages on a shared 2-core machine).
    await until(
      () => running!.observed(),
      Math.max(180_000, count * 4_000),
      `${contender}: every pipeline observed`,
      1_000,
    );
    const r = running;
    const { pipelines, apps } = stack.sandbox.scenario.snapshot();
    return {
      stack,
      services,
      running: r,
      posts,
      names: {
        pipelines: new Map(Object.values(pipelines).map((x) => [x.id, x.name])),
        apps: new Map(Object.values(apps).map((x) => [x.id, x.name])),
      },
      async stop() {
        off();
        await r.stop();
        await stack.stop();
      },
    };
  } catch (error) {
    off();
    await running?.stop().catch(() => undefined);
    await stack.stop();
    throw error;
  }
}

interface Window {
  heroku: number;
  github: number;
  http429: number;
  cpuPercent: number;
  rssMb: number;
  /** The worker's peak RSS so far (conveyor's worker only). */
  peakRssMb?: number;
  historyEvents: number | undefined;
  elapsedMs: number;
  /** Requests by endpoint, answers by status. */
  counts: Record<string, number>;
  answers: Record<string, number>;
  /** conveyor's Heroku calls by activity type in the window (its budget's tally). */
  budget?: Record<string, Tally>;
}

function tallyDelta(before: Record<string, Tally> = {}, after: Record<string, Tally> = {}): Record<string, Tally> {
  const zero: Tally = { granted: 0, taken: 0, gaveUp: 0, limited: 0 };
  return Object.fromEntries(
    Object.entries(after).map(([kind, t]) => {
      const b = before[kind] ?? zero;
      return [
        kind,
        {
          granted: t.granted - b.granted,
          taken: t.taken - b.taken,
          gaveUp: t.gaveUp - b.gaveUp,
          limited: t.limited - b.limited,
        },
      ];
    }),
  );
}

/** Counts what happens while `during` runs (or for `ms`). */
async function measure(p: Prepared, during: number | (() => Promise<void>)): Promise<Window> {
  const history0 = await p.running.historyEvents(p.services.slice(0, 10));
  p.stack.sandbox.resetCounts();
  const u0 = await p.running.usage();
  const t0 = Date.now();
  if (typeof during === 'number') await sleep(during);
  else await during();
  const elapsedMs = Date.now() - t0;
  const u1 = await p.running.usage();
  const counts = p.stack.sandbox.requestCounts();
  const answers = p.stack.sandbox.answerCounts();
  const history1 = await p.running.historyEvents(p.services.slice(0, 10));
  const cpu = u1.cpu.user + u1.cpu.system - (u0.cpu.user + u0.cpu.system);
  return {
    heroku: herokuTotal(counts),
    github: githubTotal(counts),
    http429: answers['429'] ?? 0,
    cpuPercent: round((cpu / (elapsedMs * 1000)) * 100, 1),
    rssMb: round(u1.memory.rss / 2 ** 20, 0),
    ...('maxRssKb' in u1 ? { peakRssMb: round((u1 as WorkerUsage).maxRssKb / 1024, 0) } : {}),
    // Per pipeline of the sample (at most 10).
    historyEvents:
      history0 === undefined || history1 === undefined
        ? undefined
        : (history1 - history0) / Math.min(10, p.services.length),
    elapsedMs,
    counts,
    answers,
    ...(u1.budget ? { budget: tallyDelta(u0.budget, u1.budget) } : {}),
  };
}

/** Merges each pipeline every `everyMs` (staggered) while `ms` passes; answers the merges made and each pipeline's last. */
async function mergeEvery(
  p: Prepared,
  everyMs: number,
  ms: number,
): Promise<{ merges: number; last: Map<string, string> }> {
  const end = Date.now() + ms;
  let merges = 0;
  const last = new Map<string, string>();
  const offset = everyMs / p.services.length;
  await Promise.all(
    p.services.map(async (s, i) => {
      await sleep(i * offset);
      while (Date.now() < end) {
        last.set(s.name, (await p.stack.sandbox.scenario.merge(s.pipeline)).sha);
        merges++;
        await sleep(everyMs);
      }
    }),
  );
  return { merges, last };
}

const running12th = (p: Prepared, s: Service) =>
  p.stack.sandbox.scenario.releases(s.stages.at(-1)!).find((r) => r.current)?.commit;
const runningFirst = (p: Prepared, s: Service) =>
  p.stack.sandbox.scenario.releases(s.stages[0]).find((r) => r.current)?.commit;

/** Merges every pipeline at once; answers each one's merge-to-12th-stage time minus the soaks, in s. */
async function leadTimes(p: Prepared, soakMs: number): Promise<{ overheadS: number[]; missed: number }> {
  const merged = new Map<string, { sha: string; at: number }>();
  await Promise.all(
    p.services.map(async (s) => {
      const at = Date.now();
      merged.set(s.name, { sha: (await p.stack.sandbox.scenario.merge(s.pipeline)).sha, at });
    }),
  );
  const arrived = new Map<string, number>();
  const deadline = Date.now() + 11 * soakMs + 120_000;
  while (arrived.size < p.services.length && Date.now() < deadline) {
    for (const s of p.services)
      if (!arrived.has(s.name) && running12th(p, s) === merged.get(s.name)!.sha) arrived.set(s.name, Date.now());
    await sleep(25);
  }
  const overheadS = [...arrived].map(([name, at]) => (at - merged.get(name)!.at - 11 * soakMs) / 1000);
  return { overheadS, missed: p.services.length - arrived.size };
}

/** The pipeline (its workflow id) a promotion POST is for. */
function postWorkflowId(p: Prepared, post: ArrivedRequest): string | undefined {
  const id = (JSON.parse(post.body) as { pipeline?: { id?: string } }).pipeline?.id;
  const name = id ? p.names.pipelines.get(id) : undefined;
  const service = p.services.find((s) => s.pipeline === name);
  return service ? `conveyor/${service.name}` : undefined;
}

const latencies = (events: Opening[]) => events.map((e) => e.postAt - e.at);

/** Age gate: each promotion POST since `from`, and the moment its source release had run for minAge. */
function ageEvents(p: Prepared, from: number, minAgeMs: number): Opening[] {
  const { releases } = p.stack.sandbox.scenario.snapshot();
  return p.posts
    .filter((post) => post.at >= from)
    .flatMap((post) => {
      const id = (JSON.parse(post.body) as { source?: { release?: { id?: string } } }).source?.release?.id;
      const release = id ? releases[id] : undefined;
      const at = release ? Date.parse(release.updatedAt) + minAgeMs : undefined;
      return at !== undefined ? [{ workflowId: postWorkflowId(p, post) ?? '', at, postAt: post.at }] : [];
    });
}

/** The first promotion POST of each pipeline after its gate opened (resume or unfreeze sent). */
function openingEvents(p: Prepared, opened: Map<string, number>, into?: (s: Service) => string): Opening[] {
  const first = new Map<string, Opening>();
  for (const post of p.posts) {
    const body = JSON.parse(post.body) as { pipeline?: { id?: string }; targets?: { app?: { id?: string } }[] };
    const id = body.pipeline?.id;
    const name = id ? p.names.pipelines.get(id) : undefined;
    const service = into && p.services.find((s) => s.pipeline === name);
    if (service && !body.targets?.some((t) => p.names.apps.get(t.app?.id ?? '') === into(service))) continue;
    const at = name ? opened.get(name) : undefined;
    if (name && at !== undefined && post.at >= at && !first.has(name))
      first.set(name, { workflowId: postWorkflowId(p, post) ?? '', at, postAt: post.at });
  }
  return [...first.values()];
}

/** Holds (pause or freeze), merges everywhere, waits until stage 1 runs it and has soaked, opens. */
async function heldThenOpened(
  p: Prepared,
  soakMs: number,
  tickMs: number,
  hold: () => Promise<void>,
  open: () => Promise<Map<string, number>>,
  into?: (s: Service) => string,
): Promise<Opening[]> {
  // The merge before has reached every 12th stage: no promotion of it competes with the one measured.
  // One that is stuck (an opening that missed) is logged, not waited for.
  await until(
    () => p.services.every((s) => running12th(p, s) === runningFirst(p, s)),
    11 * soakMs + 120_000,
    'the last merge on every 12th stage',
    250,
  ).catch((error: Error) => log(error.message));
  await hold();
  await sleep(1_000);
  const shas = new Map<string, string>();
  await Promise.all(
    p.services.map(async (s) => shas.set(s.name, (await p.stack.sandbox.scenario.merge(s.pipeline)).sha)),
  );
  await until(
    () =>
      p.services.every(
        (s) => p.stack.sandbox.scenario.releases(s.stages[0]).find((r) => r.current)?.commit === shas.get(s.name),
      ),
    60_000,
    'the merges running on the first stage',
  );
  // Whole-second timestamps; and a tick more, so a polling contender has seen the merge before it opens.
  await sleep(soakMs + 1_000 + tickMs);
  const opened = await open();
  // Until every pipeline posted, or long enough that one that did not is a finding (counted as missed).
  const deadline = Date.now() + Math.max(OPENING_WAIT_MS, tickMs * 3);
  // Looked at after a second, not at once: the bench's own reading must not share the burst's CPU.
  do await sleep(1_000);
  while (Date.now() < deadline && openingEvents(p, opened, into).length < opened.size);
  return openingEvents(p, opened, into);
}

/** The latency of each opening, and how many pipelines posted nothing after theirs. */
function openingLatencies(p: Prepared, openings: Opening[]): Dist | null {
  const missed = p.services.length - openings.length;
  const d = dist(latencies(openings)) ?? (missed > 0 ? { n: 0, p50: 0, p99: 0, max: 0 } : null);
  return d && missed > 0 ? { ...d, missed } : d;
}

async function scaleRun(env: Env, contender: string, count: number): Promise<ScaleRun> {
  log(`${contender}: scale, ${count} pipelines...`);
  const tracesFile =
    values.traces && contender !== 'baseline' ? join(values.out, `traces-${contender}-${count}.jsonl`) : undefined;
  if (tracesFile) rmSync(tracesFile, { force: true });
  const p = await prepare(env, contender, count, `k${count}`, {
    minAgeMs: SOAK_MS,
    tickMs: SCALE_TICK_MS,
    factor: SCALE_FACTOR,
    // --worker-memory-mb: the worker told its dyno's memory, as Heroku tells it (MEMORY_AVAILABLE).
    workerEnv: {
      ...(tracesFile ? { CONVEYOR_TRACES_FILE: tracesFile } : {}),
      ...(values['worker-memory-mb'] ? { MEMORY_AVAILABLE: values['worker-memory-mb'] } : {}),
    },
  });
  let traced: Record<string, Opening[]> = {};
  try {
    await sleep(SCALE_TICK_MS);
    const idle = await measure(p, IDLE_MS);
    const idleHours = (idle.elapsedMs * SCALE_FACTOR) / 3_600_000;
    const leadFrom = Date.now();
    let lead = { overheadS: [] as number[], missed: 0 };
    const busy = await measure(p, async () => {
      lead = await leadTimes(p, SOAK_MS);
    });
    const ageOpenings = ageEvents(p, leadFrom, SOAK_MS);
    const age = latencies(ageOpenings);
    const resumeOpenings = await heldThenOpened(
      p,
      SOAK_MS,
      SCALE_TICK_MS,
      () => p.running.pause(p.services),
      () => p.running.resume(p.services),
    );
    const unfreezeOpenings = await heldThenOpened(
      p,
      SOAK_MS,
      SCALE_TICK_MS,
      () => p.running.freeze(),
      () => p.running.unfreeze(p.services),
    );

    const { approval } = p.running;
    const approvalOpenings = approval
      ? await heldThenOpened(
          p,
          SOAK_MS,
          SCALE_TICK_MS,
          () => approval.require(p.services),
          () => approval.approve(p.services),
          (s) => s.stages[1],
        ).finally(() => approval.lift(p.services))
      : undefined;
    // A window opening: the blackout ends on a whole minute, set once the merge before has settled,
    // far enough ahead for the next merge to soak behind it.
    const { blackout } = p.running;
    let windowEnd = 0;
    const windowOpenings = blackout
      ? await heldThenOpened(
          p,
          SOAK_MS,
          SCALE_TICK_MS,
          () => {
            windowEnd = Math.ceil((Date.now() + SOAK_MS + SCALE_TICK_MS + 30_000) / 60_000) * 60_000;
            return blackout(p.services, windowEnd);
          },
          async () => {
            // The merge must have soaked before the window opens, or the wait measured is the soak's.
            if (Date.now() > windowEnd - 1_000) log(`the window opened before the merge had soaked: raise its margin`);
            await sleep(windowEnd - Date.now());
            return new Map(p.services.map((x) => [x.name, windowEnd]));
          },
        )
      : undefined;
    traced = {
      'age -> POST': ageOpenings,
      'resume -> POST': resumeOpenings,
      'unfreeze -> POST': unfreezeOpenings,
      ...(approvalOpenings ? { 'approval -> POST': approvalOpenings } : {}),
      ...(windowOpenings ? { 'window opens -> POST': windowOpenings } : {}),
    };
    return {
      pipelines: count,
      herokuPerHour: round(idle.heroku / idleHours, 0),
      githubPerHour: round(idle.github / idleHours, 0),
      leadOverheadS: dist(lead.overheadS),
      leadMissed: lead.missed,
      ageToPostMs: dist(age),
      resumeToPostMs: openingLatencies(p, resumeOpenings),
      unfreezeToPostMs: openingLatencies(p, unfreezeOpenings),
      approvalToPostMs: approvalOpenings ? openingLatencies(p, approvalOpenings) : null,
      windowToPostMs: windowOpenings ? openingLatencies(p, windowOpenings) : null,
      idleCpuPercent: idle.cpuPercent,
      busyCpuPercent: busy.cpuPercent,
      rssMb: busy.rssMb,
      ...(busy.peakRssMb !== undefined ? { peakRssMb: busy.peakRssMb } : {}),
      idleHistoryPerPipelineHour: idle.historyEvents === undefined ? null : round(idle.historyEvents / idleHours, 1),
    };
  } finally {
    const historiesDir = join(values.out, `histories-${contender}-${count}`);
    const saved = values.histories && p.running.saveHistories;
    if (saved) {
      await saved(p.services, historiesDir).catch((error) => log(`could not save the histories: ${error}`));
      writeFileSync(join(historiesDir, 'openings.json'), JSON.stringify(traced));
      const histories = readHistories(historiesDir);
      for (const [what, openings] of Object.entries(traced))
        log(`${contender} ${count} histories: ${what}: ${describeSteps(historyBreakdown(histories, openings))}`);
    }
    await p.stop();
    // The worker has flushed its spans as it stopped.
    if (tracesFile) {
      const spans = readSpans(tracesFile);
      for (const [what, openings] of Object.entries(traced))
        log(`${contender} ${count} traces: ${describe(what, breakdown(spans, openings))}`);
    }
  }
}

async function costRun(env: Env, contender: string): Promise<ContenderReport['cost']> {
  log(`${contender}: cost, ${COST} pipelines...`);
  const p = await prepare(env, contender, COST, 'c', { minAgeMs: MIN_AGE_MS, tickMs: TICK_MS, factor: FACTOR });
  try {
    await sleep(TICK_MS * 2);
    const idle = await measure(p, hourMs(HOURS));
    let merges = 0;
    // At least an hour, so that merges soak (30 min) and move on within the window.
    const mergingHours = Math.max(1, HOURS);
    const busy = await measure(p, async () => {
      merges = (await mergeEvery(p, MERGE_EVERY_MS, hourMs(mergingHours))).merges;
    });
    const perPipelineHour = (n: number, hours = HOURS) => round(n / COST / hours, 1);
    return {
      pipelines: COST,
      idleHerokuPerPipelineHour: perPipelineHour(idle.heroku),
      mergingHerokuPerPipelineHour: perPipelineHour(busy.heroku, mergingHours),
      idleGithubPerPipelineHour: perPipelineHour(idle.github),
      mergingGithubPerPipelineHour: perPipelineHour(busy.github, mergingHours),
      idleHistoryPerPipelineHour: idle.historyEvents === undefined ? null : round(idle.historyEvents / HOURS, 1),
      mergingHistoryPerPipelineHour:
        busy.historyEvents === undefined ? null : round(busy.historyEvents / mergingHours, 1),
      promotionPosts: p.posts.length,
      merges,
    };
  } finally {
    await p.stop();
  }
}

async function poolRun(env: Env, contender: string): Promise<ContenderReport['pool']> {
  const share = POOL / POOL_OF;
  const bucket = Math.max(1, Math.round(4500 * share));
  const refillPerMinute = Math.max(1, Math.round(75 * share * FACTOR));
  log(`${contender}: shared pool, ${POOL} pipelines, bucket ${bucket}, refill ${round(refillPerMinute, 1)}/min...`);
  // conveyor's budget is told the same pool (a whole number of tokens and of tokens a minute), as an
  // operator sets CONVEYOR_HEROKU_POOL and CONVEYOR_HEROKU_REFILL_PER_MINUTE for their account.
  const p = await prepare(env, contender, POOL, 'p', {
    minAgeMs: MIN_AGE_MS,
    tickMs: TICK_MS,
    factor: FACTOR,
    workerEnv: { CONVEYOR_HEROKU_POOL: String(bucket), CONVEYOR_HEROKU_REFILL_PER_MINUTE: String(refillPerMinute) },
  });
  try {
    p.stack.sandbox.scenario.setRateLimit({ bucket, refillPerMinute, remaining: bucket });
    const since = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const postsBefore = p.posts.length;
    let merged = { merges: 0, last: new Map<string, string>() };
    const w = await measure(p, async () => {
      merged = await mergeEvery(p, MERGE_EVERY_MS, hourMs(POOL_HOURS));
    });
    const windowPosts = p.posts.length - postsBefore;
    log(
      `${contender}: merging window: ${windowPosts} promotions posted, ${w.heroku} Heroku requests, ${w.http429} x 429`,
    );
    log(`${contender}: requests ${JSON.stringify(w.counts)}`);
    if (w.budget) log(`${contender}: budget ${JSON.stringify(w.budget)}`);
    // Drain: no more merges; every change arrived once each pipeline's 12th stage runs its newest merge.
    const arrived = new Map<string, number>();
    const drainPostsBefore = p.posts.length;
    const drain = await measure(p, async () => {
      const stopped = Date.now();
      const deadline = stopped + hourMs(DRAIN_HOURS);
      while (arrived.size < p.services.length && Date.now() < deadline) {
        for (const s of p.services)
          if (!arrived.has(s.name) && running12th(p, s) === merged.last.get(s.name))
            arrived.set(s.name, ((Date.now() - stopped) * FACTOR) / 3_600_000);
        await sleep(250);
      }
    });
    const drainPosts = p.posts.length - drainPostsBefore;
    log(
      `${contender}: drain: ${arrived.size} of ${POOL} arrived in ${round((drain.elapsedMs * FACTOR) / 3_600_000)} h, ${drainPosts} promotions posted, ${drain.heroku} Heroku requests, ${drain.http429} x 429`,
    );
    log(`${contender}: requests ${JSON.stringify(drain.counts)}`);
    if (drain.budget) log(`${contender}: budget ${JSON.stringify(drain.budget)}`);
    // Promotions delivered: promotion targets that succeeded, of promotions posted since the pool was set.
    const delivered = p.stack.sandbox.scenario
      .promotions()
      .filter((x) => x.createdAt >= since)
      .reduce((n, x) => n + x.targets.filter((t) => t.status === 'succeeded').length, 0);
    const posts = windowPosts + drainPosts;
    // What one promotion costs by itself: its activity's calls (and release watches), per POST.
    const promotionCalls = (t?: Record<string, Tally>) =>
      t
        ? ['promote', 'awaitRelease'].reduce(
            (n, kind) => n + (t[kind]?.granted ?? 0) + (t[kind]?.taken ?? 0) + (t[kind]?.limited ?? 0),
            0,
          )
        : undefined;
    const [windowCalls, drainCalls] = [promotionCalls(w.budget), promotionCalls(drain.budget)];
    const drainHours = (drain.elapsedMs * FACTOR) / 3_600_000;
    return {
      pipelines: POOL,
      bucket,
      refillPerMinute: round(refillPerMinute, 2),
      hours: POOL_HOURS,
      herokuRequests: w.heroku,
      http429: w.http429,
      merges: merged.merges,
      promotionsDelivered: delivered,
      promotionPosts: windowPosts,
      cpuPercent: w.cpuPercent,
      rssMb: w.rssMb,
      drain: {
        maxHours: DRAIN_HOURS,
        hours: round(drainHours, 2),
        arrived: arrived.size,
        arrivalHours: dist([...arrived.values()]),
        herokuRequests: drain.heroku,
        http429: drain.http429,
        promotionPosts: drainPosts,
        requestsPerPromotion: posts > 0 ? round((w.heroku + drain.heroku) / posts, 1) : null,
        promotionRequestsPerPromotion:
          posts > 0 && windowCalls !== undefined && drainCalls !== undefined
            ? round((windowCalls + drainCalls) / posts, 1)
            : null,
        promotionsPerPipelineHour: round(drainPosts / POOL / Math.max(drainHours, 1e-9), 2),
      },
    };
  } finally {
    await p.stop();
  }
}

// ---------------------------------------------------------------------------------------------

/** What follows the bench's tables in the existing results.md: hand-written sections and the waves run's. */
function keptSections(file: string): string {
  try {
    return sectionsAfterTables(readFileSync(file, 'utf8'));
  } catch {
    return '';
  }
}

/** results.md and results.png from a report. */
async function write(report: BenchReport): Promise<string> {
  const file = join(values.out, 'results.md');
  // The sections after the tables are another run's or written by hand: kept as they were.
  const kept = keptSections(file);
  const markdown = resultsMarkdown(report) + (kept ? `\n${kept}` : '');
  writeFileSync(file, markdown);
  const series = (pick: (s: ScaleRun) => number | null) =>
    report.contenders
      .filter((c) => c.available)
      .map((c) => ({ label: c.name, points: c.scale.map((s): [number, number | null] => [s.pipelines, pick(s)]) }));
  const st = report.settings;
  await writeChart(join(values.out, 'results.png'), {
    title: 'conveyor vs a cedar-style poller (12-stage pipelines, sandbox Heroku)',
    note: `tick ${st.scaleTickS} s standing for 60 s (time x${60 / st.scaleTickS}), requests per hour of pipeline time while idle (${st.idleS} s); lead time: merge to the 12th stage minus 11 soaks of ${st.soakS} s, median; ${st.machine}`,
    requestsPerHour: series((s) => s.herokuPerHour),
    leadTimeS: series((s) => s.leadOverheadS?.p50 ?? null),
  });
  return markdown;
}

// --from FILE: write results.md and results.png again from a report saved with --json, running nothing.
if (values.from) {
  const saved = JSON.parse(readFileSync(values.from, 'utf8')) as BenchReport;
  console.log(await write(saved));
  process.exit(0);
}

const began = Date.now();
const server = await ensureDevServer({ address: `127.0.0.1:${await freePort()}`, headless: true, dbFile: null });
const bundleDir = mkdtempSync(join(tmpdir(), 'conveyor-bench-'));
let code = 0;
try {
  log(`Temporal dev server at ${server.address}`);
  const bundlePath = join(bundleDir, 'workflows.js');
  // Traced, the bundle carries the OpenTelemetry workflow interceptors (a prebuilt bundle has them only if built with them).
  const tracedBundle = () =>
    bundleWorkflowCode({
      workflowsPath,
      workflowInterceptorModules: workflowTracingModules(),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
    });
  writeFileSync(bundlePath, (await (values.traces ? tracedBundle() : workflowBundle())).code);
  const env: Env = { server, bundlePath };
  const contenders: ContenderReport[] = [];
  for (const name of CONTENDERS) {
    const report: ContenderReport = { name, available: true, scale: [], failures: [] };
    if (RUNS.has('cost')) report.cost = await attempt(report, 'cost', () => costRun(env, name));
    for (const n of RUNS.has('scale') ? SIZES : []) {
      const run = await attempt(report, `scale ${n}`, () => scaleRun(env, name, n));
      if (run) report.scale.push(run);
    }
    if (RUNS.has('pool')) report.pool = await attempt(report, 'pool', () => poolRun(env, name));
    contenders.push(report);
  }
  const report: BenchReport = {
    settings: {
      factor: FACTOR,
      tickS: TICK_MS / 1000,
      minAgeS: MIN_AGE_MS / 1000,
      mergeEveryS: MERGE_EVERY_MS / 1000,
      hours: HOURS,
      poolHours: POOL_HOURS,
      soakS: SOAK_MS / 1000,
      scaleTickS: SCALE_TICK_MS / 1000,
      idleS: IDLE_MS / 1000,
      stages: STAGES,
      sizes: SIZES,
      pool: POOL,
      poolOf: POOL_OF,
      cost: COST,
      promotionDelayMs: PROMOTION_DELAY_MS,
      releasePhaseMs: RELEASE_PHASE_MS,
      machine: `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), shared`,
      budget: budgetNote(),
    },
    contenders,
    elapsedS: 0,
  };
  report.elapsedS = Math.round((Date.now() - began) / 1000);
  const markdown = await write(report);
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(markdown);
  log(`wrote ${join(values.out, 'results.md')} and results.png in ${report.elapsedS} s`);
} catch (error) {
  console.error(error);
  code = 1;
} finally {
  await server.stop();
  rmSync(bundleDir, { recursive: true, force: true });
}
process.exit(code);

/** One run, tried twice (this machine is shared: a run can lose its worker); a run that fails twice is reported as such. */
async function attempt<T>(report: ContenderReport, what: string, run: () => Promise<T>): Promise<T | undefined> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (error) {
      const message = `${what}: ${(error as Error).message}`;
      log(`${report.name}: ${message}${i < 2 ? ' (trying again)' : ''}`);
      if (i >= 2) {
        report.failures!.push(message);
        return undefined;
      }
    }
  }
}

/** The worker's shared Heroku request budget, as config/budget-settings.ts sets it by default. */
function budgetNote(): string {
  const { heroku } = budgetSettings({});
  return `one per token, shared by every Heroku call of the worker: pool ${heroku.pool}, ${heroku.refillPerMinute} a minute, ${heroku.reserve} kept for people (set to the sandbox's pool in the pool run)`;
}
