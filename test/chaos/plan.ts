// The plan of a chaos run: which action each step takes and how long it waits after, deterministic in
// the seed. The planner keeps its own book of what is paused, frozen, open, injected, reconfigured or
// stormed (from its own actions only), so it never looks at the system and the same seed always gives
// the same plan.
import type { FaultRule } from '../../sandbox/faults/faults';
import type { Service } from '../../domain/service';

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

export type Via = 'client' | 'cli';

/** A change of one service's configuration, sent as `conveyor apply` sends it (the configure signal). */
export type ConfigChange =
  | { kind: 'min-age'; minAgeMs: number }
  /** A middle stage left out of the stages (restored later). */
  | { kind: 'drop-stage'; stage: number }
  /** A blackout from this minute to the end of the next one (a closed window). */
  | { kind: 'blackout' }
  /** A hand-sent configure signal with wrongly typed or missing fields (temporal CLI), never valid. */
  | { kind: 'malformed'; variant: number }
  /** The service's own configuration again. */
  | { kind: 'restore' };

/** Which commit a manual request names: none, the one the source runs, or an older one (must be refused). */
export type ManualCommit = 'none' | 'current' | 'stale';

/** What is held when a promotion was decided and its POST is kept from going out. */
export type SlowHold = 'pause' | 'freeze' | 'reject';

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
  | { kind: 'configure'; service: number; change: ConfigChange }
  /** A person's `promote` update, without --skip-gates; `nearHandover`: sent when the workflow is about to continue-as-new. */
  | { kind: 'manual'; service: number; stage: number; id: number; nearHandover: boolean; commit: ManualCommit }
  /** Faults on the promote activity's reads, a merge, then a hold the moment a promotion was decided (before its POST). */
  | { kind: 'slow-promote'; service: number; id: string; hold: SlowHold; holdMs: number }
  /** A release whose commit nobody knows (a tarball slug, or an image with no slug) put on a downstream stage. */
  | { kind: 'unknown-target'; service: number; stage: number; artifact: 'tarball' | 'image' }
  /** Merges on the first stage spaced below the soak. */
  | { kind: 'storm'; service: number; merges: number; spacingMs: number; minAgeMs: number }
  | { kind: 'reject'; service: number; id: number }
  /** A stage's release phase fails from now on (migrations broken): promotions into it fail. */
  | { kind: 'fail-stage'; service: number; stage: number }
  /** The stage's release phase works again; with `retry`, an operator asks to retry the release that failed there. */
  | { kind: 'fix-stage'; service: number; stage: number; retry: boolean; id: number }
  | { kind: 'unreject'; service: number; id: number }
  | { kind: 'quiet' };

export type EventKind =
  | 'merge'
  | 'hotfix'
  | 'push-branch'
  | 'pause'
  | 'freeze'
  | 'incident'
  | 'fault'
  | 'quiet'
  | 'configure'
  | 'manual'
  | 'slow-promote'
  | 'unknown-target'
  | 'storm'
  | 'reject'
  | 'fail-stage';

/** How often each kind of random action is chosen, relative to the others. */
export const DEFAULT_WEIGHTS: Record<EventKind, number> = {
  merge: 4,
  hotfix: 0.8,
  'push-branch': 1,
  pause: 1.2,
  freeze: 0.6,
  incident: 0.6,
  fault: 2.5,
  quiet: 1,
  configure: 0.8,
  manual: 0.8,
  'slow-promote': 0.6,
  'unknown-target': 0.5,
  storm: 0.5,
  reject: 0.4,
  'fail-stage': 0.4,
};

export interface PlannedStep {
  step: number;
  /** Ends that were scheduled for this step (resume, unfreeze, resolve, clear, repair, restore...), then the random action. */
  actions: Action[];
  waitMs: number;
}

export interface PlanTiming {
  minAgeMs: number;
  tickMs: number;
  releasePhaseMs: number;
}

