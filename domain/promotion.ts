/**
 * Promotion: one release of a source stage copied into the next stage by Heroku's pipeline promotion.
 *
 * Its life: decided (the gates or an operator let it through) -> posted (the POST went out: the point
 * of no return) -> settled. Before the POST the decision is confirmed with the workflow, so a
 * promotion whose reason to go has gone (a pause, a freeze, a rejection, a closing window, a firing
 * alert, a newer config, or simply too long a wait) is withdrawn instead of posted.
 */

/** What the promote activity answers. */
export interface PromotionOutcome {
  /**
   * - succeeded / failed: Heroku's answer about the target's new release (failed: the release really
   *   failed in that stage).
   * - superseded: the target changed after the decision, so nothing was posted.
   * - withdrawn: the decision no longer stood when the POST was about to go out; nothing was posted.
   */
  status: 'succeeded' | 'failed' | 'superseded' | 'withdrawn';
  promotionId: string | null;
  targetVersion: number | null;
  error?: string;
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
}

export interface ConfirmAnswer {
  stands: boolean;
  /** Why not, when it does not. */
  reason?: string;
}

export const CONFIRM_PROMOTION_UPDATE = 'confirm-promotion';

/** The failure type of a promote activity that stopped before its POST: nothing reached Heroku's promotion. */
export const NOT_POSTED = 'PromotionNotPosted';
