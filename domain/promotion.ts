/**
 * Promotion: one release of a source stage copied into the next stage by Heroku's pipeline promotion.
 *
 * Its life: decided (the gates or an operator let it through) -> posted (the POST went out: the point
 * of no return) -> settled. Before the POST the decision is confirmed with the workflow, so a
 * promotion whose reason to go has gone (a pause, a freeze, a rejection, a closing window, a firing
 * alert, a newer config, or simply too long a wait) is withdrawn instead of posted.
 */

export interface PromotionRecord {
  from: string;
  to: string;
  commit: string | null;
  sourceVersion: number;
  /** The id of the slug or OCI image promoted. */
  artifactId: string;
  startedAt: string;
  finishedAt?: string;
  /**
   * `verifying`: promoted, baking under the target's health checks. `superseded` and `withdrawn`:
   * decided, then nothing was posted (the target changed; the decision no longer stood).
   * `not-posted`: the promotion stopped on an error before its POST (the release did not fail).
   */
  outcome:
    | 'in-flight'
    | 'verifying'
    | 'succeeded'
    | 'failed'
    | 'superseded'
    | 'withdrawn'
    | 'not-posted'
    | 'rolled-back'
    | 'verification-failed';
  /** While in flight: `decided` (its POST may still be withdrawn) or `posted` (it finishes). */
  phase?: PromotionPhase;
  decisionId?: string;
  postedAt?: string;
  /** What the target ran before, the release a rollback goes back to. */
  previous?: { releaseId: string; version: number; artifactId: string | null };
  /** Why verification failed, and the release a rollback created. */
  verification?: { problem: string; rollbackVersion?: number; rollbackError?: string };
  promotionId?: string | null;
  targetVersion?: number;
  error?: string;
  /** Set when an operator promoted by hand. */
  manual?: { by: string; reason: string; skippedGates: string[] };
}

/** Whether a promotion's record is final: everything but in flight and verifying. */
export const isTerminal = (outcome: PromotionRecord['outcome']): boolean =>
  outcome !== 'in-flight' && outcome !== 'verifying';

/** What a Promotion into a stage left behind when it failed: that release is not tried there again. */
export interface FailedPromotion {
  /** The slug or OCI image that failed there. */
  artifactId: string;
  commit: string | null;
  error: string;
  at: string;
}

/** An operator's request to promote into a stage now, with a record of who and why. */
export interface ManualPromotion {
  to: string;
  reason: string;
  by: string;
  /** Skip every gate, not only the waiting ones. */
  skipGates: boolean;
  at: string;
  /** The commit the operator named: promoted only if the source runs it. */
  commit?: string;
  /** The source release the operator saw when the request was accepted: promoted only if still there. */
  expect?: { releaseId: string; version: number; commit: string | null } | null;
}

/** What the promote activity is asked to do (its input). */
export interface PromotionRequest {
  pipelineId: string;
  sourceApp: string;
  sourceAppId: string;
  sourceReleaseId: string;
  /** The slug or OCI image promoted: a target release running it is this promotion's effect. */
  artifactId: string;
  targetApp: string;
  targetAppId: string;
  /** The target's newest release when the promotion was decided (null: none). Absent in older histories. */
  targetReleaseId?: string | null;
  /** The decision, confirmed with the workflow right before the POST. Absent in older histories. */
  decision?: PromotionDecision;
  /** Epoch ms before which nothing is confirmed or posted: decided ahead of the moment its gates open. */
  postAt?: number;
  /**
   * Other apps of the target's wave taking the same source release: posted in the same Heroku
   * promotion (one POST, several targets), each confirmed on its own decision. Absent: one target.
   */
  together?: TargetOfPromotion[];
}

/** One more target of a promotion: each keeps its own decision, confirmation and outcome. */
export interface TargetOfPromotion {
  targetApp: string;
  targetAppId: string;
  targetReleaseId: string | null;
  decision: PromotionDecision;
}

/** What the promote activity answers. */
export interface PromotionOutcome {
  /**
   * - succeeded / failed: Heroku's answer about the target's new release (failed: the release really
   *   failed in that stage).
   * - superseded: the target changed after the decision, so nothing was posted.
   * - withdrawn: the decision no longer stood when the POST was about to go out; nothing was posted.
   * - refused: Heroku answered the POST with a 4xx and did not act; the release did not fail.
   */
  status: 'succeeded' | 'failed' | 'superseded' | 'withdrawn' | 'refused';
  promotionId: string | null;
  targetVersion: number | null;
  error?: string;
  /** Refused because the source release expired (Heroku destroyed its slug or image). */
  expired?: boolean;
  /** The outcome for each other target of the promotion (`together` of the request), by app. */
  together?: Record<string, PromotionOutcome>;
}

/** Where a decided promotion stands: still cancellable, or past its POST. */
export type PromotionPhase = 'decided' | 'posted';

/** The decision a promote activity carries, to be confirmed right before its POST. */
export interface PromotionDecision {
  id: string;
  /** Epoch ms of the decision; a decision older than the workflow's bound is withdrawn. */
  decidedAt: number;
}

/** Sent by the promote activity to its workflow (update `confirm-promotion`) right before the POST. */
export interface ConfirmRequest {
  to: string;
  id: string;
  /** The activity's clock, for the time-based gates (a window that closed meanwhile). */
  now: number;
  /** Other targets of the same POST: confirmed in the same answer, so no message lands between two of them. */
  together?: { to: string; id: string }[];
}

export interface ConfirmAnswer {
  stands: boolean;
  /** Why not, when it does not. */
  reason?: string;
  /**
   * When an earlier attempt of this promotion was confirmed (and so may have posted): the activity
   * then waits for that POST's effect before it posts again. Durable, unlike a heartbeat.
   */
  postedAt?: string;
  /** The answer for each other target of the request (`together`), by app. */
  together?: Record<string, ConfirmAnswer>;
}

export const CONFIRM_PROMOTION_UPDATE = 'confirm-promotion';

/** The failure type of a promote activity that stopped before its POST: nothing reached Heroku's promotion. */
export const NOT_POSTED = 'PromotionNotPosted';

/**
 * Whether a release webhook about `app` should wake its pipeline. Not while a promotion into `app`
 * is still in its activity: that activity is waiting for the release (the webhook ends its wait) and
 * its end wakes the pipeline; a pass per webhook would only queue behind the other promotions of a
 * burst. Any other app, a baking one included, is looked at at once.
 */
export function releaseWebhookWakes(app: string | undefined, inFlight: readonly PromotionRecord[]): boolean {
  return !app || !inFlight.some((record) => record.to === app && record.outcome === 'in-flight');
}
