// The chaos engine (never promote wrongly, never get stuck): a
// bounded, seeded run of random operator actions, code changes, config changes, incidents and API
// faults over one real stack (sandbox + worker + Temporal server), checking conveyor's safety and
// liveness invariants against the sandbox's own records after every step.
//
// The sandbox is ground truth: scenario.promotions() and releases() say what really happened on
// "Heroku", and sandbox.onRequest tells the moment each promotion's POST was sent (before any latency
// fault). The workflows' status adds what they cannot: who decided a promotion (by hand or not) and
// when. A background recorder polls both sandbox lists every 50 ms.
//
// Seeded: a seed fixes the plan (test/chaos/plan.ts: every action's kind and parameters, every wait)
// and the faults' random streams; what the workflows make of it still depends on timing.
//
// The invariants, exactly ("posted" is the moment the POST reached Heroku; GRACE_MS covers a signal or
// an incident reaching a decision, and a POST already on the wire):
// - branch: a promotion's source commit is on main (the initial commit or a merge the run made);
//   hotfix, feature-branch and unknown (hand-built) commits never are. A hand promotion that skipped
//   the branch gate is a note.
// - forward: an automatic promotion is never posted onto a stage whose newest release (running or
//   releasing) had been there GRACE_MS or more and is a hotfix, has no known commit (a tarball slug
//   or no slug), or runs a newer commit of main than the promoted one; nor decided over a hotfix or an
//   unknown release the workflow itself recorded as the target's current release.
// - hold: no automatic promotion is decided or posted while its service is paused, all are frozen,
//   an incident is open or a blackout is on, GRACE_MS after the hold began, whenever it was decided
//   (a promotion decided before a hold must not be posted once it began); no promotion of a rejected
//   commit is posted, by hand or not. A promotion by hand posted during a pause, freeze or blackout
//   is allowed (it overrules them); one decided before the hold began is a note.
// - config: every promotion goes between adjacent stages of the configuration in force when posted
//   (or in force GRACE_MS before); a configuration is in force once its reconfigure update was answered.
// - in-flight: never two promotions into one target at once (the second appeared before the first's
//   target release settled).
// - exactly-once: never the same slug into the same target twice, the second not by hand.
// - soak: an automatic promotion's source release had run on its stage (from the updated_at of its
//   success; releases of the same slug before it count) for the minAge in force when it was posted.
// - flow: during a merge storm on the first stage (merges a third of the soak apart), a release of
//   the storm reaches the next stage before the storm ends (unless a hold, a fault that fired, an
//   off-branch or hand-made release on that stage, a config change, or a rate-limit storm that emptied
//   Heroku's pool in the 12 minutes before (conveyor keeps off the reserve meanwhile) explains it: then a note).
// - manual: a promotion by hand only comes from a request that was answered "started".
// - answered: every update (promote, reject, unreject) is answered within updateBoundMs.
// - reconciling: every pipeline observes again after the run (its status' observedAt moves on).
// - workflow: every pipeline workflow still runs at the end.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { temporal } from '@temporalio/proto';
import {
  applyServices,
  freezeAll,
  pausePipeline,
  promoteManually,
  rejectCommit,
  resumePipeline,
  unfreezeAll,
  unrejectCommit,
} from '../../client/pipelines';
import { startHealthSandbox, type HealthSandbox } from '../../sandbox/health';
import type { FaultKind, FaultTotals } from '../../sandbox/faults/faults';
import type { ScenarioPromotion } from '../../sandbox/scenario/scenario';
import { pairsOf, type Service } from '../../domain/service';
import type { DevServer } from '../../temporal/dev-server';
import type { PipelineStatus, PromotionRecord } from '../../domain/status';
import { startStack, status, uniqueName, type Stack } from '../support/stack';
import {
  describeAction,
  malformedConfig,
  Planner,
  PROMOTE,
  PROMOTE_READS,
  type Action,
  type ConfigChange,
  type EventKind,
  type ManualCommit,
  type SlowHold,
} from './plan';
import { postMoment } from './post-moment';

/** Where a promotion into `app` comes from: the stage before, or the first app of the wave before. */
const sourceOf = (config: Service, app: string): string =>
  pairsOf(config).find((pair) => pair.to === app)?.from ?? config.stages[config.stages.indexOf(app) - 1];

export { planText, describeAction, malformedConfig, DEFAULT_WEIGHTS, type EventKind } from './plan';

// ---------------------------------------------------------------------------------------------
// Options and report

export interface ChaosOptions {
  seed: number;
  /** Random actions to take (scheduled ends of holds, faults and hotfixes come on top). */
  steps: number;
  /** Services, each with its own pipeline (default 3). */
  services?: number;
  /** How many of the services (the last ones) run on Heroku's Fir generation, OCI images instead of slugs (default 1). */
  firServices?: number;
  /** Stages per service (default 4). */
  stages?: number;
  /**
   * How many of the services (the first ones) lay their stages out in waves: the first app alone,
   * then waves of two apps ([s1], [s2, s3], [s4] for four), so promotions carry several targets and
   * a release leaves a wave once soaked on both of its apps (default 0).
   */
  waveServices?: number;
  /** The services' minimum age and tick (defaults 1s and 1s). */
  minAge?: string;
  tick?: string;
  /** The pause after each step, a random duration in this range (default [150, 1000] ms). */
  waitMs?: [number, number];
  /** How long the final settling may take (default 30 s). */
  settleMs?: number;
  /** The sandbox's release phase and promotion delay (defaults 300 and 200 ms). */
  releasePhaseMs?: number;
  promotionDelayMs?: number;
  /** Pipelines continue-as-new after this many history events (default 400), so handovers happen during the run. */
  historyCap?: number;
  /** Relative weights of the random actions (0 leaves a kind out); see DEFAULT_WEIGHTS. */
  weights?: Partial<Record<EventKind, number>>;
  /** How long an update may take to be answered (default 60 s). */
  updateBoundMs?: number;
  /** The Temporal server (the shared test server when absent). */
  server?: DevServer;
  /** Called every `progressEvery` steps (default 25). */
  onProgress?: (progress: ChaosProgress) => void;
  progressEvery?: number;
  /** Set to stop early (the run then settles and reports as usual). */
  signal?: AbortSignal;
  /** Where to write the run's evidence at its end (what the checker saw, every pipeline history); none when absent. */
  evidenceDir?: string;
  /** Keep the worker's warning for every failed activity attempt (thousands in a long run) off stderr (default true); they are counted instead. */
  muteActivityFailures?: boolean;
}

export interface ChaosProgress {
  step: number;
  steps: number;
  elapsedMs: number;
  promotions: number;
  faultsFired: number;
  violations: number;
}

