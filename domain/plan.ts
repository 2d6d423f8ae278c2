import { artifactId, sameBuild } from './artifact';
import type { CommitAnswers, CommitQuestion } from './commits';
import { questionKey } from './commits';
import { ancestryQuestions, chooseSoaked, soakRuns, type Soak } from './soak';
import type { FailedPromotion } from './promotion';

export type { FailedPromotion } from './promotion';
import type { Candidate } from './gates';
import type { Observation, ReleaseFact, StageFact } from './observation';
import { shortSha } from './observation';
import { expiredReason, isExpired, refusalHolds, refusalReason, type Refusal } from './refusal';
import { rejects, type Rejection } from './rejection';
import { pairsOf, type Pair, type Service } from './service';
import { waveSoak } from './wave-plan';

export { stagePolicy } from './service';

/** What the workflow remembers between observations that Heroku does not tell it. */
export interface PlanMemory {
  /** Target stages with a promotion of ours in flight. */
  inFlight: readonly string[];
  /** Per target stage, releases whose promotion into it failed. */
  failed: Readonly<Record<string, readonly FailedPromotion[]>>;
  /** Releases operators declared bad. */
  rejected?: readonly Rejection[];
  /**
   * With the time and known commit answers, the candidate is the newest source release that has
   * soaked (soak.ts), not only the one the source runs now. Absent: the running one.
   */
  soak?: { now: number; commits: CommitAnswers };
  /** Per target stage, an artifact id whose failure there an operator asked to retry (`retry` update). */
  retry?: Readonly<Record<string, string>>;
  /** Source releases a promotion of which Heroku refused as expired: never chosen again. */
  expired?: readonly string[];
  /** Per target stage, the refusal its pair backs off from, judged at `now`. */
  refusals?: { now: number; byStage: Readonly<Record<string, Refusal>> };
}

export type PairPlan =
  | { pair: Pair; kind: 'in-sync'; reason: string }
  | { pair: Pair; kind: 'waiting'; reason: string }
  | { pair: Pair; kind: 'promoting'; reason: string }
  | { pair: Pair; kind: 'held'; reason: string }
  | { pair: Pair; kind: 'candidate'; reason: string; candidate: Candidate; ancestry?: CommitQuestion[] };

function describe(release: ReleaseFact): string {
  return `v${release.version} (${shortSha(release.commit)})`;
}

/** Two releases of one known commit: the same code, whichever build it came from. */
const sameCode = (a: ReleaseFact, b: ReleaseFact): boolean => !!a.commit && a.commit === b.commit;

/** The soak runs newer than the first one that runs the target's code (all of them when none does). */
function untilCode(runs: Soak[], target: ReleaseFact | null): Soak[] {
  const index = target ? runs.findIndex((run) => sameCode(run.release, target)) : -1;
  return index < 0 ? runs : runs.slice(0, index);
}

function planPair(service: Service, pair: Pair, from: StageFact, to: StageFact, memory: PlanMemory): PairPlan {
  if (memory.inFlight.includes(pair.to))
    return { pair, kind: 'promoting', reason: `a promotion into ${pair.to} is in flight` };
  if (memory.inFlight.includes(pair.from))
    return { pair, kind: 'waiting', reason: `a promotion into ${pair.from} is in flight` };
  const newest = from.current;
  // A source releasing something new still runs what it ran: with soak, a release that has soaked
  // there may move on meanwhile (merges faster than release phases must not stop the flow).
  if (from.latest?.status === 'pending' && !memory.soak)
    return { pair, kind: 'waiting', reason: `${pair.from} is releasing ${describe(from.latest)}` };
  if (!newest || !artifactId(newest))
    return { pair, kind: 'waiting', reason: `${pair.from} runs no release with a slug` };
  const target = to.current;
  if (sameBuild(target, newest)) return { pair, kind: 'in-sync', reason: `both run ${describe(newest)}` };
  // One commit built twice (apps built one by one before they were coupled): the same code, nothing to move.
  if (target && sameCode(target, newest))
    return {
      pair,
      kind: 'in-sync',
      reason: `both run ${shortSha(newest.commit)} (same commit, another build: v${newest.version} and v${target.version})`,
    };
  if (to.latest?.status === 'pending' && sameBuild(to.latest, newest)) {
    return { pair, kind: 'promoting', reason: `${pair.to} is releasing ${shortSha(newest.commit)}` };
  }
  // Older releases of the source running the target's commit bring nothing the target lacks.
  // A release whose artifact Heroku destroyed cannot be promoted: the newest unexpired one moves instead.
  const expired = (release: ReleaseFact) => isExpired(release, memory.expired);
  const runs = memory.soak ? untilCode(soakRuns(from, target), target).filter((run) => !expired(run.release)) : [];
  const chosen = memory.soak ? chooseSoaked(runs, service.minAgeMs, memory.soak.now, memory.soak.commits) : null;
  const source = chosen?.release ?? newest;
  if (expired(source)) return { pair, kind: 'held', reason: expiredReason(source, pair.from) };
  if (to.latest?.status === 'pending' && sameBuild(to.latest, source)) {
    return { pair, kind: 'promoting', reason: `${pair.to} is releasing ${shortSha(source.commit)}` };
  }
  const refusal = memory.refusals?.byStage[pair.to];
  if (memory.refusals && refusalHolds(refusal, memory.refusals.now))
    return { pair, kind: 'held', reason: refusalReason(refusal) };
  const rejection = memory.rejected?.find((r) => rejects(r, source.commit));
  if (rejection)
    return {
      pair,
      kind: 'held',
      reason: `${shortSha(source.commit)} rejected by ${rejection.by} at ${rejection.at}: ${rejection.reason}`,
    };
  // The target is releasing something else (a hotfix in its release phase): let it finish first.
  if (to.latest?.status === 'pending' && !sameBuild(to.latest, source)) {
    return { pair, kind: 'waiting', reason: `${pair.to} is releasing ${describe(to.latest)}` };
  }
  const retried = memory.retry?.[pair.to] === artifactId(source);
  const failed = retried ? undefined : memory.failed[pair.to]?.find((f) => f.artifactId === artifactId(source));
  if (failed)
    return {
      pair,
      kind: 'held',
      reason: `${shortSha(source.commit)} failed in ${pair.to} at ${failed.at}: ${failed.error}`,
    };
  if (!retried && to.latest?.status === 'failed' && sameBuild(to.latest, source)) {
    return {
      pair,
      kind: 'held',
      reason: `${shortSha(source.commit)} failed its release in ${pair.to} (v${to.latest.version})`,
    };
  }
  const candidate: Candidate = {
    pair,
    source,
    target,
    ...(chosen ? { soakedSince: chosen.since } : {}),
    ...(source.id !== newest.id ? { newest } : {}),
  };
  const ancestry = ancestryQuestions(runs);
  return {
    pair,
    kind: 'candidate',
    reason: `${describe(source)} differs from ${pair.to}`,
    candidate,
    ...(ancestry.length ? { ancestry } : {}),
  };
}

