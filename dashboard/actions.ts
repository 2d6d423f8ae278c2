// What the dashboard's buttons send: the pipeline's own signals and updates (workflows/messages.ts),
// the very ones `conveyor pause/promote/...` send, so the validators and the audit trail are the same.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { CONTROL_WORKFLOW_ID, workflowIdFor } from '../domain/service';
import {
  approveUpdate,
  freezeSignal,
  pauseSignal,
  promoteUpdate,
  rejectUpdate,
  resumeSignal,
  unfreezeSignal,
  unrejectUpdate,
  type ApproveRequest,
  type ManualPromotionRequest,
  type RejectRequest,
  retryUpdate,
  type RetryRequest,
} from '../workflows/messages';
import type { ManualOutcome } from '../domain/decision';
import type { Attestation } from '../domain/attestation';

/** Who asks: the name recorded as `by`, and the dashboard's signed word for it when it has a key. */
export interface Signing {
  by: string;
  attestation?: Attestation;
}

/** An action the pipeline (or the dashboard) refused, in words for the person who asked. */
export class ActionRefused extends Error {}

async function running(client: Client, service: string): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(workflowIdFor(service));
  try {
    if ((await handle.describe()).status.name === 'RUNNING') return handle;
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  throw new ActionRefused(`no running pipeline for service "${service}"`);
}

const UPDATE_DEADLINE_MS = 60_000;

/**
 * Runs an update; a validator's "no" becomes an ActionRefused with the workflow's own words. A page
 * waits at most a minute for the answer (a worker that died would otherwise keep it waiting).
 */
async function update<T>(client: Client, run: () => Promise<T>): Promise<T> {
  try {
    return await client.connection.withDeadline(Date.now() + UPDATE_DEADLINE_MS, run);
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) throw new ActionRefused(error.cause?.message ?? error.message);
    if (
      /deadline/i.test(String((error as Error).message)) ||
      (error as Error).name === 'WorkflowUpdateRPCTimeoutOrCancelledError'
    )
      throw new ActionRefused(
        `the pipeline did not answer within ${UPDATE_DEADLINE_MS / 1000} s: is a worker running?`,
      );
    throw error;
  }
}

/** conveyor/control holds the freeze; started when it does not run yet (as `conveyor freeze` does). */
async function control(client: Client, taskQueue: string): Promise<WorkflowHandle> {
  return client.workflow.start('control', {
    workflowId: CONTROL_WORKFLOW_ID,
    taskQueue,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/** Pauses the pipeline, or with `stage` holds that app alone. */
export const pause = async (client: Client, service: string, request: { reason: string; stage?: string } & Signing) =>
  (await running(client, service)).signal(pauseSignal, request);
/** Resumes the pipeline and every app held alone, or with `stage` that app only. */
export const resume = async (client: Client, service: string, by: Signing & { stage?: string }) =>
  (await running(client, service)).signal(resumeSignal, by);
export const freeze = async (client: Client, taskQueue: string, request: { reason: string } & Signing) =>
  (await control(client, taskQueue)).signal(freezeSignal, request);
export const unfreeze = async (client: Client, taskQueue: string, by: Signing) =>
  (await control(client, taskQueue)).signal(unfreezeSignal, by);

export async function promote(
  client: Client,
  service: string,
  request: ManualPromotionRequest,
): Promise<ManualOutcome> {
  const handle = await running(client, service);
  return update(client, () => handle.executeUpdate(promoteUpdate, { args: [request] }));
}
export async function approve(client: Client, service: string, request: ApproveRequest): Promise<string> {
  const handle = await running(client, service);
  return update(client, () => handle.executeUpdate(approveUpdate, { args: [request] }));
}
export async function retry(client: Client, service: string, request: RetryRequest): Promise<string> {
  const handle = await running(client, service);
  return update(client, () => handle.executeUpdate(retryUpdate, { args: [request] }));
}
export async function reject(client: Client, service: string, request: RejectRequest): Promise<string> {
  const handle = await running(client, service);
  return update(client, () => handle.executeUpdate(rejectUpdate, { args: [request] }));
}
export async function unreject(client: Client, service: string, commit: string, by: Signing): Promise<string> {
  const handle = await running(client, service);
  return update(client, () => handle.executeUpdate(unrejectUpdate, { args: [{ commit, ...by }] }));
}
