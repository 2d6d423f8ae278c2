import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Freeze } from '../domain/freeze';
import type { Service } from '../domain/service';
import type { ManualOutcome } from './pipeline-state';
import type { CurrentStage, PipelineStatus } from './status';

/** Input of `pause` and `freeze`; the Web UI may send nothing at all, and that works too. */
export interface PauseRequest {
  reason?: string;
  by?: string;
}

export const pauseSignal = defineSignal<[PauseRequest?]>('pause');
export const resumeSignal = defineSignal<[{ by?: string }?]>('resume');
/** Sent by `conveyor apply` to give a running pipeline its changed configuration. */
export const configureSignal = defineSignal<[Service]>('configure');

/** The company-wide freeze: sent to `conveyor/control`, which passes it on to every pipeline. */
export const freezeSignal = defineSignal<[PauseRequest?]>('freeze');
export const unfreezeSignal = defineSignal<[{ by?: string }?]>('unfreeze');

export const currentStageQuery = defineQuery<CurrentStage | null>('currentStage');
export const statusQuery = defineQuery<PipelineStatus>('status');
export const freezeQuery = defineQuery<Freeze | null>('freeze');

export interface ManualPromotionRequest {
  to: string;
  reason: string;
  by?: string;
  skipGates?: boolean;
}
/** An operator's promotion into a stage now; validated, recorded in status and history. */
export const promoteUpdate = defineUpdate<ManualOutcome, [ManualPromotionRequest]>('promote');

export interface RejectRequest {
  commit: string;
  reason: string;
  by?: string;
}
export const rejectUpdate = defineUpdate<string, [RejectRequest]>('reject');
export interface ApproveRequest {
  stage: string;
  commit?: string;
  by: string;
  comment?: string;
}
/** A person's yes to the release waiting at a stage's approval gate. */
export const approveUpdate = defineUpdate<string, [ApproveRequest]>('approve');

export const unrejectUpdate = defineUpdate<string, [{ commit: string; by?: string }]>('unreject');
