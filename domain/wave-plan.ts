import { artifactId, sameBuild } from './artifact';
import type { Observation, ReleaseFact, StageFact } from './observation';
import { shortSha } from './observation';
import type { FailedPromotion } from './promotion';
import { soakRuns } from './soak';
import { waveBefore, wavesOf, type Pair, type Service } from './service';
import { appsNeeded, parseWaveRule } from './wave';

/** One app of the wave a release leaves: when its soak there ends, or why it may not go on. */
export interface WaveApp {
  app: string;
  /** When the release's code has soaked on this app (ISO); null while the app does not run it. */
  soakedAt: string | null;
  /** Why the release may not leave the wave because of this app (it failed or was rolled back there). */
  failed?: string;
}

/** Where a candidate's release stands on every app of the wave it leaves (for the wave gate). */
export interface WaveSoak {
  /** The rule as the services file wrote it ("all" when absent). */
  rule: string;
  /** How many of the apps must have soaked. */
  needed: number;
  apps: WaveApp[];
}

/** What the plan remembers that Heroku does not tell: failures per target app, and operators' retries. */
export interface WaveMemory {
  failed: Readonly<Record<string, readonly FailedPromotion[]>>;
  retry?: Readonly<Record<string, string>>;
  /** Apps with a promotion in flight (posting or baking): what runs there has not held up yet. */
  inFlight?: readonly string[];
}

const sameCode = (a: ReleaseFact | null | undefined, b: ReleaseFact | null | undefined): boolean =>
  !!a?.commit && a.commit === b?.commit;
const runs = (a: ReleaseFact | null | undefined, b: ReleaseFact): boolean => sameBuild(a ?? null, b) || sameCode(a, b);

/** Why `source` may not go on because of `app`: it failed there, or its release phase failed there. */
function failureOn(
  app: string,
  fact: StageFact | undefined,
  source: ReleaseFact,
  memory: WaveMemory,
): string | undefined {
  const artifact = artifactId(source);
  if (artifact && memory.retry?.[app] === artifact) return undefined;
  const failed = memory.failed[app]?.find((f) => f.artifactId === artifact);
  if (failed) return `${shortSha(source.commit)} failed in ${app} at ${failed.at}: ${failed.error}`;
  if (fact?.latest?.status === 'failed' && sameBuild(fact.latest, source))
    return `${shortSha(source.commit)} failed its release in ${app} (v${fact.latest.version})`;
  return undefined;
}

/**
 * When `source`'s code has soaked on one app of a wave: counted from the run of releases carrying
 * it, as on any stage (soak.ts). An older run counts while the app runs what the wave's first app
 * runs (whose ancestry the plan asked GitHub about); null while the app does not run it.
 */
function soakedAtOn(fact: StageFact | undefined, source: ReleaseFact, lead: ReleaseFact | null, minAgeMs: number) {
  if (!fact?.current) return null;
  const list = soakRuns(fact, null);
  const index = list.findIndex((run) => runs(run.release, source));
  if (index < 0 || (index > 0 && !runs(fact.current, lead ?? source))) return null;
  return new Date(Date.parse(list[index].since) + minAgeMs).toISOString();
}

/**
 * The wave facts of a candidate into `pair.to`, when the wave before holds several apps; undefined
 * for a chain's pair (its age gate judges the one source). Pure.
 */
export function waveSoak(
  service: Service,
  pair: Pair,
  source: ReleaseFact,
  observation: Observation,
  memory: WaveMemory,
): WaveSoak | undefined {
  const before = waveBefore(service, pair.to);
  if (before.length < 2) return undefined;
  const rule = parseWaveRule(service.waveRule) ?? { kind: 'all' as const };
  const fact = (app: string) => observation.stages.find((stage) => stage.app === app);
  const lead = fact(pair.from)?.current ?? null;
  const apps = before.map((app): WaveApp => {
    const failed = failureOn(app, fact(app), source, memory);
    // An app still baking may yet fail and roll back: its soak does not count until it is verified.
    const soakedAt = memory.inFlight?.includes(app) ? null : soakedAtOn(fact(app), source, lead, service.minAgeMs);
    return { app, soakedAt, ...(failed ? { failed } : {}) };
  });
  return { rule: service.waveRule ?? 'all', needed: appsNeeded(rule, before.length), apps };
}

/** "2 of 3 soaked": how a wave reads on every surface. */
export function waveProgress(wave: WaveSoak, now: number): { soaked: number; of: number; label: string } {
  const soaked = wave.apps.filter((a) => a.soakedAt !== null && Date.parse(a.soakedAt) <= now).length;
  return { soaked, of: wave.apps.length, label: `${soaked} of ${wave.apps.length} soaked` };
}

/** The moment the wave gate opens on its own (the `needed`-th soak to end), if enough apps run the release. */
export function waveOpensAt(wave: WaveSoak): number | undefined {
  const ends = wave.apps
    .filter((a) => a.soakedAt !== null)
    .map((a) => Date.parse(a.soakedAt!))
    .sort((a, b) => a - b);
  return ends.length >= wave.needed ? ends[wave.needed - 1] : undefined;
}

/** The index of the wave `app` is in, or -1. */
export const waveIndexOf = (service: Service, app: string): number =>
  wavesOf(service).findIndex((wave) => wave.includes(app));

/** What grouping looks at of a decided promotion (decision.ts's Go). */
interface Grouped {
  candidate: { pair: Pair; source: { id: string } };
  manual?: { by: string };
}

/**
 * The promotions to post, grouped: targets of one wave that take the same source release go in one
 * Heroku promotion with several targets. Promotions by hand go together only with those the same
 * person asked for at once (`conveyor promote --to a,b`), never with the gates' own; a target whose
 * promotion starts from another release goes apart. Order kept.
 */
export function groupPromotions<G extends Grouped>(service: Service, gos: readonly G[]): G[][] {
  const groups: G[][] = [];
  const byKey = new Map<string, G[]>();
  for (const go of gos) {
    const { pair, source } = go.candidate;
    const by = go.manual ? `by ${go.manual.by}` : 'gates';
    const key = JSON.stringify([waveIndexOf(service, pair.to), pair.from, source.id, by]);
    const group = byKey.get(key);
    if (group) group.push(go);
    else {
      const fresh = [go];
      byKey.set(key, fresh);
      groups.push(fresh);
    }
  }
  return groups;
}

/** How a wave stands, as every surface shows it: the release its first app runs, soaked on how many apps. */
export interface WaveStatus {
  apps: string[];
  /** The release the wave's first app runs (what leaves the wave next); null before it runs one. */
  version: number | null;
  commit: string | null;
  soaked: number;
  of: number;
  /** "2 of 3 soaked". */
  label: string;
}

/**
 * Every wave of a service with several apps in some wave, with the release its first app runs and
 * on how many of its apps that release has soaked at `now`; empty for a chain. Pure.
 */
export function waveStatuses(service: Service, observation: Observation | null, now: number): WaveStatus[] {
  if (!service.waves?.length) return [];
  const fact = (app: string) => observation?.stages.find((stage) => stage.app === app);
  return wavesOf(service).map((apps) => {
    const lead = fact(apps[0])?.current ?? null;
    const soaked = lead
      ? apps.filter((app) => {
          const at = soakedAtOn(fact(app), lead, lead, service.minAgeMs);
          return at !== null && Date.parse(at) <= now;
        }).length
      : 0;
    return {
      apps,
      version: lead?.version ?? null,
      commit: lead?.commit ?? null,
      soaked,
      of: apps.length,
      label: `${soaked} of ${apps.length} soaked`,
    };
  });
}
