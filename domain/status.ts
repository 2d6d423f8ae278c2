import type { Artifact } from './artifact';
import type { PromotionRecord } from './promotion';

export type { PromotionRecord } from './promotion';
import type { Pause } from './pause';
import type { Rejection } from './rejection';
import type { Approval, ApprovalState, WaitingApproval } from './approval';
import type { ReleaseStatus } from './observation';
import type { Verdict } from './verdict';
import type { Blocked, Hold } from './hold';
import type { WaveStatus } from './wave-plan';

export type { WaveStatus } from './wave-plan';

export type { Blocked } from './hold';

export interface StageStatus {
  stage: string;
  version: number | null;
  commit: string | null;
  status: ReleaseStatus | null;
  /** When the running release started running there (its release phase ended). */
  releasedAt: string | null;
  /** The slug (Cedar) or OCI image (Fir) it runs. */
  artifact?: Artifact | null;
  /** The newest release when it is not the one running (pending or failed). */
  latest?: { version: number; status: ReleaseStatus; commit: string | null };
  /** The stage before runs another commit: the release this stage would get next (absent when in step, and on the first stage). */
  behind?: { stage: string; version: number | null; commit: string | null };
}

/** A gate configured for the target that gave no verdict: a cheaper gate held first, so its facts were not read. */
export interface NotChecked {
  gate: string;
  /** The first gate (in gate order) that held. */
  heldFirstBy: string;
}

export interface PairStatus {
  from: string;
  to: string;
  state: 'in-sync' | 'waiting' | 'promoting' | 'held' | 'ready' | 'gated';
  reason: string;
  verdicts: Verdict[];
  recheckAt?: string;
  /** Gates not checked yet because a cheaper one held (gated pairs only). */
  notChecked?: NotChecked[];
}

export interface CurrentStage {
  stage: string;
  index: number;
  commit: string | null;
  version: number | null;
}

/** The answer to the `status` query: everything `conveyor status` shows. */
export interface PipelineStatus {
  service: string;
  pipeline: string;
  branch: string;
  /** Heroku's platform generation of the pipeline (`cedar`, `fir`), once observed. */
  generation?: string;
  stages: StageStatus[];
  currentStage: CurrentStage | null;
  paused: Pause | null;
  /** Apps held alone (a failed verification in a wave), each until a person resumes it; absent when none. */
  held?: Record<string, Pause>;
  /** The company-wide freeze, as this pipeline last heard of it. */
  frozen: Pause | null;
  ignoresFreeze: boolean;
  blocked: Blocked | null;
  rejected: Rejection[];
  /** Approvals given, not yet spent and not withdrawn (each is an `approved` entry of approvalStates). */
  approvals: Approval[];
  /** Commits waiting for an approval nobody gave yet (each is a `waiting` entry of approvalStates). */
  waitingForApproval: WaitingApproval[];
  /** One state per stage that needs approval: waiting, approved or rejected (the newest decision wins). */
  approvalStates?: ApprovalState[];
  pairs: PairStatus[];
  inFlight: PromotionRecord[];
  history: PromotionRecord[];
  /** Everything holding releases back, in one shape (pause, freeze, blocked, rejected, failed). */
  holds?: Hold[];
  /** Who resumed the pipeline last (while it is not paused). */
  resumedBy?: string;
  /** Releases that failed in a stage and that an operator allowed to be tried there again. */
  retries?: { stage: string; artifactId: string; by: string; reason: string }[];
  observedAt: string | null;
  nextCheckAt: string | null;
  /**
   * Heroku's release webhooks: `on` while they reach the pipeline (a delivery or a confirmed
   * subscription since `seenAt`, within 24 h), when the tick is only a fallback poll every
   * `fallbackPollMs`. Absent for a pipeline that never heard of them.
   */
  webhooks?: { on: boolean; seenAt: string; fallbackPollMs: number };
  /**
   * The configuration in force: its digest (domain/service.ts configDigest) and when an apply put it
   * in force (null: the one the pipeline started with). The Web UI's input shows the start config only.
   */
  config?: { digest: string; appliedAt: string | null };
  /** The service's waves, when one holds several apps: each with its release soaked on "2 of 3" apps. */
  waves?: WaveStatus[];
  /** Set when the status could not be computed whole (it is then partial). */
  error?: string;
}