/** Every endpoint a reconcile pass or a promotion calls (the zero-downtime gate reads formation and preboot of production targets). */
export const HEROKU_GETS = [
  'GET /pipelines/{id}/latest-releases',
  'GET /apps/{app}/releases',
  'GET /apps/{app}/releases/{id_or_version}',
  'GET /apps/{app}/slugs/{id}',
  'GET /pipeline-promotions/{id}/promotion-targets',
  'GET /apps/{app}/formation/{formation}',
  'GET /apps/{app}/features/{feature}',
];
export const GITHUB_GETS = [
  'GET /github/repos/{owner}/{repo}/compare/{basehead}',
  'GET /github/repos/{owner}/{repo}/commits/{ref}/check-runs',
  'GET /github/repos/{owner}/{repo}/commits/{ref}/status',
];
export const PROMOTE = 'POST /pipeline-promotions';
/** What the promote activity reads before its POST: the target's newest release. */
export const PROMOTE_READS = ['GET /apps/{app}/releases'];
const GETS = [...HEROKU_GETS, ...GITHUB_GETS];
/** How many kinds of malformed configure payload there are (see malformedConfig in chaos.ts). */
export const MALFORMED_VARIANTS = 6;

export class Planner {
  private readonly next: () => number;
  private readonly paused = new Set<number>();
  private frozen = false;
  private readonly incidents = new Set<number>();
  private readonly faults = new Set<string>();
  /** Services with a config change not yet restored. */
  private readonly reconfigured = new Set<number>();
  /** Services with a stage whose release phase fails. */
  private readonly failing = new Set<number>();
  /** Services with a hotfix or unknown release downstream not yet repaired, or a rejection not yet lifted. */
  private readonly dirty = new Map<number, number>();
  private readonly scheduled = new Map<number, Action[]>();
  private readonly weights: Record<EventKind, number>;
  private counter = 0;

  constructor(
    seed: number,
    private readonly services: number,
    private readonly stages: number,
    private readonly waitMs: [number, number],
    private readonly timing: PlanTiming = { minAgeMs: 1_000, tickMs: 1_000, releasePhaseMs: 300 },
    weights: Partial<Record<EventKind, number>> = {},
  ) {
    this.next = random(seed);
    this.weights = { ...DEFAULT_WEIGHTS, ...weights };
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

  private markDirty(service: number, untilStep: number): void {
    this.dirty.set(service, Math.max(this.dirty.get(service) ?? 0, untilStep));
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
      if (due.kind === 'configure' && due.change.kind === 'restore') this.reconfigured.delete(due.service);
      if (due.kind === 'fix-stage') this.failing.delete(due.service);
      actions.push(due);
    }
    this.scheduled.delete(step);
    actions.push(this.randomAction());
    return { step, actions, waitMs: this.int(this.waitMs[0], this.waitMs[1]) };
  }

  /** Nothing of the planner's own holds a service: what a storm needs to show that changes still flow (a fault that fires during it exempts it at run time). */
  private clear(service: number): boolean {
    return !this.paused.has(service) && !this.frozen && this.incidents.size === 0 && !this.reconfigured.has(service);
  }

