import { questionKey, type CommitAnswers, type CommitQuestion } from './commits';
import { artifactId, sameBuild } from './artifact';
import type { ReleaseFact, StageFact } from './observation';

/**
 * Soak: how long a release's code has been running on its stage.
 *
 * - A release starts running when its release phase ends (`startedAt`, Heroku's `updated_at` once it
 *   succeeded), not when it was created: a long release phase does not eat the soak.
 * - A release that only changed config vars (same slug) does not restart it: the soak of a slug
 *   counts from the oldest release of the unbroken run of releases with that slug.
 * - A release has soaked when its code has run on the source for minAge and still runs there: it is
 *   the source's current slug, or an ancestor on the branch of the commit the source runs now.
 *
 * So with merges landing more often than minAge, the newest release that has soaked moves on (by its
 * release id) instead of waiting for a quiet spell that never comes.
 */
export interface Soak {
  release: ReleaseFact;
  /** When the release's slug started running on the source stage. */
  since: string;
}

export const startedAt = (release: ReleaseFact): string => release.startedAt ?? release.createdAt;

/**
 * The source stage's releases that could move into a target running `target`, newest first, each
 * with its soak start. Stops at the target's own slug: what is older, the target already has.
 */
export function soakRuns(from: StageFact, target: ReleaseFact | null): Soak[] {
  const current = from.current;
  if (!current || !artifactId(current)) return [];
  const recent = from.recent?.filter((r) => r.status === 'succeeded' && artifactId(r));
  const list = recent?.length && recent[0].id === current.id ? recent : [current];
  const runs: Soak[] = [];
  for (let i = 0; i < list.length; i++) {
    if (sameBuild(list[i], target)) break;
    let oldest = i;
    while (oldest + 1 < list.length && sameBuild(list[oldest + 1], list[i])) oldest++;
    runs.push({ release: list[i], since: startedAt(list[oldest]) });
  }
  return runs;
}

const ancestryQuestion = (release: ReleaseFact, newest: ReleaseFact): CommitQuestion | null =>
  release.commit && newest.commit && !sameBuild(release, newest) ? { base: release.commit, head: newest.commit } : null;

/** Whether `release`'s code is still running where `newest` runs: same slug, or an ancestor of it. */
function stillRunning(release: ReleaseFact, newest: ReleaseFact, commits: CommitAnswers): boolean | undefined {
  if (sameBuild(release, newest)) return true;
  const question = ancestryQuestion(release, newest);
  if (!question) return false;
  const answer = commits[questionKey(question)];
  if (answer === undefined) return undefined;
  return answer === 'ahead' || answer === 'identical';
}

/**
 * The release to move on: the newest that has soaked, else the one whose soak ends first (its age
 * gate then says when). Null when the source runs nothing that could move.
 */
export function chooseSoaked(
  runs: readonly Soak[],
  minAgeMs: number,
  now: number,
  commits: CommitAnswers,
): Soak | null {
  if (runs.length === 0) return null;
  const newest = runs[0].release;
  const opensAt = (soak: Soak) => Date.parse(soak.since) + minAgeMs;
  const soaked = runs.find((soak) => opensAt(soak) <= now && stillRunning(soak.release, newest, commits) === true);
  if (soaked) return soaked;
  // An unanswered ancestry is never taken as a yes: only a soak still to come may wait on it.
  const possible = runs.filter((soak) => {
    const running = stillRunning(soak.release, newest, commits);
    return running === true || (running === undefined && opensAt(soak) > now);
  });
  return possible.reduce((first, soak) => (opensAt(soak) < opensAt(first) ? soak : first), possible[0] ?? runs[0]);
}

/** The GitHub questions that tell which of the runs are still running on the source (immutable answers). */
export function ancestryQuestions(runs: readonly Soak[]): CommitQuestion[] {
  if (runs.length === 0) return [];
  const newest = runs[0].release;
  return runs.map((soak) => ancestryQuestion(soak.release, newest)).filter((q): q is CommitQuestion => q !== null);
}
