import type { CommitQuestion } from './commits';
import { questionKey } from './commits';
import type { Candidate } from './gates';
import type { Observation, ReleaseFact, StageFact } from './observation';
import { shortSha } from './observation';
import { rejects, type Rejection } from './rejection';
import { pairsOf, type Pair, type Service, type StagePolicy } from './service';

/** What a Promotion into a stage left behind when it failed: that release is not tried there again. */
export interface FailedPromotion {
  slugId: string;
  commit: string | null;
  error: string;
  at: string;
}

/** What the workflow remembers between observations that Heroku does not tell it. */
export interface PlanMemory {
  /** Target stages with a promotion of ours in flight. */
  inFlight: readonly string[];
  /** Per target stage, releases whose promotion into it failed. */
  failed: Readonly<Record<string, readonly FailedPromotion[]>>;
  /** Releases operators declared bad. */
  rejected?: readonly Rejection[];
  /** Wait while the target is releasing something else (a hotfix in its release phase). */
  waitForPendingTargets?: boolean;
}

export type PairPlan =
  | { pair: Pair; kind: 'in-sync'; reason: string }
  | { pair: Pair; kind: 'waiting'; reason: string }
  | { pair: Pair; kind: 'promoting'; reason: string }
  | { pair: Pair; kind: 'held'; reason: string }
  | { pair: Pair; kind: 'candidate'; reason: string; candidate: Candidate };

function describe(release: ReleaseFact): string {
  return `v${release.version} (${shortSha(release.commit)})`;
}

function planPair(pair: Pair, from: StageFact, to: StageFact, memory: PlanMemory): PairPlan {
  if (memory.inFlight.includes(pair.to)) return { pair, kind: 'promoting', reason: `a promotion into ${pair.to} is in flight` };
  if (memory.inFlight.includes(pair.from)) return { pair, kind: 'waiting', reason: `a promotion into ${pair.from} is in flight` };
  const source = from.current;
  if (from.latest?.status === 'pending') return { pair, kind: 'waiting', reason: `${pair.from} is releasing ${describe(from.latest)}` };
  if (!source?.slugId) return { pair, kind: 'waiting', reason: `${pair.from} runs no release with a slug` };
  const target = to.current;
  if (target?.slugId === source.slugId) return { pair, kind: 'in-sync', reason: `both run ${describe(source)}` };
  if (to.latest?.status === 'pending' && to.latest.slugId === source.slugId) {
    return { pair, kind: 'promoting', reason: `${pair.to} is releasing ${shortSha(source.commit)}` };
  }
  const rejection = memory.rejected?.find((r) => rejects(r, source.commit));
  if (rejection) return { pair, kind: 'held', reason: `${shortSha(source.commit)} rejected by ${rejection.by} at ${rejection.at}: ${rejection.reason}` };
  if (memory.waitForPendingTargets && to.latest?.status === 'pending' && to.latest.slugId !== source.slugId) {
    return { pair, kind: 'waiting', reason: `${pair.to} is releasing ${describe(to.latest)}` };
  }
  const failed = memory.failed[pair.to]?.find((f) => f.slugId === source.slugId);
  if (failed) return { pair, kind: 'held', reason: `${shortSha(source.commit)} failed in ${pair.to} at ${failed.at}: ${failed.error}` };
  if (to.latest?.status === 'failed' && to.latest.slugId === source.slugId) {
    return { pair, kind: 'held', reason: `${shortSha(source.commit)} failed its release in ${pair.to} (v${to.latest.version})` };
  }
  return { pair, kind: 'candidate', reason: `${describe(source)} differs from ${pair.to}`, candidate: { pair, source, target } };
}

/**
 * The reconcile plan: for every adjacent pair of stages, whether it is in sync, busy, held, or has
 * a release that may move once the gates agree. Pure: the same observation gives the same plan.
 */
export function planPairs(service: Service, observation: Observation, memory: PlanMemory): PairPlan[] {
  return pairsOf(service).map((pair) => planPair(pair, observation.stages[pair.index], observation.stages[pair.index + 1], memory));
}

/** The GitHub questions the gates need answered for the candidates, each asked once. */
export function commitQuestions(service: Service, plans: readonly PairPlan[]): CommitQuestion[] {
  const questions = new Map<string, CommitQuestion>();
  const ask = (q: CommitQuestion) => questions.set(questionKey(q), q);
  for (const plan of plans) {
    if (plan.kind !== 'candidate') continue;
    const { source, target } = plan.candidate;
    if (!source.commit) continue;
    ask({ base: service.branch, head: source.commit });
    if (target?.commit) ask({ base: target.commit, head: source.commit });
  }
  return [...questions.values()];
}

/**
 * Where a change is, as a person means it: the furthest stage running the newest release (the one
 * on the first stage, where merges land).
 */
export function currentStage(service: Service, observation: Observation): { stage: string; index: number; commit: string | null; version: number | null } | null {
  const newest = observation.stages[0]?.current;
  if (!newest) return null;
  let index = 0;
  observation.stages.forEach((stage, i) => {
    if (stage.current?.slugId && stage.current.slugId === newest.slugId) index = i;
  });
  const stage = observation.stages[index];
  return { stage: service.stages[index], index, commit: newest.commit, version: stage.current?.version ?? null };
}

/** The alert and URL checks for promotions into `stage`: its own, else those for every stage ('*'). */
export function stagePolicy(service: Service, stage: string): StagePolicy {
  const all = service.checks?.['*'] ?? {};
  const own = service.checks?.[stage] ?? {};
  return { ...all, ...own };
}
