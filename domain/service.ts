import { promQueryFor, type AlertPolicy, type IncidentPolicy, type UrlPolicy } from './health';
import type { WindowPolicy } from './window';
import type { ApprovalPolicy } from './approval';
import type { WebhookPolicy, ZeroDowntimeMode } from './checks';
import type { AccessPolicy } from './role';

/** Checks that apply to promotions into one stage. */
export interface StagePolicy {
  alerts?: AlertPolicy;
  urls?: UrlPolicy;
  /** After a promotion into the stage, how long its alerts and URLs must stay green. */
  bakeMs?: number;
  /** A person must approve each release into the stage. */
  approval?: ApprovalPolicy;
  /** Web dynos and preboot; the default is 'block' for apps coupled as production, 'off' elsewhere. */
  zeroDowntime?: ZeroDowntimeMode | 'off';
  /** The team's own check, asked before each promotion. */
  webhook?: WebhookPolicy;
}

/** What a failed verification does: put the previous release back and pause, or only pause. */
export type OnFailure = 'rollback' | 'pause';

/**
 * A Service as conveyor runs it: one Heroku pipeline whose Stages (apps) a Release moves through
 * in order. Durations are normalised to milliseconds; nothing here is secret, because this value
 * travels in workflow arguments and history.
 */
export interface Service {
  name: string;
  /** Heroku pipeline name or id. */
  pipeline: string;
  /** Heroku app names, first stage first (every app of every wave, wave by wave). */
  stages: string[];
  /**
   * The stages as waves, when one holds several apps (wave.ts): the apps of a wave are promoted
   * together from the wave before. Absent: every stage is a wave of one (a chain).
   */
  waves?: string[][];
  /** When a release may leave a wave of several apps: "all" (absent), "any" or "N of M" (wave.ts). */
  waveRule?: string;
  /** GitHub repository, "owner/name". */
  repo: string;
  /** Only commits on this branch are promoted. */
  branch: string;
  /** A release must be this old on its source stage before it moves on. */
  minAgeMs: number;
  /** How often the pipeline is observed when nothing else wakes the workflow. */
  tickMs: number;
  /** The fallback poll while Heroku's release webhooks reach the pipeline (10 min when absent; never below tickMs). */
  webhookTickMs?: number;
  // The fields below came with the health gates; workflows started before them carry none.
  /** Deploy windows and blackouts (the file's global ones merged in). */
  windows?: WindowPolicy;
  /** Incident sources checked before every promotion. */
  incident?: IncidentPolicy;
  /** Alerts and URLs checked before a promotion into a stage; `'*'` applies to every stage. */
  checks?: Record<string, StagePolicy>;
  /** Hotfix-only services keep promoting during a company-wide freeze. */
  ignoreFreeze?: boolean;
  /** Default rollback. */
  onFailure?: OnFailure;
  /** The CI gate (GitHub checks and statuses of the source commit); on unless false. */
  ci?: boolean;
  /** Who may view and operate, and whose signatures make an action verified. */
  access?: AccessPolicy;
}

/**
 * A Stage pair: `from` promotes into `to` (`index`: the position of `to` among the stages, less one).
 * Into an app of a wave, the pair's source is the first app of the wave before (where that wave's
 * promotions come from); the wave gate then looks at every app of it.
 */
export interface Pair {
  index: number;
  from: string;
  to: string;
}

/** The service's waves: each a list of apps; a chain is a list of waves of one app. */
export const wavesOf = (service: Pick<Service, 'stages' | 'waves'>): string[][] =>
  service.waves?.length ? service.waves : service.stages.map((app) => [app]);

/** The apps of the wave before the one `app` is in (empty for the first stage or an unknown app). */
export function waveBefore(service: Pick<Service, 'stages' | 'waves'>, app: string): string[] {
  const waves = wavesOf(service);
  const index = waves.findIndex((wave) => wave.includes(app));
  return index > 0 ? waves[index - 1] : [];
}

/** The apps promoted together with `app` (its wave, itself included). */
export function waveWith(service: Pick<Service, 'stages' | 'waves'>, app: string): string[] {
  return wavesOf(service).find((wave) => wave.includes(app)) ?? [app];
}

export function pairsOf(service: Service): Pair[] {
  const waves = wavesOf(service);
  return waves
    .slice(1)
    .flatMap((wave, w) => wave.map((to) => ({ index: service.stages.indexOf(to) - 1, from: waves[w][0], to })));
}

export const workflowIdFor = (service: string): string => `conveyor/${service}`;

/** The singleton workflow holding the company-wide freeze. */
export const CONTROL_WORKFLOW_ID = 'conveyor/control';

/** The checks for promotions into `stage`: its own, else those for every stage ('*'); ${stage} in PromQL is the stage. */
export function stagePolicy(service: Service, stage: string): StagePolicy {
  const all = service.checks?.['*'] ?? {};
  const own = service.checks?.[stage] ?? {};
  const policy = { ...all, ...own };
  const prometheus = policy.alerts?.prometheus;
  if (!prometheus?.queries.some((q) => q.query.includes('${stage}'))) return policy;
  const queries = prometheus.queries.map((q) => ({ ...q, query: promQueryFor(q.query, stage) }));
  return { ...policy, alerts: { ...policy.alerts, prometheus: { ...prometheus, queries } } };
}

/** A config's value with its keys sorted at every depth, so two equal configs read the same. */
const canonical = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(canonical)
    : value && typeof value === 'object'
      ? Object.fromEntries(
          Object.entries(value)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => [k, canonical(v)]),
        )
      : value;

/**
 * Eight hex digits naming a configuration (FNV-1a of its canonical JSON): the same config always
 * reads the same, so the Web UI and `conveyor status` say which one is in force.
 */
export function configDigest(service: Service): string {
  // Every status names it, and a configuration is never changed in place: one digest per object.
  const known = digests.get(service);
  if (known !== undefined) return known;
  const digest = fnv1a(JSON.stringify(canonical(service)));
  digests.set(service, digest);
  return digest;
}

const digests = new WeakMap<Service, string>();

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