  private randomAction(): Action {
    const service = this.int(0, this.services - 1);
    const options: [EventKind, () => Action][] = [
      ['merge', () => ({ kind: 'merge', service })],
      [
        'hotfix',
        () => {
          const stage = this.int(1, this.stages - 1);
          // An operator overwrites the hotfix by hand a few steps later, or the pipeline stays stuck behind it.
          const inSteps = this.int(3, 7);
          this.schedule(inSteps, { kind: 'repair', service, stage });
          this.markDirty(service, this.counter + inSteps + 2);
          return { kind: 'hotfix', service, stage };
        },
      ],
      ['push-branch', () => ({ kind: 'push-branch', service, branch: `feature/${this.counter}` })],
      [
        'pause',
        () => {
          if (this.paused.has(service)) return { kind: 'quiet' };
          this.paused.add(service);
          this.schedule(this.int(1, 5), { kind: 'resume', service, via: this.via() });
          return { kind: 'pause', service, via: this.via() };
        },
      ],
      [
        'freeze',
        () => {
          if (this.frozen) return { kind: 'quiet' };
          this.frozen = true;
          this.schedule(this.int(1, 4), { kind: 'unfreeze', via: this.via() });
          return { kind: 'freeze', via: this.via() };
        },
      ],
      [
        'incident',
        () => {
          if (this.incidents.size >= 2) return { kind: 'quiet' };
          const id = this.counter;
          this.incidents.add(id);
          this.schedule(this.int(1, 4), { kind: 'resolve-incident', id });
          return { kind: 'open-incident', id };
        },
      ],
      [
        'fault',
        () => {
          if (this.faults.size >= 3) return { kind: 'quiet' };
          const rule = this.faultRule();
          this.faults.add(rule.id);
          this.schedule(this.int(2, 6), { kind: 'clear-fault', id: rule.id, storm: rule.kind === 'rate-limit-storm' });
          return { kind: 'inject-fault', rule };
        },
      ],
      ['quiet', () => ({ kind: 'quiet' })],
      [
        'configure',
        () => {
          if (this.reconfigured.has(service)) return { kind: 'quiet' };
          const roll = this.next();
          const change: ConfigChange =
            roll < 0.3
              ? {
                  kind: 'min-age',
                  minAgeMs: this.pick([
                    this.timing.minAgeMs * 2,
                    this.timing.minAgeMs * 3,
                    Math.max(200, Math.round(this.timing.minAgeMs / 2)),
                  ]),
                }
              : roll < 0.6 && this.stages > 2
                ? { kind: 'drop-stage', stage: this.int(1, this.stages - 2) }
                : roll < 0.75
                  ? { kind: 'blackout' }
                  : { kind: 'malformed', variant: this.int(0, MALFORMED_VARIANTS - 1) };
          this.reconfigured.add(service);
          this.schedule(change.kind === 'blackout' ? this.int(2, 4) : this.int(2, 5), {
            kind: 'configure',
            service,
            change: { kind: 'restore' },
          });
          return { kind: 'configure', service, change };
        },
      ],
      [
        'manual',
        () => ({
          kind: 'manual',
          service,
          stage: this.int(1, this.stages - 1),
          id: this.counter,
          nearHandover: this.next() < 0.5,
          commit: this.pick(['none', 'none', 'current', 'stale'] as const),
        }),
      ],
      [
        'fail-stage',
        () => {
          if (this.failing.has(service)) return { kind: 'quiet' };
          const stage = this.int(1, this.stages - 1);
          const inSteps = this.int(2, 5);
          this.failing.add(service);
          this.schedule(inSteps, { kind: 'fix-stage', service, stage, retry: this.next() < 0.7, id: this.counter });
          this.markDirty(service, this.counter + inSteps + 2);
          return { kind: 'fail-stage', service, stage };
        },
      ],
      [
        'slow-promote',
        () => {
          if (this.paused.has(service) || this.frozen || this.faults.size >= 3) return { kind: 'quiet' };
          const id = `slow-${this.counter}`;
          const hold = this.pick(['pause', 'pause', 'freeze', 'reject'] as const);
          // The action clears its own faults; the hold ends a few steps later.
          if (hold === 'pause') {
            this.paused.add(service);
            this.schedule(this.int(2, 4), { kind: 'resume', service, via: this.via() });
          } else if (hold === 'freeze') {
            this.frozen = true;
            this.schedule(this.int(2, 4), { kind: 'unfreeze', via: this.via() });
          } else {
            const inSteps = this.int(2, 4);
            this.schedule(inSteps, { kind: 'unreject', service, id: this.counter });
            this.markDirty(service, this.counter + inSteps + 1);
          }
          return { kind: 'slow-promote', service, id, hold, holdMs: this.int(1_500, 4_000) };
        },
      ],
      [
        'unknown-target',
        () => {
          const stage = this.int(1, this.stages - 1);
          const inSteps = this.int(3, 7);
          this.schedule(inSteps, { kind: 'repair', service, stage });
          this.markDirty(service, this.counter + inSteps + 2);
          return { kind: 'unknown-target', service, stage, artifact: this.next() < 0.6 ? 'tarball' : 'image' };
        },
      ],
      [
        'storm',
        () => {
          if (!this.clear(service)) return { kind: 'merge', service };
          // Merges a third of the soak apart, each after the last one's release phase ended (a source
          // in its release phase is waited for), for long enough that a release can soak and move on
          // (release phase, soak, two ticks) with room to spare. The soak is raised for the storm when
          // the release phase leaves no room below it.
          const spacingMs = Math.max(100, Math.round(this.timing.minAgeMs / 3), 2 * this.timing.releasePhaseMs + 100);
          const minAgeMs = Math.max(this.timing.minAgeMs, 3 * spacingMs);
          const needMs = this.timing.releasePhaseMs + 3 * minAgeMs + 2 * this.timing.tickMs + 2_000;
          return { kind: 'storm', service, merges: Math.ceil(needMs / spacingMs), spacingMs, minAgeMs };
        },
      ],
      [
        'reject',
        () => {
          const inSteps = this.int(2, 5);
          this.schedule(inSteps, { kind: 'unreject', service, id: this.counter });
          this.markDirty(service, this.counter + inSteps + 1);
          return { kind: 'reject', service, id: this.counter };
        },
      ],
    ];
    const weighted = options.filter(([kind]) => this.weights[kind] > 0);
    const total = weighted.reduce((sum, [kind]) => sum + this.weights[kind], 0);
    let roll = this.next() * total;
    for (const [kind, make] of weighted) {
      roll -= this.weights[kind];
      if (roll < 0) return make();
    }
    return weighted[0][1]();
  }

