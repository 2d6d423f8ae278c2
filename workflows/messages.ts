import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Service } from '../domain/service';
import type { CurrentStage, PipelineStatus } from './status';

/** Input of `pause`; the Web UI may send nothing at all, and that works too. */
export interface PauseRequest {
  reason?: string;
  by?: string;
}

export const pauseSignal = defineSignal<[PauseRequest?]>('pause');
export const resumeSignal = defineSignal<[{ by?: string }?]>('resume');
/** Sent by `conveyor apply` to give a running pipeline its changed configuration. */
export const configureSignal = defineSignal<[Service]>('configure');

export const currentStageQuery = defineQuery<CurrentStage | null>('currentStage');
export const statusQuery = defineQuery<PipelineStatus>('status');
