// The chaos engine ("safe failure", item 4): a bounded, seeded run of random operator actions,
// code changes, incidents and API faults over one real stack (sandbox + worker + Temporal server),
// checking conveyor's safety invariants against the sandbox's own records after every step.
//
// The sandbox is ground truth: scenario.promotions() and releases() say what really happened on
// "Heroku". The workflows' status adds what they cannot: who decided a promotion (by hand or not) and
// when. A background recorder polls both sandbox lists every 50 ms, so each promotion's moment of
// creation is known to within one poll (the sandbox's own timestamps have whole seconds).
//
// Seeded: a seed fixes the plan (every action's kind and parameters, every wait) and the faults'
// random streams; what the workflows make of it still depends on timing.
//
// The invariants, exactly (a promotion's creation time is known to within one poll):
// - branch: a promotion's source commit is on main (the initial commit or a merge the run made);
//   hotfix and feature-branch commits never are. A hand promotion that skipped the branch gate is a note.
// - forward: an automatic promotion is never posted onto a stage whose newest release (running or
//   still releasing) is a hotfix that had been there for GRACE_MS or more, whenever it was decided;
//   nor decided over a hotfix the workflow itself recorded as the target's current release.
// - hold: no automatic promotion is decided (the workflow's record) while its service is paused, all
//   are frozen or an incident is open, GRACE_MS after the hold began; a promotion Heroku received
//   inside a hold counts too, unless the workflow decided it before the hold began (then it is a
//   note: a promotion in flight when the hold began, whose POST came late).
// - in-flight: never two promotions into one target at once (the second appeared before the first's
//   target release settled).
// - exactly-once: never the same slug into the same target twice, the second not by hand.
// - workflow: every pipeline workflow still runs at the end.
import { createHash } from 'node:crypto';
import { freezeAll, pausePipeline, promoteManually, resumePipeline, unfreezeAll } from '../../client/pipelines';
import { startHealthSandbox, type HealthSandbox } from '../../sandbox/health';
import type { FaultKind, FaultRule, FaultTotals } from '../../sandbox/faults';
import type { ScenarioPromotion } from '../../sandbox/scenario';
import type { Service } from '../../domain/service';
import type { DevServer } from '../../temporal/dev-server';
import type { PipelineStatus, PromotionRecord } from '../../workflows/status';
import { startStack, status, uniqueName, type Stack } from '../support/stack';

// ---------------------------------------------------------------------------------------------
// Options and report

export interface ChaosOptions {
  seed: number;
  /** Random actions to take (scheduled ends of holds, faults and hotfixes come on top). */
  steps: number;
  /** Services, each with its own pipeline (default 3). */
  services?: number;
  /** Stages per service (default 4). */
  stages?: number;
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
  /** The Temporal server (the shared test server when absent). */
  server?: DevServer;
  /** Called every `progressEvery` steps (default 25). */
  onProgress?: (progress: ChaosProgress) => void;
  progressEvery?: number;
  /** Set to stop early (the run then settles and reports as usual). */
  signal?: AbortSignal;
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

export type Invariant = 'branch' | 'forward' | 'hold' | 'in-flight' | 'exactly-once' | 'workflow';

export interface Violation {
  invariant: Invariant;
  /** The step after which the check first found it (0: the final check). */
  step: number;
  description: string;
}

/** Something the invariants allow but a reader should know of (e.g. a promotion in flight when a pause began). */
export interface Note {
  kind: 'posted-during-hold' | 'by-hand-off-branch';
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
  faults: { injected: number; injectedByKind: Partial<Record<FaultKind, number>>; fired: number; firedByKind: FaultTotals['byKind']; totals: FaultTotals };
  promotions: { total: number; automatic: number; byHand: number; perService: Record<string, number> };
  /** How long a freeze took to reach every pipeline (status.frozen set), per freeze. */
  freezeReachMs: number[];
  manual: { requested: number; started: number };
  /** Activity attempts that failed (the worker's "Activity failed" warnings), retried by Temporal. */
  activityFailures: number;
  settled: boolean;
  unsettled: string[];
  violations: Violation[];
  notes: Note[];
}

/** Grace at the edges of a hold: a signal or incident takes a moment to reach a decision. */
export const GRACE_MS = 1_000;
const POLL_MS = 50;

// ---------------------------------------------------------------------------------------------
// The plan: deterministic in the seed

/** mulberry32: small, fast, good enough for choosing actions. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Via = 'client' | 'cli';

export type Action =
  | { kind: 'merge'; service: number }
  | { kind: 'hotfix'; service: number; stage: number }
  | { kind: 'push-branch'; service: number; branch: string }
  | { kind: 'pause'; service: number; via: Via }
  | { kind: 'resume'; service: number; via: Via }
  | { kind: 'freeze'; via: Via }
  | { kind: 'unfreeze'; via: Via }
  | { kind: 'open-incident'; id: number }
  | { kind: 'resolve-incident'; id: number }
  | { kind: 'inject-fault'; rule: FaultRule & { id: string } }
  | { kind: 'clear-fault'; id: string; storm: boolean }
  | { kind: 'repair'; service: number; stage: number }
  | { kind: 'quiet' };

export interface PlannedStep {
  step: number;
  /** Ends that were scheduled for this step (resume, unfreeze, resolve, clear, repair), then the random action. */
  actions: Action[];
  waitMs: number;
}