/**
 * The reconcile plan: for every adjacent pair of stages, whether it is in sync, busy, held, or has
 * a release that may move once the gates agree. Pure: the same observation gives the same plan.
 */
export function planPairs(service: Service, observation: Observation, memory: PlanMemory): PairPlan[] {
  // Matched by app name, never by position: the observation may have been made for another config.
  return pairsOf(service).map((pair) => {
    const from = stageOf(observation, pair.from);
    const to = stageOf(observation, pair.to);
    if (!from || !to)
      return { pair, kind: 'waiting', reason: `${from ? pair.to : pair.from} has not been observed yet` };
    return withWave(service, planPair(service, pair, from, to, memory), observation, memory);
  });
}

/**
 * Into an app of a wave after one of several apps: the candidate carries where its release has
 * soaked on each app of the wave before (the wave gate judges it); a release that failed or was
 * rolled back on any of them does not go on, whatever an operator asks.
 */
function withWave(service: Service, plan: PairPlan, observation: Observation, memory: PlanMemory): PairPlan {
  if (plan.kind !== 'candidate') return plan;
  const wave = waveSoak(service, plan.pair, plan.candidate.source, observation, memory);
  if (!wave) return plan;
  const failed = wave.apps.find((app) => app.failed);
  if (failed)
    return {
      pair: plan.pair,
      kind: 'held',
      reason: `${failed.failed} (a wave goes on only with what held up on every app)`,
    };
  return { ...plan, candidate: { ...plan.candidate, wave } };
}

/** The observed facts of one stage app, if the observation covered it. */
export function stageOf(observation: Observation, app: string): StageFact | undefined {
  return observation.stages.find((stage) => stage.app === app);
}

/** The GitHub questions the gates need answered for the candidates, each asked once. */
export function commitQuestions(service: Service, plans: readonly PairPlan[]): CommitQuestion[] {
  const questions = new Map<string, CommitQuestion>();
  const ask = (q: CommitQuestion) => questions.set(questionKey(q), q);
  for (const plan of plans) {
    if (plan.kind !== 'candidate') continue;
    plan.ancestry?.forEach(ask);
    const { source, target, newest } = plan.candidate;
    // The release running on the source is asked about too: a person may promote it by hand.
    for (const release of newest ? [source, newest] : [source]) {
      if (!release.commit) continue;
      ask({ base: service.branch, head: release.commit });
      if (target?.commit) ask({ base: target.commit, head: release.commit });
    }
  }
  return [...questions.values()];
}

/**
 * Where a change is, as a person means it: the furthest stage running the newest release (the one
 * on the first stage, where merges land).
 */
export function currentStage(
  service: Service,
  observation: Observation,
): { stage: string; index: number; commit: string | null; version: number | null } | null {
  const facts = service.stages.map((app) => stageOf(observation, app));
  const newest = facts[0]?.current;
  if (!newest) return null;
  let index = 0;
  facts.forEach((stage, i) => {
    const current = stage?.current;
    if (current && artifactId(current) && (sameBuild(current, newest) || sameCode(current, newest))) index = i;
  });
  return {
    stage: service.stages[index],
    index,
    commit: newest.commit,
    version: facts[index]?.current?.version ?? null,
  };
}
