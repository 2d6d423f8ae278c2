import type { CommitAnswers } from '../commits';
import type { ReleaseFact } from '../observation';
import type { Pause } from '../pause';
import type { Freeze } from '../freeze';
import type { AlertFacts, IncidentFacts, UrlFact } from '../health';
import type { CiFacts, WebhookAnswer, ZeroDowntimeFacts } from '../checks';
import type { Approval, WaitingApproval } from '../approval';
import type { Pair, Service } from '../service';
import type { Verdict } from '../verdict';
import type { WaveSoak } from '../wave-plan';

/** A release that could move from one stage into the next, if every Gate agrees. */
export interface Candidate {
  pair: Pair;
  source: ReleaseFact;
  /** What the target runs now; null when it runs nothing yet. */
  target: ReleaseFact | null;
  /** When the source's code started running on its stage (soak.ts); else the source's own start. */
  soakedSince?: string;
  /** What the source runs now, when an older release of it is the one that has soaked. */
  newest?: ReleaseFact;
  /** Into an app of a wave after one of several apps: where the release has soaked on that wave (wave-plan.ts). */
  wave?: WaveSoak;
}

/** Everything a Gate may look at, observed beforehand: gates do no I/O. */
export interface GateContext {
  service: Service;
  now: number;
  pause: Pause | null;
  /** Apps held alone (a failed verification in a wave), each until a person resumes it. */
  held?: Readonly<Record<string, Pause>>;
  /** The company-wide freeze, unless the service ignores freezes. */
  freeze: Freeze | null;
  commits: CommitAnswers;
  /** Health facts per target stage, gathered for candidates whose stage has health checks. */
  health: Readonly<Record<string, TargetHealth>>;
  /** Approvals given and the commits waiting for one, per stage. */
  approvals?: { given: readonly Approval[]; waiting: Readonly<Record<string, WaitingApproval>> };
}

export interface TargetHealth {
  incident?: IncidentFacts[];
  alerts?: AlertFacts[];
  urls?: UrlFact[];
  zeroDowntime?: ZeroDowntimeFacts & { mode: 'block' | 'warn' };
  ci?: CiFacts;
  webhook?: WebhookAnswer;
}

/** A gate answers a Verdict, or null when it does not apply to this service or stage. */
export type Gate = (candidate: Candidate, context: GateContext) => Verdict | null;