/** Every endpoint a reconcile pass or a promotion calls (the zero-downtime gate reads formation and preboot of production targets). */
const HEROKU_GETS = [
  'GET /pipelines/{id}/latest-releases',
  'GET /apps/{app}/releases',
  'GET /apps/{app}/releases/{id_or_version}',
  'GET /apps/{app}/slugs/{id}',
  'GET /pipeline-promotions/{id}/promotion-targets',
  'GET /apps/{app}/formation/{formation}',
  'GET /apps/{app}/features/{feature}',
];
const GITHUB_GETS = [
  'GET /github/repos/{owner}/{repo}/compare/{basehead}',
  'GET /github/repos/{owner}/{repo}/commits/{ref}/check-runs',
  'GET /github/repos/{owner}/{repo}/commits/{ref}/status',
];
const PROMOTE = 'POST /pipeline-promotions';
const GETS = [...HEROKU_GETS, ...GITHUB_GETS];

/**
 * The plan of a run: which action each step takes, and how long it waits after. It keeps its own
 * book of what is paused, frozen, open or injected (from its own actions only), so it never looks
 * at the system and the same seed always gives the same plan.
 */
export class Planner {
  private readonly next: () => number;
  private readonly paused = new Set<number>();
  private frozen = false;
  private readonly incidents = new Set<number>();
  private readonly faults = new Set<string>();
  private readonly scheduled = new Map<number, Action[]>();
  private counter = 0;

  constructor(
    seed: number,
    private readonly services: number,
    private readonly stages: number,
    private readonly waitMs: [number, number],
  ) {
    this.next = random(seed);
  }

  private int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  private schedule(inSteps: number, action: Action): void {
    const at = this.counter + inSteps;
    this.scheduled.set(at, [...(this.scheduled.get(at) ?? []), action]);
  }

  private via(): Via {
    return this.next() < 0.4 ? 'cli' : 'client';
  }

  step(): PlannedStep {
    this.counter += 1;
    const step = this.counter;
    const actions: Action[] = [];
    for (const due of this.scheduled.get(step) ?? []) {
      if (due.kind === 'resume') this.paused.delete(due.service);
      if (due.kind === 'unfreeze') this.frozen = false;
      if (due.kind === 'resolve-incident') this.incidents.delete(due.id);
      if (due.kind === 'clear-fault') this.faults.delete(due.id);
      actions.push(due);
    }
    this.scheduled.delete(step);
    actions.push(this.randomAction());
    return { step, actions, waitMs: this.int(this.waitMs[0], this.waitMs[1]) };
  }