  private faultRule(): FaultRule & { id: string } {
    const id = `chaos-${this.counter}`;
    const rate = (min: number, max: number) => Math.round((min + this.next() * (max - min)) * 100) / 100;
    const kinds: [number, () => FaultRule & { id: string }][] = [
      [
        3,
        () => ({
          id,
          kind: 'error',
          endpoint: this.pick([...GETS, PROMOTE]),
          status: this.pick([500, 502, 503, 504] as const),
          rate: rate(0.2, 0.7),
        }),
      ],
      [
        2,
        () => ({
          id,
          kind: 'latency',
          endpoint: this.pick([...GETS, PROMOTE]),
          delayMs: this.int(100, 1_500),
          rate: rate(0.3, 1),
        }),
      ],
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

  /** Ends everything still open: what the run does before settling (repairs are left out: a hotfix may stay). */
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
export function planText(
  seed: number,
  steps: number,
  services = 3,
  stages = 4,
  waitMs: [number, number] = [150, 1_000],
  timing?: PlanTiming,
  weights?: Partial<Record<EventKind, number>>,
): string[] {
  const planner = new Planner(seed, services, stages, waitMs, timing, weights);
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
    case 'resume':
    case 'manual':
    case 'slow-promote':
    case 'unknown-target':
    case 'storm':
    case 'reject':
    case 'unreject':
    case 'fail-stage':
    case 'fix-stage': {
      const rest = Object.entries(action)
        .filter(([key]) => key !== 'kind' && key !== 'service')
        .map(([key, value]) => `${key}=${value}`);
      return `${action.kind} s${action.service}${rest.length ? ` ${rest.join(' ')}` : ''}`;
    }
    case 'configure':
      return `configure s${action.service} ${JSON.stringify(action.change)}`;
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

/** A configure payload a person might send by hand with the temporal CLI: wrongly typed or missing fields. */
export function malformedConfig(service: Service, variant: number): Record<string, unknown> {
  const base = { ...service } as Record<string, unknown>;
  switch (variant % MALFORMED_VARIANTS) {
    case 0:
      return { ...base, minAgeMs: '30m' };
    case 1:
      return { ...base, windows: {} };
    case 2:
      return { ...base, ignoreFreeze: 'false' };
    case 3:
      return { ...base, minAgeMs: 100_000_000 * 86_400_000 };
    case 4:
      return { ...base, stages: service.stages[0] };
    default:
      return { ...base, windows: { windows: [{ days: 'Mon-Fri', start: 9, end: '17:00' }], blackouts: [] } };
  }
}