export const INVARIANTS = [
  'branch',
  'forward',
  'hold',
  'config',
  'in-flight',
  'exactly-once',
  'soak',
  'flow',
  'manual',
  'answered',
  'reconciling',
  'workflow',
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface Violation {
  invariant: Invariant;
  /** The step after which the check first found it (0: the final check). */
  step: number;
  description: string;
}

/** Something the invariants allow but a reader should know of. */
export interface Note {
  kind: 'posted-during-hold' | 'by-hand-off-branch' | 'storm-exempt' | 'action-failed';
  step: number;
  description: string;
}

export interface ChaosReport {
  seed: number;
  steps: number;
  /** Every action taken, scheduled ones included, by kind. */
  actions: Record<string, number>;
  /** sha-256 of the plan: the same seed gives the same plan, hence the same hash. */
  planHash: string;
  elapsedMs: number;
  services: string[];
  faults: {
    injected: number;
    injectedByKind: Partial<Record<FaultKind, number>>;
    fired: number;
    firedByKind: FaultTotals['byKind'];
    totals: FaultTotals;
  };
  /** `severalTargets`: promotions into the apps of a wave, one promotion with several targets. */
  promotions: {
    total: number;
    automatic: number;
    byHand: number;
    severalTargets: number;
    perService: Record<string, number>;
  };
  /** How long a freeze took to reach every pipeline (status.frozen set), per freeze. */
  freezeReachMs: number[];
  manual: { requested: number; started: number };
  /** Updates sent and answered within the bound, by kind. */
  updates: { sent: number; answered: number; byKind: Record<string, { sent: number; answered: number }> };
  /** Continue-as-new handovers of the pipeline workflows during the run. */
  handovers: number;
  /** Merge storms run and how many let a release of the storm through to the next stage. */
  storms: { run: number; flowed: number; exempt: number };
  /** Pipeline workflow tasks that timed out, failed or were retried (from the histories), oldest first. */
  workflowTasks: WorkflowTaskTrouble[];
  /** The workflows' promotion records by outcome (succeeded, failed, superseded, withdrawn, ...), as last seen. */
  decisions: Record<string, number>;
  /** Slow promotions: a hold was applied with a decided promotion not yet posted. */
  slowPromotions: { run: number; caughtInFlight: number };
  /** Activity attempts that failed (the worker's "Activity failed" warnings), retried by Temporal. */
  activityFailures: number;
  /** The workflows' warnings for refused configure signals (the run sends malformed ones on purpose). */
  refusedConfigs: number;
  settled: boolean;
  unsettled: string[];
  violations: Violation[];
  /** Violations per invariant (every invariant listed, 0 included). */
  violationsByInvariant: Record<Invariant, number>;
  notes: Note[];
}

/** Grace at the edges of a hold: a signal or incident takes a moment to reach a decision. */
export const GRACE_MS = 1_000;
/** How long Heroku's pool takes to refill from empty to conveyor's reserve (20 % of 4,500 at 75 a minute). */
const RESERVE_REFILL_MS = ((0.2 * 4_500) / 75) * 60_000;
const POLL_MS = 50;
/** How often an operator tries to overwrite one hotfix or hand-made release. */
const MAX_REPAIRS = 8;

// ---------------------------------------------------------------------------------------------
// The recorder: ground truth, polled

interface SeenPromotion {
  promotion: ScenarioPromotion;
  /** Created after `after` and at or before `firstSeen` (both Date.now() of polls). */
  after: number;
  firstSeen: number;
  /** The first poll that found every target settled (succeeded or failed). */
  settledAt?: number;
}

interface SeenRelease {
  id: string;
  app: string;
  version: number;
  status: string;
  commit: string | null;
  /** The slug or (Fir) OCI image it runs. */
  buildId: string | null;
  description: string;
  updatedAt: string;
  after: number;
  firstSeen: number;
}

class Recorder {
  readonly promotions = new Map<string, SeenPromotion>();
  readonly releases = new Map<string, SeenRelease>();
  readonly byApp = new Map<string, SeenRelease[]>();
  readonly slugCommits = new Map<string, string | null>();
  /** When each POST /pipeline-promotions arrived, by `sourceReleaseId|targetAppId`. */
  readonly posts = new Map<string, number[]>();
  private last = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly stack: Stack,
    private readonly pipelines: Set<string>,
    private readonly apps: string[],
  ) {}

  start(): void {
    this.unlisten = this.stack.sandbox.onRequest((request) => {
      if (request.endpoint !== PROMOTE) return;
      try {
        const body = JSON.parse(request.body) as {
          source?: { release?: { id?: string } };
          targets?: { app?: { id?: string } }[];
        };
        for (const target of body.targets ?? []) {
          const key = `${body.source?.release?.id}|${target.app?.id}`;
          this.posts.set(key, [...(this.posts.get(key) ?? []), request.at]);
        }
      } catch {
        // not JSON: Heroku refuses it, nothing is promoted
      }
    });
    this.poll();
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.unlisten?.();
  }

  /** One look at the sandbox (synchronous: one consistent snapshot). */
  poll(): void {
    const { scenario } = this.stack.sandbox;
    const now = Date.now();
    for (const promotion of scenario.promotions()) {
      if (!this.pipelines.has(promotion.pipeline)) continue;
      let seen = this.promotions.get(promotion.id);
      if (!seen) this.promotions.set(promotion.id, (seen = { promotion, after: this.last, firstSeen: now }));
      seen.promotion = promotion;
      if (seen.settledAt === undefined && promotion.targets.every((t) => t.status !== 'pending')) seen.settledAt = now;
    }
    for (const app of this.apps) {
      for (const release of scenario.releases(app)) {
        let seen = this.releases.get(release.id);
        if (!seen) {
          seen = {
            id: release.id,
            app,
            version: release.version,
            status: release.status,
            commit: release.commit,
            buildId: release.slugId ?? release.ociImageId,
            description: release.description,
            updatedAt: release.updatedAt,
            after: this.last,
            firstSeen: now,
          };
          this.releases.set(release.id, seen);
          this.byApp.set(app, [...(this.byApp.get(app) ?? []), seen]);
          if (seen.buildId) this.slugCommits.set(seen.buildId, release.commit);
        }
        seen.status = release.status;
        seen.updatedAt = release.updatedAt;
      }
    }
    this.last = now;
  }

  /** When a promotion was created: after `lo`, at or before `hi` (ms). */
  window(seen: SeenPromotion): { lo: number; hi: number } {
    const stamp = Date.parse(seen.promotion.createdAt);
    return { lo: Math.max(seen.after, stamp), hi: Math.min(seen.firstSeen, stamp + 1_000) };
  }

  /** When the promotion's POST reached the sandbox (before any latency fault). */
  postedAt(seen: SeenPromotion, targetAppId: string): number {
    return postMoment(this.posts.get(`${seen.promotion.sourceRelease.id}|${targetAppId}`) ?? [], this.window(seen));
  }
}

// ---------------------------------------------------------------------------------------------
// The run

type RunHistory = { runId: string; history: temporal.api.history.v1.IHistory };

interface ChaosService {
  index: number;
  /** On Heroku's Fir generation: releases run OCI images. */
  fir: boolean;
  /** The service's own configuration (what `restore` sends back). */
  service: Service;
  /** Commits on main, in merge order: the initial one and every merge. */
  main: Map<string, number>;
  /** Commits that are not: hotfixes and feature-branch pushes. */
  off: Map<string, 'hotfix' | 'branch'>;
  /** The configurations sent, each in force from `at` (Date.now() before its signal). */
  configs: { at: number; service: Service; why: string }[];
  lastMerge: string;
}

interface Hold {
  kind: 'pause' | 'freeze' | 'incident' | 'blackout' | 'reject';
  /** Undefined: every service. */
  service?: string;
  /** A rejection holds one commit. */
  commit?: string;
  how: string;
  /** In force from here (the call that made it had returned)... */
  start: number;
  /** ...until here at least (taken before the call that ends it). */
  end?: number;
}

interface SentUpdate {
  tag: string;
  kind: 'promote' | 'reject' | 'unreject' | 'retry';
  service: string;
  what: string;
  sentAt: number;
  answeredAt?: number;
  /** The commit a promote request named. */
  commit?: string;
  /** The stage a retry was for. */
  stage?: string;
  /** started / not-started (a promote's answer), refused (validator or failure), done (reject, unreject, retry). */
  outcome?: 'started' | 'not-started' | 'refused' | 'done';
  message?: string;
}

/** A workflow task of a pipeline that did not complete (timed out, failed) or was retried, from its history. */
export interface WorkflowTaskTrouble {
  service: string;
  at: number;
  what: string;
}

interface Storm {
  service: string;
  from: string;
  to: string;
  start: number;
  end: number;
  releases: Set<string>;
  step: number;
  /** Fault rules that fired while it lasted. */
  faultsFired: string[];
  /** The pair's state in status when the storm ended. */
  pairAtEnd: string;
  judged?: boolean;
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 23);
const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 7) : 'none');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16);

async function within<T>(ms: number, work: Promise<T>): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Swallows (and counts) the worker's "Activity failed" warnings: the DefaultLogger writes each entry in one call. */
function muteActivityFailures(): { count(): number; refusedConfigs(): number; restore(): void } {
  const original = process.stderr.write;
  let count = 0;
  let refused = 0;
  process.stderr.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === 'string' && /\[WARN\] Activity failed/.test(chunk)) {
      count++;
      return true;
    }
    // The chaos run sends malformed configure signals on purpose: the workflow's warning for each is counted.
    if (typeof chunk === 'string' && /\[WARN\] configure signal (refused|ignored)/.test(chunk)) {
      refused++;
      return true;
    }
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  };
  return { count: () => count, refusedConfigs: () => refused, restore: () => void (process.stderr.write = original) };
}

/** The retry update, as `conveyor retry SERVICE --to STAGE` sends it. */
async function retryFailed(
  client: Stack['client'],
  service: string,
  request: { to: string; by: string; reason: string },
): Promise<string> {
  return client.workflow
    .getHandle(`conveyor/${service}`)
    .executeUpdate<string, [typeof request]>('retry', { args: [request] });
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const muted = options.muteActivityFailures === false ? undefined : muteActivityFailures();
  const count = options.services ?? 3;
  const stageCount = options.stages ?? 4;
  const health = await startHealthSandbox();
  let stack: Stack | undefined;
  let recorder: Recorder | undefined;
  try {
    stack = await startStack({
      server: options.server,
      releasePhaseMs: options.releasePhaseMs ?? 300,
      promotionDelayMs: options.promotionDelayMs ?? 200,
      // As deployed: every Heroku and GitHub call through the API budget, the pool never emptied by conveyor.
      budget: true,
    });
    stack.sandbox.faults.reseed(options.seed);
    const services: ChaosService[] = [];
    for (let index = 0; index < count; index++) {
      // prepare names four stages itself; other counts get names of their own.
      const prefix = uniqueName(`chaos${index}`);
      const fir = index >= count - Math.min(count, options.firServices ?? 1);
      const service = await stack.prepare(`chaos${index}`, {
        ...(fir ? { generation: 'fir' as const } : {}),
        minAge: options.minAge ?? '1s',
        tick: options.tick ?? '1s',
        incident: { herokuStatus: { url: health.herokuStatusUrl, systems: [] } },
        ...(stageCount === 4 ? {} : { stages: Array.from({ length: stageCount }, (_, i) => `${prefix}-s${i + 1}`) }),
      });
      if (index < (options.waveServices ?? 0)) {
        const [first, ...rest] = service.stages;
        const waves = [[first], ...rest.flatMap((app, i) => (i % 2 === 0 ? [rest.slice(i, i + 2)] : []))];
        service.waves = waves;
      }
      const initial = stack.sandbox.scenario.releases(service.stages[0])[0].commit!;
      services.push({
        index,
        service,
        fir,
        main: new Map([[initial, 0]]),
        off: new Map(),
        configs: [{ at: 0, service, why: 'initial' }],
        lastMerge: initial,
      });
      await stack.start(service, { maxHistoryEvents: options.historyCap ?? 400 });
    }
    const run = new Run(stack, health, services, options);
    recorder = run.recorder;
    const report = await run.go(started);
    return {
      ...report,
      activityFailures: muted?.count() ?? report.activityFailures,
      refusedConfigs: muted?.refusedConfigs() ?? report.refusedConfigs,
    };
  } finally {
    recorder?.stop();
    await stack?.stop().catch(() => undefined);
    await health.stop();
    muted?.restore();
  }
}