  private randomAction(): Action {
    const service = this.int(0, this.services - 1);
    const options: [number, () => Action][] = [
      [4, () => ({ kind: 'merge', service })],
      [0.8, () => {
        const stage = this.int(1, this.stages - 1);
        // An operator overwrites the hotfix by hand a few steps later, or the pipeline stays stuck behind it.
        this.schedule(this.int(3, 7), { kind: 'repair', service, stage });
        return { kind: 'hotfix', service, stage };
      }],
      [1, () => ({ kind: 'push-branch', service, branch: `feature/${this.counter}` })],
      [1.2, () => {
        if (this.paused.has(service)) return { kind: 'quiet' };
        this.paused.add(service);
        this.schedule(this.int(1, 5), { kind: 'resume', service, via: this.via() });
        return { kind: 'pause', service, via: this.via() };
      }],
      [0.6, () => {
        if (this.frozen) return { kind: 'quiet' };
        this.frozen = true;
        this.schedule(this.int(1, 4), { kind: 'unfreeze', via: this.via() });
        return { kind: 'freeze', via: this.via() };
      }],
      [0.6, () => {
        if (this.incidents.size >= 2) return { kind: 'quiet' };
        const id = this.counter;
        this.incidents.add(id);
        this.schedule(this.int(1, 4), { kind: 'resolve-incident', id });
        return { kind: 'open-incident', id };
      }],
      [2.5, () => {
        if (this.faults.size >= 3) return { kind: 'quiet' };
        const rule = this.faultRule();
        this.faults.add(rule.id);
        this.schedule(this.int(2, 6), { kind: 'clear-fault', id: rule.id, storm: rule.kind === 'rate-limit-storm' });
        return { kind: 'inject-fault', rule };
      }],
      [1, () => ({ kind: 'quiet' })],
    ];
    const total = options.reduce((sum, [weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [weight, make] of options) {
      roll -= weight;
      if (roll < 0) return make();
    }
    return options[0][1]();
  }

  private faultRule(): FaultRule & { id: string } {
    const id = `chaos-${this.counter}`;
    const rate = (min: number, max: number) => Math.round((min + this.next() * (max - min)) * 100) / 100;
    const kinds: [number, () => FaultRule & { id: string }][] = [
      [3, () => ({ id, kind: 'error', endpoint: this.pick([...GETS, PROMOTE]), status: this.pick([500, 502, 503, 504] as const), rate: rate(0.2, 0.7) })],
      [2, () => ({ id, kind: 'latency', endpoint: this.pick([...GETS, PROMOTE]), delayMs: this.int(100, 1_500), rate: rate(0.3, 1) })],
      [1.5, () => ({ id, kind: 'malformed', endpoint: this.pick(GETS), rate: rate(0.2, 0.6) })],
      [1.5, () => ({ id, kind: 'truncated', endpoint: this.pick(GETS), rate: rate(0.2, 0.6) })],
      [1.5, () => ({ id, kind: 'reset-after', endpoint: PROMOTE, rate: rate(0.5, 1), count: this.int(1, 2) })],
      [0.3, () => ({ id, kind: 'rate-limit-storm', endpoint: this.pick(HEROKU_GETS), count: 1 })],
    ];
    const total = kinds.reduce((sum, [weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [weight, make] of kinds) {
      roll -= weight;
      if (roll < 0) return make();
    }
    return kinds[0][1]();
  }

  /** Ends everything still open: what the run does before settling. */
  openEnds(): Action[] {
    const ends: Action[] = [];
    for (const list of [...this.scheduled.entries()].sort(([a], [b]) => a - b).map(([, list]) => list)) {
      for (const action of list) if (action.kind !== 'repair') ends.push(action);
    }
    this.scheduled.clear();
    return ends;
  }
}

/** The plan of `steps` steps, as text (one line per step): what the same seed always gives. */
export function planText(seed: number, steps: number, services = 3, stages = 4, waitMs: [number, number] = [150, 1_000]): string[] {
  const planner = new Planner(seed, services, stages, waitMs);
  return Array.from({ length: steps }, () => {
    const planned = planner.step();
    return `${planned.step}: ${planned.actions.map(describeAction).join(', ')} (wait ${planned.waitMs} ms)`;
  });
}

export function describeAction(action: Action): string {
  switch (action.kind) {
    case 'merge':
    case 'repair':
    case 'hotfix':
    case 'push-branch':
    case 'pause':
    case 'resume': {
      const rest = Object.entries(action)
        .filter(([key]) => key !== 'kind' && key !== 'service')
        .map(([key, value]) => `${key}=${value}`);
      return `${action.kind} s${action.service}${rest.length ? ` ${rest.join(' ')}` : ''}`;
    }
    case 'freeze':
    case 'unfreeze':
      return `${action.kind} via=${action.via}`;
    case 'open-incident':
    case 'resolve-incident':
      return `${action.kind} #${action.id}`;
    case 'inject-fault': {
      const { id, kind, endpoint, ...rest } = action.rule;
      return `inject ${id} ${kind} ${endpoint ?? '*'} ${JSON.stringify(rest)}`;
    }
    case 'clear-fault':
      return `clear ${action.id}`;
    case 'quiet':
      return 'quiet';
  }
}

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
  slugId: string | null;
  description: string;
  after: number;
  firstSeen: number;
}

class Recorder {
  readonly promotions = new Map<string, SeenPromotion>();
  readonly releases = new Map<string, SeenRelease>();
  readonly byApp = new Map<string, SeenRelease[]>();
  readonly slugCommits = new Map<string, string | null>();
  private last = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stack: Stack,
    private readonly pipelines: Set<string>,
    private readonly apps: string[],
  ) {}

  start(): void {
    this.poll();
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
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
          seen = { id: release.id, app, version: release.version, status: release.status, commit: release.commit, slugId: release.slugId, description: release.description, after: this.last, firstSeen: now };
          this.releases.set(release.id, seen);
          this.byApp.set(app, [...(this.byApp.get(app) ?? []), seen]);
          if (release.slugId) this.slugCommits.set(release.slugId, release.commit);
        }
        seen.status = release.status;
      }
    }
    this.last = now;
  }

  /** When a promotion was created: after `lo`, at or before `hi` (ms). */
  window(seen: SeenPromotion): { lo: number; hi: number } {
    const stamp = Date.parse(seen.promotion.createdAt);
    return { lo: Math.max(seen.after, stamp), hi: Math.min(seen.firstSeen, stamp + 1_000) };
  }
}

