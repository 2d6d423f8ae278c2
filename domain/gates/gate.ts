import type { CommitAnswers } from '../commits';
import type { ReleaseFact } from '../observation';
import type { Pause } from '../pause';
import type { Pair, Service } from '../service';
import type { Verdict } from '../verdict';

/** A release that could move from one stage into the next, if every Gate agrees. */
export interface Candidate {
  pair: Pair;
  source: ReleaseFact;
  /** What the target runs now; null when it runs nothing yet. */
  target: ReleaseFact | null;
}

/** Everything a Gate may look at, observed beforehand: gates do no I/O. */
export interface GateContext {
  service: Service;
  now: number;
  pause: Pause | null;
  commits: CommitAnswers;
}

export type Gate = (candidate: Candidate, context: GateContext) => Verdict;