class Run {
  readonly recorder: Recorder;
  private readonly planner: Planner;
  private readonly records = new Map<string, Map<string, PromotionRecord>>();
  private readonly latest = new Map<string, PipelineStatus>();
  private readonly holds: Hold[] = [];
  private readonly violations = new Map<string, Violation>();
  private readonly notes = new Map<string, Note>();
  private readonly actions: Record<string, number> = {};
  private readonly injected: Partial<Record<FaultKind, number>> = {};
  private readonly plan = createHash('sha256');
  private readonly freezeReachMs: number[] = [];
  private readonly manual = { requested: 0, started: 0 };
  private readonly updates: SentUpdate[] = [];
  private readonly answering: Promise<unknown>[] = [];
  private readonly storms: Storm[] = [];
  private readonly slow = { run: 0, caughtInFlight: 0 };
  /** When each fault rule was in place (for the storms' exemptions). */
  private readonly faultSpans: { id: string; start: number; end?: number; kind?: FaultKind }[] = [];
  private readonly rejections = new Map<number, { service: string; commit: string }>();
  /** Repairs to try again (the last attempt did not start). */
  private readonly repairsDue: { s: ChaosService; stage: number; step: number; attempt: number }[] = [];
  private readonly minAgeMs: number;
  private readonly tickMs: number;
  private step = 0;
  /** What the last look before the settling deadline found still moving. */
  private stillMoving: string[] = [];

  constructor(
    private readonly stack: Stack,
    private readonly health: HealthSandbox,
    private readonly services: ChaosService[],
    private readonly options: ChaosOptions,
  ) {
    const apps = services.flatMap((s) => s.service.stages);
    this.recorder = new Recorder(stack, new Set(services.map((s) => s.service.pipeline)), apps);
    this.minAgeMs = services[0].service.minAgeMs;
    this.tickMs = services[0].service.tickMs;
    this.planner = new Planner(
      options.seed,
      services.length,
      services[0].service.stages.length,
      options.waitMs ?? [150, 1_000],
      { minAgeMs: this.minAgeMs, tickMs: this.tickMs, releasePhaseMs: options.releasePhaseMs ?? 300 },
      options.weights,
    );
    for (const s of services) this.records.set(s.service.name, new Map());
  }

  private get updateBoundMs(): number {
    // A manual request is answered by its pipeline within 60 s at the latest ("nothing will happen"
    // when no pass decided it), plus the round trip of the answer under load.
    return this.options.updateBoundMs ?? 75_000;
  }

  async go(started: number): Promise<ChaosReport> {
    this.recorder.start();
    const every = this.options.progressEvery ?? 25;
    for (this.step = 1; this.step <= this.options.steps && !this.options.signal?.aborted; this.step++) {
      const planned = this.planner.step();
      this.plan.update(`${planned.step}:${planned.actions.map(describeAction).join(',')}:${planned.waitMs}\n`);
      for (const action of planned.actions) await this.actSafely(action);
      for (const due of this.repairsDue.filter((r) => r.step <= this.step)) {
        this.repairsDue.splice(this.repairsDue.indexOf(due), 1);
        this.actions['repair-again'] = (this.actions['repair-again'] ?? 0) + 1;
        await this.repair(due.s, due.stage, due.attempt).catch(() => undefined);
      }
      await sleep(planned.waitMs);
      await this.check();
      if (this.step % every === 0) this.options.onProgress?.(this.progress(started));
    }
    const steps = this.step - 1;
    this.step = 0;
    await this.wrapUp();
    const settled = await this.settle();
    await this.awaitAnswers();
    await this.check(true);
    await this.checkReconciling();
    await this.checkWorkflowsRunning();
    if (this.options.evidenceDir) await this.keepEvidence(this.options.evidenceDir);
    return {
      ...this.report(started, steps, settled, await this.handovers()),
      workflowTasks: await this.workflowTaskTrouble(),
    };
  }

  private progress(started: number): ChaosProgress {
    return {
      step: this.step,
      steps: this.options.steps,
      elapsedMs: Date.now() - started,
      promotions: this.recorder.promotions.size,
      faultsFired: this.stack.sandbox.faults.totals().fired,
      violations: this.violations.size,
    };
  }

  // -- actions --------------------------------------------------------------------------------

  /** An action the system refuses (a hotfix on a stage that runs no commit) is a note, not the end of the run. */
  private async actSafely(action: Action): Promise<void> {
    try {
      await this.act(action);
    } catch (error) {
      this.note(
        'action-failed',
        `action:${this.step}:${describeAction(action)}`,
        `${describeAction(action)}: ${(error as Error).message}`,
      );
    }
  }

  private async act(action: Action): Promise<void> {
    this.actions[action.kind] = (this.actions[action.kind] ?? 0) + 1;
    const { scenario } = this.stack.sandbox;
    const s = 'service' in action ? this.services[action.service] : undefined;
    const id = s ? `conveyor/${s.service.name}` : '';
    switch (action.kind) {
      case 'merge': {
        await this.merge(s!);
        return;
      }
      case 'hotfix': {
        const fixed = await scenario.hotfix(s!.service.pipeline, s!.service.stages[action.stage]);
        s!.off.set(fixed.sha, 'hotfix');
        return;
      }
      case 'push-branch': {
        const pushed = await scenario.pushBranch(s!.service.pipeline, action.branch);
        s!.off.set(pushed.sha, 'branch');
        return;
      }
      case 'pause':
        return this.pause(s!, action.via, `chaos step ${this.step}`);
      case 'resume': {
        this.endHold((h) => h.kind === 'pause' && h.service === s!.service.name);
        if (action.via === 'cli') await this.signalByCli(id, 'resume', { by: 'chaos-cli' });
        else await resumePipeline(this.stack.client, s!.service.name, 'chaos');
        return;
      }
      case 'freeze':
        return this.freeze(action.via);
      case 'unfreeze': {
        this.endHold((h) => h.kind === 'freeze');
        if (action.via === 'cli') await this.signalByCli('conveyor/control', 'unfreeze', { by: 'chaos-cli' });
        else await unfreezeAll(this.stack.client, this.stack.taskQueue, 'chaos');
        return;
      }
      case 'open-incident': {
        const incident = this.health.controls.openIncident({
          source: 'heroku-status',
          title: `chaos incident ${action.id}`,
        });
        this.holds.push({ kind: 'incident', how: `incident #${action.id} (${incident})`, start: Date.now() });
        this.incidentIds.set(action.id, incident);
        return;
      }
      case 'resolve-incident': {
        this.endHold((h) => h.kind === 'incident' && h.how.startsWith(`incident #${action.id} `));
        const incident = this.incidentIds.get(action.id);
        if (incident) this.health.controls.resolveIncident(incident);
        this.incidentIds.delete(action.id);
        return;
      }
      case 'inject-fault': {
        this.stack.sandbox.faults.inject(action.rule);
        this.faultSpans.push({ id: action.rule.id, start: Date.now(), kind: action.rule.kind });
        this.injected[action.rule.kind] = (this.injected[action.rule.kind] ?? 0) + 1;
        return;
      }
      case 'clear-fault': {
        this.clearFault(action.id);
        // A storm emptied the bucket; clearing the rule does not refill it.
        if (action.storm) scenario.setRateLimit({ remaining: 4_500 });
        return;
      }
      case 'repair':
        return this.repair(s!, action.stage);
      case 'configure':
        return this.configure(s!, action.change);
      case 'manual':
        return this.manualPromotion(s!, action.stage, action.id, action.nearHandover, action.commit);
      case 'fail-stage':
        scenario.setReleasePhase(s!.service.stages[action.stage], {
          fail: `chaos: release command failed (step ${this.step})`,
        });
        return;
      case 'fix-stage': {
        const app = s!.service.stages[action.stage];
        scenario.setReleasePhase(app, {});
        if (action.retry)
          this.sendUpdate(
            'retry',
            `t${action.id}`,
            s!,
            `retry into ${app}`,
            () =>
              retryFailed(this.stack.client, s!.service.name, {
                to: app,
                by: 'chaos',
                reason: `chaos retry #t${action.id}`,
              }),
            undefined,
            app,
          );
        return;
      }
      case 'slow-promote':
        return this.slowPromote(s!, action.id, action.hold, action.holdMs);
      case 'unknown-target': {
        // A Fir app runs images only: its hand-made release is an image pushed without a commit.
        const artifact = s!.fir ? 'image' : action.artifact;
        await scenario.handDeploy(s!.service.pipeline, s!.service.stages[action.stage], {
          artifact,
          description: `chaos hand-made ${artifact}`,
        });
        return;
      }
      case 'storm':
        return this.storm(s!, action.merges, action.spacingMs, action.minAgeMs);
      case 'reject':
        return this.reject(s!, action.id, s!.lastMerge);
      case 'unreject': {
        const rejection = this.rejections.get(action.id);
        if (!rejection) return;
        this.rejections.delete(action.id);
        this.endHold((h) => h.kind === 'reject' && h.how === `reject #${action.id}`);
        // conveyor keeps one rejection per commit: an unreject lifts every rejection of the commit
        // the workflow had when it took the unreject (answered before it), whichever reject made it.
        this.sendUpdate(
          'unreject',
          `u${action.id}`,
          s!,
          `unreject ${short(rejection.commit)}`,
          () => unrejectCommit(this.stack.client, s!.service.name, rejection.commit, 'chaos'),
          (update) => {
            const at = update.answeredAt!;
            for (const hold of this.holds)
              if (
                hold.kind === 'reject' &&
                hold.service === s!.service.name &&
                hold.commit === rejection.commit &&
                hold.start <= at &&
                (hold.end === undefined || hold.end > at)
              )
                hold.end = at;
          },
        );
        return;
      }
      case 'quiet':
        return;
    }
  }

  private readonly incidentIds = new Map<number, string>();

  private async merge(s: ChaosService): Promise<string> {
    const merged = await this.stack.sandbox.scenario.merge(s.service.pipeline);
    s.main.set(merged.sha, s.main.size);
    s.lastMerge = merged.sha;
    return merged.releaseId;
  }

