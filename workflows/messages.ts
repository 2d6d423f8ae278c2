import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Freeze } from '../domain/freeze';
import type { Service } from '../domain/service';
import type { ManualOutcome } from '../domain/decision';
import type { CurrentStage, PairStatus, PipelineStatus } from '../domain/status';
import { CONFIRM_PROMOTION_UPDATE, type ConfirmAnswer, type ConfirmRequest } from '../domain/promotion';
import type { Attestation } from '../domain/attestation';

/**
 * Every request a dashboard sends carries its signed word for who asked (domain/attestation.ts);
 * the audit reads it back from history. One sent straight to Temporal carries none: administrator access.
 */
export interface Signed {
  attestation?: Attestation;
}

/** Input of `pause` and `freeze`; the Web UI may send nothing at all, and that works too. */
export interface PauseRequest extends Signed {
  reason?: string;
  by?: string;
  /** `pause` only: hold this app alone, not the whole pipeline. */
  stage?: string;
}

export const pauseSignal = defineSignal<[PauseRequest?]>('pause');
/** `stage`: lift the hold of that app only (held alone after a failed verification in a wave). */
export const resumeSignal = defineSignal<[({ by?: string; stage?: string } & Signed)?]>('resume');
/** A running pipeline's changed configuration, fire and forget (a refused one is only logged by the worker). */
export const configureSignal = defineSignal<[Service]>('configure');

/**
 * `look`: observe now. Sent by the webhook receiver for each verified Heroku `api:release` delivery
 * (`source: "webhook"`), by `conveyor webhooks install` once the stage apps are subscribed
 * (`source: "subscription"`: nothing to look at, the fallback poll may slow down), or by hand (no input).
 */
export interface LookRequest {
  source?: 'webhook' | 'subscription';
  /** The app the delivery was about. */
  app?: string;
}
export const lookSignal = defineSignal<[LookRequest?]>('look');
/**
 * The same as an Update, as `conveyor apply` sends it: a configuration the workflow refuses is
 * refused to the person who applied it, with the reason.
 */
export const reconfigureUpdate = defineUpdate<string, [Service]>('reconfigure');
/** What each pair would do now under another configuration (the last observation, no I/O): `conveyor plan`. */
/** `now` is the asker's clock: a query sees the workflow's time of its last task, which may be seconds old. */
export const previewQuery = defineQuery<{ pairs: PairStatus[] }, [Service, number?]>('preview');

/** The company-wide freeze: sent to `conveyor/control`, which passes it on to every pipeline. */
export const freezeSignal = defineSignal<[PauseRequest?]>('freeze');
export const unfreezeSignal = defineSignal<[({ by?: string } & Signed)?]>('unfreeze');

export const currentStageQuery = defineQuery<CurrentStage | null>('currentStage');
export const statusQuery = defineQuery<PipelineStatus>('status');
export const freezeQuery = defineQuery<Freeze | null>('freeze');

export interface ManualPromotionRequest extends Signed {
  /** The target app, or several apps asked at once (a wave): one decision judges them together. */
  to: string | string[];
  reason: string;
  by?: string;
  skipGates?: boolean;
  /** The commit meant: promoted only if the source runs it (else the release the source runs when asked). */
  commit?: string;
}
/** An operator's promotion into a stage now; validated, recorded in status and history. */
export const promoteUpdate = defineUpdate<ManualOutcome, [ManualPromotionRequest]>('promote');

export interface RejectRequest extends Signed {
  commit: string;
  reason: string;
  by?: string;
}
export const rejectUpdate = defineUpdate<string, [RejectRequest]>('reject');
export interface ApproveRequest extends Signed {
  stage: string;
  commit?: string;
  by: string;
  comment?: string;
}
/** A person's yes to the release waiting at a stage's approval gate. */
export const approveUpdate = defineUpdate<string, [ApproveRequest]>('approve');

export const unrejectUpdate = defineUpdate<string, [{ commit: string; by?: string } & Signed]>('unreject');

export interface RetryRequest extends Signed {
  to: string;
  by?: string;
  reason?: string;
}
/** An operator's retry of a release that really failed in a stage, once its cause is fixed (audited). */
export const retryUpdate = defineUpdate<string, [RetryRequest]>('retry');

/** Sent by the promote activity right before its POST: does the decision still stand? */
export const confirmPromotionUpdate = defineUpdate<ConfirmAnswer, [ConfirmRequest]>(CONFIRM_PROMOTION_UPDATE);