// ---------------------------------------------------------------------------------------------
// The run

interface ChaosService {
  index: number;
  service: Service;
  /** Commits on main: the initial one and every merge. */
  main: Set<string>;
  /** Commits that are not: hotfixes and feature-branch pushes. */
  off: Map<string, 'hotfix' | 'branch'>;
}

interface Hold {
  kind: 'pause' | 'freeze' | 'incident';
  /** Undefined: every service. */
  service?: string;
  how: string;
  /** In force from here (the call that made it had returned)... */
  start: number;
  /** ...until here at least (taken before the call that ends it). */
  end?: number;
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 23);
const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 7) : 'none');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
function muteActivityFailures(): { count(): number; restore(): void } {
  const original = process.stderr.write;
  let count = 0;
  process.stderr.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === 'string' && /\[WARN\] Activity failed/.test(chunk)) {
      count++;
      return true;
    }
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stderr.write;
  return { count: () => count, restore: () => void (process.stderr.write = original) };
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
    stack = await startStack({ server: options.server, releasePhaseMs: options.releasePhaseMs ?? 300, promotionDelayMs: options.promotionDelayMs ?? 200 });
    stack.sandbox.faults.reseed(options.seed);
    const services: ChaosService[] = [];
    for (let index = 0; index < count; index++) {
      // prepare names four stages itself; other counts get names of their own.
      const prefix = uniqueName(`chaos${index}`);
      const service = await stack.prepare(`chaos${index}`, {
        minAge: options.minAge ?? '1s',
        tick: options.tick ?? '1s',
        incident: { herokuStatus: { url: health.herokuStatusUrl, systems: [] } },
        ...(stageCount === 4 ? {} : { stages: Array.from({ length: stageCount }, (_, i) => `${prefix}-s${i + 1}`) }),
      });
      const initial = stack.sandbox.scenario.releases(service.stages[0])[0].commit!;
      services.push({ index, service, main: new Set([initial]), off: new Map() });
      await stack.start(service);
    }
    const run = new Run(stack, health, services, options);
    recorder = run.recorder;
    const report = await run.go(started);
    return { ...report, activityFailures: muted?.count() ?? report.activityFailures };
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
  private step = 0;

  constructor(
    private readonly stack: Stack,
    private readonly health: HealthSandbox,
    private readonly services: ChaosService[],
    private readonly options: ChaosOptions,
  ) {
    const apps = services.flatMap((s) => s.service.stages);
    this.recorder = new Recorder(stack, new Set(services.map((s) => s.service.pipeline)), apps);
    this.planner = new Planner(options.seed, services.length, services[0].service.stages.length, options.waitMs ?? [150, 1_000]);
    for (const s of services) this.records.set(s.service.name, new Map());
  }

  async go(started: number): Promise<ChaosReport> {
    this.recorder.start();
    const every = this.options.progressEvery ?? 25;
    for (this.step = 1; this.step <= this.options.steps && !this.options.signal?.aborted; this.step++) {
      const planned = this.planner.step();
      this.plan.update(`${planned.step}:${planned.actions.map(describeAction).join(',')}:${planned.waitMs}\n`);
      for (const action of planned.actions) await this.act(action);
      await sleep(planned.waitMs);
      await this.check();
      if (this.step % every === 0) this.options.onProgress?.(this.progress(started));
    }
    const steps = this.step - 1;
    this.step = 0;
    await this.wrapUp();
    const settled = await this.settle();
    await this.check(true);
    await this.checkWorkflowsRunning();
    return this.report(started, steps, settled);
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

  private async act(action: Action): Promise<void> {
    this.actions[action.kind] = (this.actions[action.kind] ?? 0) + 1;
    const { scenario } = this.stack.sandbox;
    const s = 'service' in action ? this.services[action.service] : undefined;
    const id = s ? `conveyor/${s.service.name}` : '';
    switch (action.kind) {
      case 'merge': {
        const merged = await scenario.merge(s!.service.pipeline);
        s!.main.add(merged.sha);
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
      case 'pause': {
        if (action.via === 'cli') await this.stack.temporal('workflow', 'signal', '--workflow-id', id, '--name', 'pause', '--input', JSON.stringify({ reason: `chaos step ${this.step}`, by: 'chaos-cli' }));
        else await pausePipeline(this.stack.client, s!.service.name, { reason: `chaos step ${this.step}`, by: 'chaos' });
        this.holds.push({ kind: 'pause', service: s!.service.name, how: `pause via ${action.via}`, start: Date.now() });
        return;
      }
      case 'resume': {
        this.endHold((h) => h.kind === 'pause' && h.service === s!.service.name);
        if (action.via === 'cli') await this.stack.temporal('workflow', 'signal', '--workflow-id', id, '--name', 'resume', '--input', JSON.stringify({ by: 'chaos-cli' }));
        else await resumePipeline(this.stack.client, s!.service.name, 'chaos');
        return;
      }
      case 'freeze': {
        const asked = Date.now();
        if (action.via === 'cli') await this.stack.temporal('workflow', 'signal', '--workflow-id', 'conveyor/control', '--name', 'freeze', '--input', JSON.stringify({ reason: `chaos step ${this.step}`, by: 'chaos-cli' }));
        else await freezeAll(this.stack.client, this.stack.taskQueue, { reason: `chaos step ${this.step}`, by: 'chaos' });
        this.holds.push({ kind: 'freeze', how: `freeze via ${action.via}`, start: Date.now() });
        // How long until every pipeline knows (a figure for the report; bounded).
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          const frozen = await Promise.all(this.services.map((c) => status(this.stack, c.service).then((st) => st.frozen !== null).catch(() => false)));
          if (frozen.every(Boolean)) {
            this.freezeReachMs.push(Date.now() - asked);
            break;
          }
          await sleep(50);
        }
        return;
      }
      case 'unfreeze': {
        this.endHold((h) => h.kind === 'freeze');
        if (action.via === 'cli') await this.stack.temporal('workflow', 'signal', '--workflow-id', 'conveyor/control', '--name', 'unfreeze', '--input', JSON.stringify({ by: 'chaos-cli' }));
        else await unfreezeAll(this.stack.client, this.stack.taskQueue, 'chaos');
        return;
      }
      case 'open-incident': {
        const incident = this.health.controls.openIncident({ source: 'heroku-status', title: `chaos incident ${action.id}` });
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
        this.injected[action.rule.kind] = (this.injected[action.rule.kind] ?? 0) + 1;
        return;
      }
      case 'clear-fault': {
        this.stack.sandbox.faults.clear(action.id);
        // A storm emptied the bucket; clearing the rule does not refill it.
        if (action.storm) scenario.setRateLimit({ remaining: 4_500 });
        return;
      }
      case 'repair':
        return this.repair(s!, action.stage);
      case 'quiet':
        return;
    }
  }

  private readonly incidentIds = new Map<number, string>();

  private endHold(match: (hold: Hold) => boolean): void {
    const now = Date.now();
    for (const hold of this.holds) if (hold.end === undefined && match(hold)) hold.end = now;
  }

  /**
   * An operator overwrites a hotfix by hand (skipping the gates, as they must: the forward gate
   * holds a hotfixed stage for ever) once upstream runs a commit of main again. Without a hotfix
   * there, or with upstream off main, it asks without skipping gates: the safety gates then decide.
   */
  private async repair(s: ChaosService, stage: number): Promise<void> {
    const { scenario } = this.stack.sandbox;
    const current = (app: string) => scenario.releases(app).filter((r) => r.current)[0]?.commit ?? null;
    const target = current(s.service.stages[stage]);
    const source = current(s.service.stages[stage - 1]);
    const skipGates = !!target && s.off.get(target) === 'hotfix' && !!source && s.main.has(source);
    this.manual.requested++;
    const outcome = await within(
      15_000,
      promoteManually(this.stack.client, s.service.name, { to: s.service.stages[stage], reason: `chaos: overwrite hotfix ${short(target)}`, by: 'chaos', skipGates }).catch((error: Error) => ({
        started: false,
        message: error.message,
      })),
    );
    if (outcome !== 'timeout' && outcome.started) this.manual.started++;
  }

  // -- the end --------------------------------------------------------------------------------

  /** Clears every fault and refills the rate limit; lifts every pause, freeze and incident still on. */
  private async wrapUp(): Promise<void> {
    for (const action of this.planner.openEnds()) await this.act(action);
    this.stack.sandbox.faults.clear();
    this.stack.sandbox.scenario.setRateLimit({ remaining: 4_500 });
  }

  /** Waits (bounded) until nothing is in flight and every pair is in sync or held for good. */
  private async settle(): Promise<boolean> {
    const deadline = Date.now() + (this.options.settleMs ?? 30_000);
    let quietPolls = 0;
    while (Date.now() < deadline) {
      await this.refreshStatus();
      this.recorder.poll();
      quietPolls = this.unsettled().length === 0 ? quietPolls + 1 : 0;
      if (quietPolls >= 3) return true;
      await sleep(500);
    }
    return false;
  }

  /** What still moves: promotions in flight, pairs about to move. */
  private unsettled(): string[] {
    const moving: string[] = [];
    for (const seen of this.recorder.promotions.values()) {
      if (seen.settledAt === undefined) moving.push(`promotion ${seen.promotion.id} into ${seen.promotion.targets.map((t) => t.app).join(',')} pending`);
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
        const settledPair = pair.state === 'in-sync' || pair.state === 'held' || (pair.state === 'gated' && pair.verdicts.filter((v) => !v.ok).every((v) => permanent.has(v.gate)));
        if (!settledPair) moving.push(`${s.service.name}: ${pair.from} -> ${pair.to} ${pair.state} (${pair.reason}${pair.verdicts.filter((v) => !v.ok).map((v) => `; ${v.gate}: ${v.reason}`).join('')})`);
      }
    }
    return moving;
  }

  private async checkWorkflowsRunning(): Promise<void> {
    for (const s of this.services) {
      const described = await this.stack.client.workflow.getHandle(`conveyor/${s.service.name}`).describe().catch((error: Error) => error);
      const state = described instanceof Error ? described.message : described.status.name;
      if (state !== 'RUNNING') this.violate('workflow', `workflow:${s.service.name}`, `${s.service.name}: its pipeline workflow is ${state}, not running`);
    }
  }

  private report(started: number, steps: number, settled: boolean): ChaosReport {
    const totals = this.stack.sandbox.faults.totals();
    const perService: Record<string, number> = {};
    let byHand = 0;
    for (const seen of this.recorder.promotions.values()) {
      perService[seen.promotion.pipeline] = (perService[seen.promotion.pipeline] ?? 0) + 1;
      if (this.recordFor(seen)?.manual) byHand++;
    }
    const total = this.recorder.promotions.size;
    return {
      seed: this.options.seed,
      steps,
      actions: this.actions,
      planHash: this.plan.digest('hex').slice(0, 16),
      elapsedMs: Date.now() - started,
      services: this.services.map((s) => s.service.name),
      faults: {
        injected: Object.values(this.injected).reduce((a, b) => a + (b ?? 0), 0),
        injectedByKind: this.injected,
        fired: totals.fired,
        firedByKind: totals.byKind,
        totals,
      },
      promotions: { total, automatic: total - byHand, byHand, perService },
      freezeReachMs: this.freezeReachMs,
      manual: this.manual,
      activityFailures: -1,
      settled,
      unsettled: settled ? [] : this.unsettled(),
      violations: [...this.violations.values()],
      notes: [...this.notes.values()],
    };
  }

  // -- the invariants -------------------------------------------------------------------------

  private async refreshStatus(): Promise<void> {
    await Promise.all(
      this.services.map(async (s) => {
        const st = await within(5_000, status(this.stack, s.service).catch(() => undefined));
        if (!st || st === 'timeout') return;
        this.latest.set(s.service.name, st);
        const records = this.records.get(s.service.name)!;
        for (const record of [...st.inFlight, ...st.history]) records.set(`${record.to}|${record.from}|${record.sourceVersion}|${record.startedAt}`, record);
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
      if (record.to !== target || record.from !== seen.promotion.source || record.sourceVersion !== seen.promotion.sourceRelease.version) continue;
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

  private async check(final = false): Promise<void> {
    this.recorder.poll();
    await this.refreshStatus();
    this.recorder.poll();
    const byTarget = new Map<string, SeenPromotion[]>();
    for (const seen of this.recorder.promotions.values()) {
      for (const target of seen.promotion.targets) byTarget.set(target.app, [...(byTarget.get(target.app) ?? []), seen]);
      this.checkPromotion(seen, final);
    }
    for (const [target, promotions] of byTarget) this.checkTarget(target, promotions);
    for (const s of this.services) for (const record of this.records.get(s.service.name)!.values()) this.checkRecord(s, record);
  }

  /** Branch, holds and forward, for one promotion Heroku really received. */
  private checkPromotion(seen: SeenPromotion, final: boolean): void {
    const { promotion } = seen;
    const s = this.serviceOf(promotion.pipeline)!;
    const record = this.recordFor(seen);
    const { lo, hi } = this.recorder.window(seen);
    const targets = promotion.targets.map((t) => t.app).join(',');
    const what = `${s.service.name}: promotion ${promotion.id.slice(0, 8)} of v${promotion.sourceRelease.version} (${short(promotion.commit)}) ${promotion.source} -> ${targets}, created ${clock(lo)}-${clock(hi)}`;
    const decided = record ? Date.parse(record.startedAt) : undefined;
    const decidedText = record ? `decided ${clock(decided!)}${record.manual ? ` by hand (${record.manual.by}, skipped ${record.manual.skippedGates.join(', ') || 'nothing'})` : ''}` : 'no workflow record of it';

    // 1. Only commits on the branch.
    const off = promotion.commit ? s.off.get(promotion.commit) : undefined;
    const onMain = promotion.commit !== null && s.main.has(promotion.commit);
    if (!onMain) {
      const why = off ? `a ${off} commit, not on ${s.service.branch}` : `a commit the run never made (${promotion.commit})`;
      if (record?.manual?.skippedGates.includes('branch')) this.note('by-hand-off-branch', `branch:${promotion.id}`, `${what}: ${why}; ${decidedText}`);
      else this.violate('branch', `branch:${promotion.id}`, `${what}: promoted ${why}; ${decidedText}`);
    }

    if (record?.manual) return;
    if (!record && !final) return; // judged once the workflow's record is in (or at the end without it)

    // 3. Never while paused, frozen or in an incident.
    for (const hold of this.holdsOf(s.service.name)) {
      const inside = lo >= hold.start + GRACE_MS && hi <= (hold.end ?? Infinity);
      if (!inside) continue;
      const key = `hold:${s.service.name}:${targets}:v${promotion.sourceRelease.version}:${record?.startedAt ?? promotion.id}:${hold.kind}:${hold.start}`;
      if (decided === undefined || decided >= hold.start + GRACE_MS) {
        this.violate('hold', key, `${what}, during ${hold.kind} (${this.describeHold(hold)}); ${decidedText}`);
      } else {
        this.note('posted-during-hold', key, `${what}, during ${hold.kind} (${this.describeHold(hold)}), but ${decidedText}, before the hold: posted ${((lo - decided) / 1000).toFixed(1)}+ s after the decision (retries or slow answers)`);
      }
    }

    // 2. Never backwards over a newer target: a stage running (or releasing) a hotfix is not overwritten.
    for (const target of promotion.targets) {
      const before = (this.recorder.byApp.get(target.app) ?? []).filter((r) => r.firstSeen <= lo && r.status !== 'failed' && !r.description.startsWith('Rollback'));
      const newest = before.reduce<SeenRelease | undefined>((a, b) => (!a || b.version > a.version ? b : a), undefined);
      if (!newest?.commit || s.off.get(newest.commit) !== 'hotfix') continue;
      if (newest.commit === promotion.commit) continue;
      const since = newest.firstSeen;
      if (lo < since + GRACE_MS) continue; // the hotfix landed as the promotion was posted: a race with the operator
      // Decided before the hotfix or not: it was posted over a hotfix that had been running for a while.
      const when = decided === undefined ? decidedText : decided < since ? `${decidedText}, before the hotfix landed, and posted ${((lo - decided) / 1000).toFixed(1)}+ s later without looking again` : decidedText;
      this.violate('forward', `forward:${target.app}:v${promotion.sourceRelease.version}:${record?.startedAt ?? promotion.id}`, `${what}: overwrites hotfix ${short(newest.commit)} (v${newest.version}, on ${target.app} since ${clock(since)}); ${when}`);
    }
  }

  /** In flight and exactly once, per target app. */
  private checkTarget(target: string, promotions: SeenPromotion[]): void {
    const sorted = [...promotions].sort((a, b) => a.firstSeen - b.firstSeen);
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        const [a, b] = [sorted[i], sorted[j]];
        // 4. Never two in flight into one target: b appeared while a was still pending.
        if (a.settledAt === undefined || b.firstSeen < a.settledAt) {
          this.violate(
            'in-flight',
            `in-flight:${a.promotion.id}:${b.promotion.id}`,
            `${target}: promotion ${b.promotion.id.slice(0, 8)} (v${b.promotion.sourceRelease.version} ${short(b.promotion.commit)}, seen ${clock(b.firstSeen)}) posted while ${a.promotion.id.slice(0, 8)} (v${a.promotion.sourceRelease.version} ${short(a.promotion.commit)}, seen ${clock(a.firstSeen)}) was in flight (settled ${a.settledAt ? clock(a.settledAt) : 'not yet'})`,
          );
        }
        // 5. Exactly once: the same slug into the same target twice, the second not by hand.
        const slugA = this.recorder.releases.get(a.promotion.sourceRelease.id)?.slugId;
        const slugB = this.recorder.releases.get(b.promotion.sourceRelease.id)?.slugId;
        if (slugA && slugA === slugB && !this.recordFor(b)?.manual) {
          this.violate(
            'exactly-once',
            `once:${a.promotion.id}:${b.promotion.id}`,
            `${target}: slug ${slugA.slice(0, 8)} (${short(a.promotion.commit)}) promoted twice: ${a.promotion.id.slice(0, 8)} seen ${clock(a.firstSeen)} and ${b.promotion.id.slice(0, 8)} seen ${clock(b.firstSeen)}`,
          );
        }
      }
    }
  }

  /** From the workflow's own records: no automatic decision inside a hold, none over a hotfix it saw. */
  private checkRecord(s: ChaosService, record: PromotionRecord): void {
    if (record.manual) return;
    const decided = Date.parse(record.startedAt);
    const what = `${s.service.name}: v${record.sourceVersion} (${short(record.commit)}) ${record.from} -> ${record.to} decided ${clock(decided)} (outcome ${record.outcome})`;
    for (const hold of this.holdsOf(s.service.name)) {
      if (decided >= hold.start + GRACE_MS && decided < (hold.end ?? Infinity)) {
        this.violate('hold', `hold:${s.service.name}:${record.to}:v${record.sourceVersion}:${record.startedAt}:${hold.kind}:${hold.start}`, `${what}, during ${hold.kind} (${this.describeHold(hold)})`);
      }
    }
    const previous = record.previous?.slugId ? this.recorder.slugCommits.get(record.previous.slugId) : undefined;
    if (previous && s.off.get(previous) === 'hotfix') {
      this.violate('forward', `forward:${record.to}:v${record.sourceVersion}:${record.startedAt}`, `${what}: the workflow saw ${record.to} running hotfix ${short(previous)} (v${record.previous!.version}) and promoted over it`);
    }
  }
}