  /** A signal sent the way an operator sends it by hand: `temporal workflow signal`, JSON input. */
  private async signalByCli(workflowId: string, name: string, input: unknown): Promise<void> {
    await this.stack.temporal(
      'workflow',
      'signal',
      '--workflow-id',
      workflowId,
      '--name',
      name,
      '--input',
      JSON.stringify(input),
    );
  }

  private async pause(s: ChaosService, via: 'client' | 'cli', reason: string): Promise<void> {
    const id = `conveyor/${s.service.name}`;
    if (via === 'cli') await this.signalByCli(id, 'pause', { reason, by: 'chaos-cli' });
    else await pausePipeline(this.stack.client, s.service.name, { reason, by: 'chaos' });
    this.holds.push({ kind: 'pause', service: s.service.name, how: `pause via ${via}`, start: Date.now() });
  }

  private async freeze(via: 'client' | 'cli'): Promise<void> {
    const asked = Date.now();
    if (via === 'cli')
      await this.signalByCli('conveyor/control', 'freeze', { reason: `chaos step ${this.step}`, by: 'chaos-cli' });
    else await freezeAll(this.stack.client, this.stack.taskQueue, { reason: `chaos step ${this.step}`, by: 'chaos' });
    this.holds.push({ kind: 'freeze', how: `freeze via ${via}`, start: Date.now() });
    // How long until every pipeline knows (a figure for the report; bounded).
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const frozen = await Promise.all(
        this.services.map((c) =>
          status(this.stack, c.service)
            .then((st) => st.frozen !== null)
            .catch(() => false),
        ),
      );
      if (frozen.every(Boolean)) {
        this.freezeReachMs.push(Date.now() - asked);
        break;
      }
      await sleep(50);
    }
  }

  private clearFault(id: string): void {
    this.stack.sandbox.faults.clear(id);
    const now = Date.now();
    for (const span of this.faultSpans) if (span.id === id && span.end === undefined) span.end = now;
  }

  private endHold(match: (hold: Hold) => boolean): void {
    const now = Date.now();
    for (const hold of this.holds) if (hold.end === undefined && match(hold)) hold.end = now;
  }

  /** The configuration in force for `s` at `at`. */
  private configAt(s: ChaosService, at: number): Service {
    let current = s.configs[0].service;
    for (const config of s.configs) if (config.at <= at) current = config.service;
    return current;
  }

  /** Every configuration in force at some moment of [from, to]. */
  /**
   * Applies a configuration (the `reconfigure` update, through `conveyor apply`'s code) and records it
   * as in force from its answer: the moment the workflow has it. `apply` makes several calls before
   * its update, so the moment it was sent says nothing of what the workflow knew.
   */
  private async applyConfig(s: ChaosService, service: Service, why: string): Promise<void> {
    const [applied] = await applyServices(this.stack.client, [service], this.stack.taskQueue);
    // A config the pipeline refused (a stage it drops has a promotion in flight) is not in force.
    if (applied?.action === 'refused') {
      this.note('action-failed', `config:${this.step}:${s.service.name}`, `${why} refused: ${applied.message}`);
      return;
    }
    s.configs.push({ at: Date.now(), service, why });
  }

  private configsDuring(s: ChaosService, from: number, to: number): Service[] {
    return [this.configAt(s, from), ...s.configs.filter((c) => c.at > from && c.at <= to).map((c) => c.service)];
  }

  /** Sends an update without waiting for it: its answer (or the lack of one) is recorded when it comes. */
  private sendUpdate(
    kind: SentUpdate['kind'],
    tag: string,
    s: ChaosService,
    what: string,
    run: () => Promise<unknown>,
    onAnswer?: (update: SentUpdate, answer: unknown) => void,
    stage?: string,
  ): SentUpdate {
    const update: SentUpdate = {
      tag,
      kind,
      service: s.service.name,
      what,
      sentAt: Date.now(),
      ...(stage ? { stage } : {}),
    };
    this.updates.push(update);
    const answered = run().then(
      (answer) => {
        update.answeredAt = Date.now();
        const outcome = answer as { started?: boolean; message?: string } | string;
        if (kind === 'promote' && typeof outcome === 'object') {
          update.outcome = outcome.started ? 'started' : 'not-started';
          update.message = outcome.message;
        } else {
          update.outcome = 'done';
          update.message = typeof outcome === 'string' ? outcome : JSON.stringify(outcome);
        }
        onAnswer?.(update, answer);
      },
      (error: Error) => {
        update.answeredAt = Date.now();
        update.outcome = 'refused';
        update.message = error.message;
      },
    );
    this.answering.push(answered);
    return update;
  }

  /**
   * An operator overwrites a hotfix or a hand-made release by hand (skipping the gates, as they
   * must: the forward gate holds such a stage for ever) once upstream runs a commit of main again.
   * Otherwise it asks without skipping gates: the safety gates then decide.
   */
  private async repair(s: ChaosService, stage: number, attempt = 1): Promise<void> {
    const { scenario } = this.stack.sandbox;
    const config = this.configAt(s, Date.now());
    const app = s.service.stages[stage];
    const index = config.stages.indexOf(app);
    if (index < 1) return; // the stage is not in the configuration now
    const running = (name: string) => scenario.releases(name).filter((r) => r.current)[0];
    const target = running(app);
    const source = running(sourceOf(config, app));
    const overwritable = !!target && (target.commit === null || s.off.get(target.commit) === 'hotfix');
    const skipGates = overwritable && !!source?.commit && s.main.has(source.commit);
    this.manual.requested++;
    const tag = `r${this.step}-${stage}`;
    this.sendUpdate(
      'promote',
      tag,
      s,
      `repair ${app}`,
      () =>
        promoteManually(this.stack.client, s.service.name, {
          to: app,
          reason: `chaos: overwrite ${target?.commit ? `hotfix ${short(target.commit)}` : `hand-made v${target?.version}`} #${tag}`,
          by: 'chaos',
          skipGates,
        }),
      (update) => {
        if (update.outcome === 'started') this.manual.started++;
        // An operator tries again (a source in its release phase, an upstream stage to repair first) until it goes.
        else if (overwritable && attempt < MAX_REPAIRS && this.step > 0)
          this.repairsDue.push({ s, stage, step: this.step + 2, attempt: attempt + 1 });
      },
    );
  }

  /** A person's promotion into a stage, without --skip-gates; near a handover, when the workflow's history is about to be full. */
  private async manualPromotion(
    s: ChaosService,
    stage: number,
    id: number,
    nearHandover: boolean,
    naming: ManualCommit,
  ): Promise<void> {
    const app = s.service.stages[stage];
    const config = this.configAt(s, Date.now());
    const index = config.stages.indexOf(app);
    const source =
      index > 0
        ? this.stack.sandbox.scenario.releases(sourceOf(config, app)).find((r) => r.current)?.commit
        : undefined;
    let commit: string | undefined;
    if (naming === 'current' && source) commit = source;
    if (naming === 'stale' && source && s.main.has(source))
      commit = [...s.main.entries()].find(([, n]) => n === Math.max(0, s.main.get(source)! - 1))?.[0];
    if (commit === source && naming === 'stale') commit = undefined; // the source runs the initial commit: nothing older
    if (nearHandover) {
      const cap = this.options.historyCap ?? 400;
      const handle = this.stack.client.workflow.getHandle(`conveyor/${s.service.name}`);
      const deadline = Date.now() + 8_000;
      while (Date.now() < deadline) {
        const length = await handle.describe().then(
          (d) => d.historyLength,
          () => 0,
        );
        if (length >= cap - 15) break;
        await sleep(40);
      }
    }
    this.manual.requested++;
    const tag = `m${id}`;
    const request = { to: app, reason: `chaos manual #${tag}`, by: 'chaos', ...(commit ? { commit } : {}) };
    const update = this.sendUpdate(
      'promote',
      tag,
      s,
      `promote into ${app}${commit ? ` naming ${naming} ${short(commit)}` : ''}${nearHandover ? ' near a handover' : ''}`,
      () => promoteManually(this.stack.client, s.service.name, request),
      (answered) => {
        if (answered.outcome === 'started') this.manual.started++;
      },
    );
    update.commit = commit;
  }

  private async configure(s: ChaosService, change: ConfigChange): Promise<void> {
    const now = Date.now();
    const original = s.service;
    if (change.kind === 'malformed') {
      // By hand, as a person would with the temporal CLI: the workflow must refuse it and go on as before.
      const payload = malformedConfig(this.configAt(s, now), change.variant);
      await this.signalByCli(`conveyor/${s.service.name}`, 'configure', payload);
      return;
    }
    let next: Service;
    let why: string = change.kind;
    switch (change.kind) {
      case 'min-age':
        next = { ...original, minAgeMs: change.minAgeMs };
        why = `minAge ${change.minAgeMs} ms`;
        break;
      case 'drop-stage': {
        // Out of a wave, the app leaves its wave (a wave left empty goes): the wave changes mid-pass.
        const app = original.stages[change.stage];
        const waves = original.waves?.map((wave) => wave.filter((a) => a !== app)).filter((wave) => wave.length);
        next = {
          ...original,
          stages: original.stages.filter((_, i) => i !== change.stage),
          ...(waves ? { waves } : {}),
        };
        why = `without ${app}${original.waves ? ' (out of its wave)' : ''}`;
        break;
      }
      case 'blackout': {
        const end = Math.floor(now / 60_000) * 60_000 + 120_000;
        next = {
          ...original,
          windows: {
            windows: [],
            blackouts: [{ from: minute(now), to: minute(end), reason: `chaos step ${this.step}`, timeZone: 'UTC' }],
          },
        };
        why = `blackout until ${minute(end)}`;
        this.holds.push({
          kind: 'blackout',
          service: s.service.name,
          how: `blackout ${minute(now)}..${minute(end)} (step ${this.step})`,
          start: now,
          end,
        });
        break;
      }
      case 'restore': {
        next = original;
        // A blackout ends with the configuration that brought it (or at its own end, whichever comes first).
        for (const hold of this.holds)
          if (hold.kind === 'blackout' && hold.service === s.service.name && (hold.end === undefined || hold.end > now))
            hold.end = now;
        break;
      }
    }
    if (change.kind !== 'drop-stage') {
      await this.applyConfig(s, next, why);
      return;
    }
    // A middle stage removed while an observation is in flight: the pipeline's latest-releases read is
    // slowed, so the new config lands between an observation's request and its answer.
    const slow = `drop-${this.step}-${s.index}`;
    this.stack.sandbox.faults.inject({
      id: slow,
      kind: 'latency',
      endpoint: 'GET /pipelines/{id}/latest-releases',
      delayMs: 1_200,
    });
    this.faultSpans.push({ id: slow, start: Date.now() });
    this.injected.latency = (this.injected.latency ?? 0) + 1;
    try {
      await sleep(this.tickMs + 300);
      await this.applyConfig(s, next, why);
      await sleep(1_500);
    } finally {
      this.clearFault(slow);
    }
  }

  private async reject(s: ChaosService, id: number, commit: string): Promise<void> {
    this.rejections.set(id, { service: s.service.name, commit });
    // In force once the workflow answered; its decisions after that must not promote the commit.
    this.sendUpdate(
      'reject',
      `j${id}`,
      s,
      `reject ${short(commit)}`,
      () => rejectCommit(this.stack.client, s.service.name, { commit, reason: `chaos reject #${id}`, by: 'chaos' }),
      (update) => {
        if (this.rejections.has(id))
          this.holds.push({
            kind: 'reject',
            service: s.service.name,
            commit,
            how: `reject #${id}`,
            start: update.answeredAt!,
          });
      },
    );
  }

  /**
   * A pause between decision and POST: the promote activity's reads answer 503 (and its POST is
   * slow), a merge gives the pipeline something to promote, and the moment a promotion is decided
   * (in flight in status, not yet posted) the service is held; Heroku recovers a little later.
   */
  private async slowPromote(s: ChaosService, id: string, hold: SlowHold, holdMs: number): Promise<void> {
    this.slow.run++;
    const faults = this.stack.sandbox.faults;
    const rules = [
      ...PROMOTE_READS.map((endpoint, i) => ({
        id: `${id}-read${i}`,
        kind: 'error' as const,
        endpoint,
        status: 503 as const,
      })),
      { id: `${id}-post`, kind: 'latency' as const, endpoint: PROMOTE, delayMs: 300 },
    ];
    for (const rule of rules) {
      faults.inject(rule);
      this.faultSpans.push({ id: rule.id, start: Date.now() });
      this.injected[rule.kind] = (this.injected[rule.kind] ?? 0) + 1;
    }
    try {
      await this.merge(s);
      const deadline = Date.now() + 10_000;
      let decided: PromotionRecord | undefined;
      while (!decided && Date.now() < deadline) {
        const st = await within(
          2_000,
          status(this.stack, s.service).catch(() => undefined),
        );
        decided =
          st && st !== 'timeout'
            ? st.inFlight.find(
                (r) => r.outcome === 'in-flight' && !r.manual && (r as { phase?: string }).phase !== 'posted',
              )
            : undefined;
        if (!decided) await sleep(50);
      }
      if (decided) this.slow.caughtInFlight++;
      if (hold === 'pause') await this.pause(s, 'client', `chaos slow promotion ${id}`);
      else if (hold === 'freeze') await this.freeze('client');
      else await this.reject(s, this.step, decided?.commit ?? s.lastMerge);
      await sleep(holdMs);
    } finally {
      for (const rule of rules) this.clearFault(rule.id);
    }
  }

  /**
   * Merges a third of the soak apart on the first stage: a release of the storm must still reach the
   * next stage, soaked. With `minAgeMs` above the service's, the storm runs under that soak (sent as
   * a config change first, the service's own config sent back after).
   */
  private async storm(s: ChaosService, merges: number, spacingMs: number, minAgeMs: number): Promise<void> {
    const before = this.configAt(s, Date.now());
    if (minAgeMs !== before.minAgeMs) {
      const soak = { ...before, minAgeMs };
      await this.applyConfig(s, soak, `storm: minAge ${minAgeMs} ms`);
    }
    const start = Date.now();
    const releases = new Set<string>();
    const fired = () => new Map(this.stack.sandbox.faults.list().map((rule) => [rule.id, rule.fired]));
    const firedBefore = fired();
    for (let i = 0; i < merges; i++) {
      releases.add(await this.merge(s));
      // The workflows keep their last 20 promotions: read them while the storm lasts, or the checker
      // misses the records of the promotions it makes.
      if (i < merges - 1) await Promise.all([sleep(spacingMs), this.refreshStatus()]);
    }
    // A fault that fires while the storm lasts (or just after, while its last release soaks) may hold the pair for good reason.
    await sleep(GRACE_MS);
    const faultsFired = [...fired()].filter(([id, n]) => n > (firedBefore.get(id) ?? 0)).map(([id]) => id);
    const end = Date.now() - GRACE_MS;
    const seen = await within(
      3_000,
      status(this.stack, s.service).catch(() => undefined),
    );
    const pair = seen && seen !== 'timeout' ? seen.pairs.find((p) => p.from === before.stages[0]) : undefined;
    const pairAtEnd = pair
      ? `${pair.state} (${pair.reason}${pair.verdicts
          .filter((v) => !v.ok)
          .map((v) => `; ${v.gate}: ${v.reason}`)
          .join('')})`
      : 'unknown';
    const waitingOn = pair?.state === 'promoting' ? `; pending ${await this.pendingActivities(s.service.name)}` : '';
    // A status whose last look is older than the storm says the pipeline stopped passing, not what a gate decided.
    const looked =
      seen && seen !== 'timeout'
        ? `; last observed ${seen.observedAt ? clock(Date.parse(seen.observedAt)) : 'never'}${seen.blocked ? `; blocked: ${seen.blocked.reason}` : ''}`
        : '';
    this.storms.push({
      service: s.service.name,
      from: before.stages[0],
      to: before.stages[1],
      start,
      end,
      releases,
      step: this.step,
      faultsFired,
      pairAtEnd: pairAtEnd + waitingOn + looked,
    });
    if (minAgeMs !== before.minAgeMs) {
      await this.applyConfig(s, before, 'storm over');
    }
  }

  // -- the end --------------------------------------------------------------------------------

  /** Clears every fault and refills the rate limit; lifts every pause, freeze, incident, rejection and config change still on. */
  private async wrapUp(): Promise<void> {
    for (const action of this.planner.openEnds()) await this.actSafely(action);
    this.stack.sandbox.faults.clear();
    const now = Date.now();
    for (const span of this.faultSpans) span.end ??= now;
    this.stack.sandbox.scenario.setRateLimit({ remaining: 4_500 });
  }

  /** Waits (bounded) until nothing is in flight and every pair is in sync or held for good. */
  private async settle(): Promise<boolean> {
    const deadline = Date.now() + (this.options.settleMs ?? 30_000);
    let quietPolls = 0;
    while (Date.now() < deadline) {
      await this.refreshStatus();
      this.recorder.poll();
      this.stillMoving = this.unsettled();
      quietPolls = this.stillMoving.length === 0 ? quietPolls + 1 : 0;
      if (quietPolls >= 3) return true;
      await sleep(500);
    }
    // What the pipelines still moving wait on: their pending activities, as Temporal sees them.
    for (const s of this.services) {
      if (!this.stillMoving.some((line) => line.startsWith(`${s.service.name}:`))) continue;
      this.stillMoving.push(`${s.service.name}: pending ${await this.pendingActivities(s.service.name)}`);
    }
    return false;
  }

  /** A pipeline's pending activities in one line: type, attempt, state, last failure. */
  private async pendingActivities(name: string): Promise<string> {
    const described = await this.stack.client.workflow
      .getHandle(`conveyor/${name}`)
      .describe()
      .catch(() => undefined);
    const pending = described?.raw.pendingActivities ?? [];
    if (pending.length === 0) return 'no activity';
    return pending
      .map(
        (a) =>
          `${a.activityType?.name} attempt ${a.attempt} ${String(a.state)}${a.lastFailure?.message ? ` (last failure: ${a.lastFailure.message.slice(0, 160)})` : ''}`,
      )
      .join(', ');
  }

  /** What still moves: promotions in flight, pairs about to move. */
  private unsettled(): string[] {
    const moving: string[] = [];
    for (const seen of this.recorder.promotions.values()) {
      if (seen.settledAt === undefined)
        moving.push(
          `promotion ${seen.promotion.id} into ${seen.promotion.targets.map((t) => t.app).join(',')} pending`,
        );
    }
    const permanent = new Set(['branch', 'forward']);
    for (const s of this.services) {
      const st = this.latest.get(s.service.name);
      if (!st) {
        moving.push(`${s.service.name}: no status`);
        continue;
      }
      if (st.inFlight.length) moving.push(`${s.service.name}: ${st.inFlight.length} in flight`);
      for (const pair of st.pairs) {
        const settledPair =
          pair.state === 'in-sync' ||
          pair.state === 'held' ||
          // A stage running an image (no slug) stays so until a person deploys over it.
          (pair.state === 'waiting' && pair.reason.includes('runs no release with a slug')) ||
          (pair.state === 'gated' && pair.verdicts.filter((v) => !v.ok).every((v) => permanent.has(v.gate)));
        if (!settledPair)
          moving.push(
            `${s.service.name}: ${pair.from} -> ${pair.to} ${pair.state} (${pair.reason}${pair.verdicts
              .filter((v) => !v.ok)
              .map((v) => `; ${v.gate}: ${v.reason}`)
              .join('')})`,
          );
      }
    }
    return moving;
  }

  /** Every update sent gets its bound to answer in. */
  private async awaitAnswers(): Promise<void> {
    const last = Math.max(0, ...this.updates.filter((u) => u.answeredAt === undefined).map((u) => u.sentAt));
    if (last > 0) await within(Math.max(0, last + this.updateBoundMs - Date.now()), Promise.all(this.answering));
  }

  /** Every pipeline must observe again after the run: a status whose observedAt moves past this moment. */
  private async checkReconciling(): Promise<void> {
    const since = Date.now();
    const deadline = since + Math.max(15_000, 5 * this.tickMs);
    const pending = new Set(this.services.map((s) => s.service.name));
    const last = new Map<string, string | null>();
    while (pending.size > 0 && Date.now() < deadline) {
      await Promise.all(
        this.services
          .filter((s) => pending.has(s.service.name))
          .map(async (s) => {
            const st = await within(
              3_000,
              status(this.stack, s.service).catch((error: Error) => error),
            );
            if (st === 'timeout' || st instanceof Error) {
              last.set(s.service.name, st === 'timeout' ? 'status query timed out' : `status failed: ${st.message}`);
              return;
            }
            last.set(s.service.name, st.observedAt);
            if (st.observedAt && Date.parse(st.observedAt) > since) pending.delete(s.service.name);
          }),
      );
      if (pending.size > 0) await sleep(250);
    }
    for (const name of pending) {
      this.violate(
        'reconciling',
        `reconciling:${name}`,
        `${name}: no observation in the ${Math.round((deadline - since) / 1000)} s after the run (last observedAt: ${last.get(name) ?? 'never'}): the pipeline no longer reconciles`,
      );
    }
  }

  private async checkWorkflowsRunning(): Promise<void> {
    for (const s of this.services) {
      const described = await this.stack.client.workflow
        .getHandle(`conveyor/${s.service.name}`)
        .describe()
        .catch((error: Error) => error);
      const state = described instanceof Error ? described.message : described.status.name;
      if (state !== 'RUNNING')
        this.violate(
          'workflow',
          `workflow:${s.service.name}`,
          `${s.service.name}: its pipeline workflow is ${state}, not running`,
        );
    }
  }

  /**
   * Workflow tasks that timed out or failed, read from every run's history: a pipeline whose tasks
   * do not complete stops passing (its status stays as its last completed task left it).
   */
  private async workflowTaskTrouble(): Promise<WorkflowTaskTrouble[]> {
    const trouble: WorkflowTaskTrouble[] = [];
    for (const s of this.services) {
      try {
        for (const { history } of await this.histories(s)) {
          for (const event of history.events ?? []) {
            const at = event.eventTime?.seconds
              ? Number(event.eventTime.seconds) * 1000 + Math.floor((event.eventTime.nanos ?? 0) / 1e6)
              : 0;
            if (event.workflowTaskTimedOutEventAttributes)
              trouble.push({
                service: s.service.name,
                at,
                what: `timed out (${String(event.workflowTaskTimedOutEventAttributes.timeoutType)})`,
              });
            else if (event.workflowTaskFailedEventAttributes)
              trouble.push({
                service: s.service.name,
                at,
                what: `failed (${String(event.workflowTaskFailedEventAttributes.cause)}: ${event.workflowTaskFailedEventAttributes.failure?.message?.slice(0, 160) ?? ''})`,
              });
            else if ((event.workflowTaskScheduledEventAttributes?.attempt ?? 1) > 1)
              trouble.push({
                service: s.service.name,
                at,
                what: `attempt ${event.workflowTaskScheduledEventAttributes!.attempt} scheduled`,
              });
          }
        }
      } catch (error) {
        trouble.push({
          service: s.service.name,
          at: Date.now(),
          what: `history unreadable: ${(error as Error).message}`,
        });
      }
    }
    return trouble.sort((a, b) => a.at - b.at);
  }

  /**
   * Writes what the checker saw (configurations with the moments they were in force, the workflows'
   * records, releases, promotions, POST arrivals, holds, violations) and every pipeline run's
   * history into `dir`, so a violation can be traced after the run's server is gone.
   */
  private async keepEvidence(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const write = (name: string, value: unknown) => writeFileSync(join(dir, name), JSON.stringify(value, null, 1));
    write('violations.json', [...this.violations.values()]);
    write(
      'configs.json',
      this.services.map((s) => ({
        service: s.service.name,
        configs: s.configs.map((c) => ({ inForceFrom: new Date(c.at).toISOString(), why: c.why, service: c.service })),
      })),
    );
    write(
      'records.json',
      Object.fromEntries([...this.records].map(([name, records]) => [name, [...records.values()]])),
    );
    write('releases.json', Object.fromEntries(this.recorder.byApp));
    write('promotions.json', [...this.recorder.promotions.values()]);
    write('post-arrivals.json', Object.fromEntries(this.recorder.posts));
    write('holds.json', this.holds);
    for (const s of this.services) {
      try {
        for (const { runId, history } of await this.histories(s))
          write(`history-${s.service.name}-${runId}.json`, history);
      } catch (error) {
        write(`history-${s.service.name}-unreadable.json`, { error: (error as Error).message });
      }
    }
  }

  /** The history of every run of `s`'s pipeline workflow. */
  private async histories(s: ChaosService): Promise<RunHistory[]> {
    const workflowId = `conveyor/${s.service.name}`;
    const all: RunHistory[] = [];
    for await (const run of this.stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
      all.push({
        runId: run.runId,
        history: await this.stack.client.workflow.getHandle(workflowId, run.runId).fetchHistory(),
      });
    return all;
  }

  /** Continue-as-new handovers during the run: every run of a pipeline workflow but its first. */
  private async handovers(): Promise<number> {
    let runs = 0;
    for (const s of this.services) {
      try {
        for await (const _ of this.stack.client.workflow.list({ query: `WorkflowId = 'conveyor/${s.service.name}'` }))
          runs++;
        runs--;
      } catch {
        // visibility unavailable: not counted
      }
    }
    return Math.max(0, runs);
  }

  private decisionOutcomes(): Record<string, number> {
    const outcomes: Record<string, number> = {};
    for (const records of this.records.values()) {
      const latest = new Map<string, PromotionRecord>();
      for (const record of records.values())
        latest.set(`${record.to}|${record.sourceVersion}|${record.startedAt}`, record);
      for (const record of latest.values()) outcomes[record.outcome] = (outcomes[record.outcome] ?? 0) + 1;
    }
    return outcomes;
  }

  private report(started: number, steps: number, settled: boolean, handovers: number): ChaosReport {
    const totals = this.stack.sandbox.faults.totals();
    const perService: Record<string, number> = {};
    let byHand = 0;
    let severalTargets = 0;
    for (const seen of this.recorder.promotions.values()) {
      perService[seen.promotion.pipeline] = (perService[seen.promotion.pipeline] ?? 0) + 1;
      if (this.recordFor(seen)?.manual) byHand++;
      if (seen.promotion.targets.length > 1) severalTargets++;
    }
    const total = this.recorder.promotions.size;
    const byKind: Record<string, { sent: number; answered: number }> = {};
    for (const update of this.updates) {
      const entry = (byKind[update.kind] ??= { sent: 0, answered: 0 });
      entry.sent++;
      if (update.answeredAt !== undefined && update.answeredAt - update.sentAt <= this.updateBoundMs) entry.answered++;
    }
    const violations = [...this.violations.values()];
    const violationsByInvariant = Object.fromEntries(
      INVARIANTS.map((i) => [i, violations.filter((v) => v.invariant === i).length]),
    ) as Record<Invariant, number>;
    return {
      seed: this.options.seed,
      steps,
      actions: this.actions,
      planHash: this.plan.digest('hex').slice(0, 16),
      elapsedMs: Date.now() - started,
      services: this.services.map((s) => (s.fir ? `${s.service.name} (fir)` : s.service.name)),
      faults: {
        injected: Object.values(this.injected).reduce((a, b) => a + (b ?? 0), 0),
        injectedByKind: this.injected,
        fired: totals.fired,
        firedByKind: totals.byKind,
        totals,
      },
      promotions: { total, automatic: total - byHand, byHand, severalTargets, perService },
      freezeReachMs: this.freezeReachMs,
      manual: this.manual,
      updates: {
        sent: this.updates.length,
        answered: Object.values(byKind).reduce((a, b) => a + b.answered, 0),
        byKind,
      },
      handovers,
      storms: {
        run: this.storms.length,
        flowed: this.storms.filter((st) => this.stormFlowed(st)).length,
        exempt: this.storms.filter((st) => this.stormExemption(st) !== undefined).length,
      },
      slowPromotions: this.slow,
      decisions: this.decisionOutcomes(),
      activityFailures: -1,
      refusedConfigs: -1,
      workflowTasks: [],
      settled,
      unsettled: settled ? [] : this.stillMoving,
      violations,
      violationsByInvariant,
      notes: [...this.notes.values()],
    };
  }

  // -- the invariants -------------------------------------------------------------------------

  private async refreshStatus(): Promise<void> {
    await Promise.all(
      this.services.map(async (s) => {
        const st = await within(
          5_000,
          status(this.stack, s.service).catch(() => undefined),
        );
        if (!st || st === 'timeout') return;
        this.latest.set(s.service.name, st);
        const records = this.records.get(s.service.name)!;
        for (const record of [...st.inFlight, ...st.history])
          records.set(`${record.to}|${record.from}|${record.sourceVersion}|${record.startedAt}`, record);
      }),
    );
  }

  private violate(invariant: Invariant, key: string, description: string): void {
    if (!this.violations.has(key)) this.violations.set(key, { invariant, step: this.step, description });
  }

  private note(kind: Note['kind'], key: string, description: string): void {
    if (!this.notes.has(key) && !this.violations.has(key)) this.notes.set(key, { kind, step: this.step, description });
  }

  private serviceOf(pipeline: string): ChaosService | undefined {
    return this.services.find((s) => s.service.pipeline === pipeline);
  }

  /** The workflow's record of the decision behind a promotion: same pair and source version, decided before it was posted. */
  private recordFor(seen: SeenPromotion): PromotionRecord | undefined {
    const s = this.serviceOf(seen.promotion.pipeline);
    if (!s) return undefined;
    const { hi } = this.recorder.window(seen);
    const target = seen.promotion.targets[0]?.app;
    let best: PromotionRecord | undefined;
    for (const record of this.records.get(s.service.name)!.values()) {
      if (
        record.to !== target ||
        record.from !== seen.promotion.source ||
        record.sourceVersion !== seen.promotion.sourceRelease.version
      )
        continue;
      if (Date.parse(record.startedAt) > hi + POLL_MS) continue;
      if (!best || record.startedAt > best.startedAt) best = record;
    }
    return best;
  }

  private holdsOf(service: string): Hold[] {
    return this.holds.filter((h) => h.service === undefined || h.service === service);
  }

  private describeHold(hold: Hold): string {
    return `${hold.how} from ${clock(hold.start)} to ${hold.end === undefined ? 'now' : clock(hold.end)}`;
  }

  private appId(app: string): string | undefined {
    return this.appIds().get(app);
  }

  private appIdCache: Map<string, string> | undefined;
  private appIds(): Map<string, string> {
    if (!this.appIdCache) {
      const state = this.stack.sandbox.scenario.snapshot();
      this.appIdCache = new Map(Object.values(state.apps).map((a) => [a.name, a.id]));
    }
    return this.appIdCache;
  }

  private async check(final = false): Promise<void> {
    this.recorder.poll();
    await this.refreshStatus();
    this.recorder.poll();
    const byTarget = new Map<string, SeenPromotion[]>();
    for (const seen of this.recorder.promotions.values()) {
      for (const target of seen.promotion.targets)
        byTarget.set(target.app, [...(byTarget.get(target.app) ?? []), seen]);
      this.checkPromotion(seen, final);
    }
    for (const [target, promotions] of byTarget) this.checkTarget(target, promotions);
    for (const s of this.services)
      for (const record of this.records.get(s.service.name)!.values()) this.checkRecord(s, record, final);
    this.checkStorms(final);
    this.checkUpdates(final);
  }

  /** Branch, holds, config, forward and soak, for one promotion Heroku really received. */
  private checkPromotion(seen: SeenPromotion, final: boolean): void {
    const { promotion } = seen;
    const s = this.serviceOf(promotion.pipeline)!;
    const record = this.recordFor(seen);
    const targetApp = promotion.targets[0]?.app;
    const posted = this.recorder.postedAt(seen, targetApp ? (this.appId(targetApp) ?? '') : '');
    const targets = promotion.targets.map((t) => t.app).join(',');
    const what = `${s.service.name}: promotion ${promotion.id.slice(0, 8)} of v${promotion.sourceRelease.version} (${short(promotion.commit)}) ${promotion.source} -> ${targets}, posted ${clock(posted)}`;
    const decided = record ? Date.parse(record.startedAt) : undefined;
    const decidedText = record
      ? `decided ${clock(decided!)}${record.manual ? ` by hand (${record.manual.by}, skipped ${record.manual.skippedGates.join(', ') || 'nothing'})` : ''}`
      : 'no workflow record of it';

    // Branch: only commits on the branch.
    const off = promotion.commit ? s.off.get(promotion.commit) : undefined;
    const onMain = promotion.commit !== null && s.main.has(promotion.commit);
    if (!onMain) {
      const why = off
        ? `a ${off} commit, not on ${s.service.branch}`
        : promotion.commit
          ? `a commit the run never made (${promotion.commit})`
          : 'a release with no known commit';
      if (record?.manual?.skippedGates.includes('branch'))
        this.note('by-hand-off-branch', `branch:${promotion.id}`, `${what}: ${why}; ${decidedText}`);
      else this.violate('branch', `branch:${promotion.id}`, `${what}: promoted ${why}; ${decidedText}`);
    }

    // Rejections hold by hand too: never a rejected commit posted once the rejection was answered.
    for (const hold of this.holdsOf(s.service.name)) {
      if (hold.kind !== 'reject' || hold.commit !== promotion.commit) continue;
      if (posted >= hold.start + GRACE_MS && posted <= (hold.end ?? Infinity)) {
        this.violate(
          'hold',
          `hold:reject:${promotion.id}:${hold.start}`,
          `${what}: ${short(promotion.commit)} was rejected (${this.describeHold(hold)}); ${decidedText}`,
        );
      }
    }

    // Config: only between adjacent stages of the configuration in force.
    const configs = this.configsDuring(s, posted - GRACE_MS, posted);
    for (const target of promotion.targets) {
      const adjacent = configs.some((config) =>
        pairsOf(config).some((p) => p.from === promotion.source && p.to === target.app),
      );
      if (!adjacent) {
        this.violate(
          'config',
          `config:${promotion.id}:${target.app}`,
          `${what}: ${promotion.source} -> ${target.app} is no pair of the configuration in force (${configs.map((c) => c.stages.map((x) => x.replace(`${s.service.name}-`, '')).join('>')).join(' or ')}); ${decidedText}`,
        );
      }
    }

    if (!record && !final) return; // judged once the workflow's record is in (or at the end without it)
    const manual = record?.manual;

    // Holds: never while paused, frozen, in an incident or a blackout; by hand only what it overrules.
    for (const hold of this.holdsOf(s.service.name)) {
      if (hold.kind === 'reject') continue;
      const inside = posted >= hold.start + GRACE_MS && posted <= (hold.end ?? Infinity);
      if (!inside) continue;
      const key = `hold:${s.service.name}:${targets}:v${promotion.sourceRelease.version}:${record?.startedAt ?? promotion.id}:${hold.kind}:${hold.start}`;
      const during = `during ${hold.kind} (${this.describeHold(hold)})`;
      if (manual) {
        const gate = hold.kind === 'incident' ? 'incident' : hold.kind === 'blackout' ? 'window' : 'allow';
        if (decided! < hold.start)
          this.note(
            'posted-during-hold',
            key,
            `${what}, ${during}, by hand but ${decidedText}, before the hold: posted ${((posted - decided!) / 1000).toFixed(1)} s after the decision`,
          );
        else if (hold.kind === 'incident' && !manual.skippedGates.includes(gate) && decided! >= hold.start + GRACE_MS)
          this.violate('hold', key, `${what}, ${during}; ${decidedText}: the incident gate did not hold it`);
        continue;
      }
      // The confirmation is the point of no return: one asked before the hold began let the POST go
      // (it reaches Heroku a moment later, later still on a loaded machine). Asked after, it must not stand.
      const confirmed = record?.postedAt ? Date.parse(record.postedAt) : undefined;
      if (confirmed !== undefined && confirmed < hold.start + GRACE_MS) {
        this.note(
          'posted-during-hold',
          key,
          `${what}, ${during}; ${decidedText}; confirmed ${clock(confirmed)}, before the hold: the POST reached Heroku ${((posted - confirmed) / 1000).toFixed(1)} s after its confirmation`,
        );
        continue;
      }
      const late =
        decided !== undefined && decided < hold.start + GRACE_MS
          ? `; posted ${((posted - decided) / 1000).toFixed(1)} s after the decision: a decided promotion must not be posted once a hold began`
          : '';
      this.violate('hold', key, `${what}, ${during}; ${decidedText}${late}`);
    }
    if (manual) return;

    // Forward: a stage running (or releasing) a hotfix, a release nobody knows the commit of, or a newer commit of main is not overwritten.
    for (const target of promotion.targets) {
      const before = (this.recorder.byApp.get(target.app) ?? []).filter(
        (r) => r.firstSeen <= posted && r.status !== 'failed' && !r.description.startsWith('Rollback'),
      );
      const newest = before.reduce<SeenRelease | undefined>((a, b) => (!a || b.version > a.version ? b : a), undefined);
      if (!newest || newest.commit === promotion.commit) continue;
      const since = newest.firstSeen;
      if (posted < since + GRACE_MS) continue; // it landed as the promotion was posted: a race with the operator
      let over: string | undefined;
      if (newest.commit === null)
        over = `v${newest.version}, whose commit is unknown (${newest.buildId ? 'a hand-built slug or image' : 'no slug'})`;
      else if (s.off.get(newest.commit) === 'hotfix') over = `hotfix ${short(newest.commit)} (v${newest.version})`;
      else if (
        promotion.commit &&
        s.main.has(newest.commit) &&
        s.main.has(promotion.commit) &&
        s.main.get(newest.commit)! > s.main.get(promotion.commit)!
      ) {
        over = `v${newest.version} running ${short(newest.commit)}, a newer commit of main: backwards`;
      }
      if (!over) continue;
      const when =
        decided === undefined
          ? decidedText
          : decided < since
            ? `${decidedText}, before that release landed, and posted ${((posted - decided) / 1000).toFixed(1)} s later without looking again`
            : decidedText;
      this.violate(
        'forward',
        `forward:${target.app}:v${promotion.sourceRelease.version}:${record?.startedAt ?? promotion.id}`,
        `${what}: overwrites ${over}, on ${target.app} since ${clock(since)}; ${when}`,
      );
    }

    // Soak: the source release had run on its stage for minAge (from the updated_at of its success; the same slug before it counts).
    const soakStart = this.soakStart(promotion.source, promotion.sourceRelease.id);
    if (soakStart !== undefined) {
      const minAge = Math.min(...configs.map((c) => c.minAgeMs));
      const soaked = posted - soakStart;
      if (soaked < minAge - 5) {
        this.violate(
          'soak',
          `soak:${promotion.id}`,
          `${what}: v${promotion.sourceRelease.version} had run on ${promotion.source} for ${soaked} ms (since ${clock(soakStart)}), less than minAge ${minAge} ms; ${decidedText}`,
        );
      }
    }
  }

  /** When the source release started running on its app, as Heroku tells it (updated_at of its success), counting earlier releases of the same slug. */
  private soakStart(app: string, releaseId: string): number | undefined {
    const releases = [...(this.recorder.byApp.get(app) ?? [])]
      .filter((r) => r.status !== 'failed')
      .sort((a, b) => a.version - b.version);
    let index = releases.findIndex((r) => r.id === releaseId);
    if (index < 0 || releases[index].status !== 'succeeded' || !releases[index].buildId) return undefined;
    while (
      index > 0 &&
      releases[index - 1].buildId === releases[index].buildId &&
      releases[index - 1].status === 'succeeded'
    )
      index--;
    return Date.parse(releases[index].updatedAt);
  }

  /** In flight and exactly once, per target app. */
  private checkTarget(target: string, promotions: SeenPromotion[]): void {
    const sorted = [...promotions].sort((a, b) => a.firstSeen - b.firstSeen);
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        const [a, b] = [sorted[i], sorted[j]];
        // Never two in flight into one target: b appeared while a was still pending.
        if (a.settledAt === undefined || b.firstSeen < a.settledAt) {
          this.violate(
            'in-flight',
            `in-flight:${a.promotion.id}:${b.promotion.id}`,
            `${target}: promotion ${b.promotion.id.slice(0, 8)} (v${b.promotion.sourceRelease.version} ${short(b.promotion.commit)}, seen ${clock(b.firstSeen)}) posted while ${a.promotion.id.slice(0, 8)} (v${a.promotion.sourceRelease.version} ${short(a.promotion.commit)}, seen ${clock(a.firstSeen)}) was in flight (settled ${a.settledAt ? clock(a.settledAt) : 'not yet'})`,
          );
        }
        // Exactly once: the same slug into the same target twice, the second not by hand.
        const slugA = this.recorder.releases.get(a.promotion.sourceRelease.id)?.buildId;
        const slugB = this.recorder.releases.get(b.promotion.sourceRelease.id)?.buildId;
        const retried = this.updates.some(
          (u) =>
            u.kind === 'retry' &&
            u.stage === target &&
            u.outcome === 'done' &&
            u.answeredAt! >= a.firstSeen &&
            u.answeredAt! <= b.firstSeen,
        );
        const failedBefore = a.promotion.targets.some((t) => t.app === target && t.status === 'failed');
        if (slugA && slugA === slugB && !this.recordFor(b)?.manual && !(retried && failedBefore)) {
          this.violate(
            'exactly-once',
            `once:${a.promotion.id}:${b.promotion.id}`,
            `${target}: slug ${slugA.slice(0, 8)} (${short(a.promotion.commit)}) promoted twice: ${a.promotion.id.slice(0, 8)} seen ${clock(a.firstSeen)} and ${b.promotion.id.slice(0, 8)} seen ${clock(b.firstSeen)}`,
          );
        }
      }
    }
  }

  /** From the workflow's own records: no automatic decision inside a hold, none over a hotfix or unknown release it saw; no manual one nobody was told started. */
  private checkRecord(s: ChaosService, record: PromotionRecord, final: boolean): void {
    const decided = Date.parse(record.startedAt);
    const what = `${s.service.name}: v${record.sourceVersion} (${short(record.commit)}) ${record.from} -> ${record.to} decided ${clock(decided)} (outcome ${record.outcome})`;
    if (record.manual) {
      const tag = /#([a-z0-9-]+)\s*$/.exec(record.manual.reason)?.[1];
      const request = tag ? this.updates.find((u) => u.tag === tag) : undefined;
      if (!request) return;
      if (request.answeredAt === undefined && !final) return;
      if (request.commit && record.commit !== request.commit) {
        this.violate(
          'manual',
          `manual-commit:${tag}:${record.startedAt}`,
          `${what} by hand for request #${tag}, which named ${short(request.commit)}: it promoted ${short(record.commit)}, not the release the person meant`,
        );
      }
      if (request.outcome !== 'started') {
        this.violate(
          'manual',
          `manual:${tag}:${record.startedAt}`,
          `${what} by hand for request #${tag} (${request.what}, sent ${clock(request.sentAt)}), which was ${request.answeredAt === undefined ? 'never answered' : `answered ${request.outcome} at ${clock(request.answeredAt)}: ${request.message}`}`,
        );
      }
      return;
    }
    for (const hold of this.holdsOf(s.service.name)) {
      if (hold.kind === 'reject' && hold.commit !== record.commit) continue;
      if (decided >= hold.start + GRACE_MS && decided < (hold.end ?? Infinity)) {
        this.violate(
          'hold',
          `hold:${s.service.name}:${record.to}:v${record.sourceVersion}:${record.startedAt}:${hold.kind}:${hold.start}`,
          `${what}, during ${hold.kind} (${this.describeHold(hold)})`,
        );
      }
    }
    const previous = record.previous;
    if (!previous) return;
    const commit = previous.artifactId ? this.recorder.slugCommits.get(previous.artifactId) : null;
    if (commit === undefined) return;
    if (commit === null) {
      this.violate(
        'forward',
        `forward:${record.to}:v${record.sourceVersion}:${record.startedAt}`,
        `${what}: the workflow saw ${record.to} running v${previous.version}, whose commit is unknown, and decided to promote over it`,
      );
    } else if (s.off.get(commit) === 'hotfix') {
      this.violate(
        'forward',
        `forward:${record.to}:v${record.sourceVersion}:${record.startedAt}`,
        `${what}: the workflow saw ${record.to} running hotfix ${short(commit)} (v${previous.version}) and promoted over it`,
      );
    }
  }

  /** Exempt a storm when something the invariants allow held the pair during it; answers why, or undefined. */
  private stormExemption(storm: Storm): string | undefined {
    const hold = this.holdsOf(storm.service).find(
      (h) => h.kind !== 'reject' && h.start < storm.end && (h.end ?? Infinity) > storm.start,
    );
    if (hold) return `held by ${this.describeHold(hold)}`;
    if (storm.faultsFired.length) return `faults fired meanwhile (${storm.faultsFired.join(', ')})`;
    // After Heroku says its pool is empty, automatic calls keep off the people's reserve until it has
    // refilled (README, API budget: 900 tokens at 75 a minute, 12 minutes), promotions' retries too.
    const emptied = this.faultSpans.find(
      (f) =>
        f.kind === 'rate-limit-storm' && f.start < storm.end && (f.end ?? Infinity) > storm.start - RESERVE_REFILL_MS,
    );
    if (emptied)
      return `a rate-limit storm (${emptied.id}) emptied Heroku's pool at ${clock(emptied.start)}: conveyor keeps off the reserve until it refills`;
    const s = this.services.find((c) => c.service.name === storm.service)!;
    const running = (this.recorder.byApp.get(storm.to) ?? [])
      .filter((r) => r.firstSeen <= storm.start && r.status === 'succeeded')
      .sort((a, b) => b.version - a.version)[0];
    if (running && (running.commit === null || s.off.has(running.commit)))
      return `${storm.to} ran ${running.commit === null ? 'a hand-made release' : `off-branch ${short(running.commit)}`}`;
    if (s.configs.some((c) => c.at > storm.start - GRACE_MS && c.at < storm.end && !c.why.startsWith('storm')))
      return 'its configuration changed';
    return undefined;
  }

  private stormFlowed(storm: Storm): boolean {
    const toId = this.appIds().get(storm.to) ?? '';
    for (const seen of this.recorder.promotions.values()) {
      if (seen.promotion.source !== storm.from || !seen.promotion.targets.some((t) => t.app === storm.to)) continue;
      if (!storm.releases.has(seen.promotion.sourceRelease.id)) continue;
      if (this.recorder.postedAt(seen, toId) <= storm.end + GRACE_MS) return true;
    }
    return false;
  }

  /** Under a merge storm, a release of the storm reaches the next stage while the storm lasts. */
  private checkStorms(final: boolean): void {
    for (const storm of this.storms) {
      if (storm.judged || (!final && Date.now() < storm.end + 2 * GRACE_MS)) continue;
      storm.judged = true;
      if (this.stormFlowed(storm)) continue;
      const exemption = this.stormExemption(storm);
      const what = `${storm.service}: a storm of ${storm.releases.size} merges on ${storm.from} from ${clock(storm.start)} to ${clock(storm.end)} (step ${storm.step})`;
      if (exemption)
        this.note('storm-exempt', `storm:${storm.start}`, `${what}: nothing reached ${storm.to}, but ${exemption}`);
      else
        this.violate(
          'flow',
          `storm:${storm.start}`,
          `${what}: no release of the storm reached ${storm.to}: changes no longer flow under steady merging (the pair at the storm's end: ${storm.pairAtEnd})`,
        );
    }
  }

  /** Every update answered within the bound. */
  private checkUpdates(final: boolean): void {
    const now = Date.now();
    for (const update of this.updates) {
      const late =
        update.answeredAt === undefined
          ? now - update.sentAt > this.updateBoundMs
          : update.answeredAt - update.sentAt > this.updateBoundMs;
      if (!late && !(final && update.answeredAt === undefined && now - update.sentAt > this.updateBoundMs)) continue;
      const answer =
        update.answeredAt === undefined
          ? `not answered after ${((now - update.sentAt) / 1000).toFixed(0)} s`
          : `answered after ${((update.answeredAt - update.sentAt) / 1000).toFixed(0)} s`;
      this.violate(
        'answered',
        `answered:${update.tag}`,
        `${update.service}: ${update.kind} update #${update.tag} (${update.what}, sent ${clock(update.sentAt)}) ${answer} (bound ${this.updateBoundMs / 1000} s)`,
      );
    }
  }
}
