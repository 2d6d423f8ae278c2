// The pipeline's config, retry and preview messages, by the names and shapes workflows/messages.ts
// gives them (reconfigure, retry, preview). Defined here by name so the CLI builds against them on
// its own; the wire sees only the names, so this is the same message either way.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Service } from '../domain/service';
import type { PairStatus } from '../workflows/status';

/** A running pipeline's new config; its validator refuses one the workflow will not take, with the reason. */
export const reconfigureUpdate = defineUpdate<string, [Service]>('reconfigure');

export interface RetryRequest {
  to: string;
  by?: string;
  reason?: string;
}
/** Lets a release that failed in a stage be tried there again; refused when the stage has no failed release. */
export const retryUpdate = defineUpdate<string, [RetryRequest]>('retry');

/** What each pair would do now under the given config, from the last observation, no I/O. */
export const previewQuery = defineQuery<{ pairs: PairStatus[] }, [Service]>('preview');
