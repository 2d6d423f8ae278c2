import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { CONTROL_WORKFLOW_ID, workflowIdFor, type Service } from '../domain/service';
import type { Freeze } from '../domain/freeze';
import type { Pause } from '../domain/pause';
import { ConveyorPaused, ConveyorService, ConveyorStage } from '../temporal/search-attributes';
import {
  configureSignal,
  currentStageQuery,
  freezeQuery,
  freezeSignal,
  pauseSignal,
  promoteUpdate,
  rejectUpdate,
  resumeSignal,
  statusQuery,
  unfreezeSignal,
  unrejectUpdate,
  approveUpdate,
  type ApproveRequest,
  type ManualPromotionRequest,
  type RejectRequest,
} from '../workflows/messages';
import type { control } from '../workflows/control';
import type { ManualOutcome } from '../workflows/pipeline-state';
import type { PipelineOptions, pipeline } from '../workflows/pipeline';
import type { CurrentStage, PipelineStatus } from '../workflows/status';
import { UserError } from './errors';

export interface Applied {
  service: string;
  workflowId: string;
  action: 'started' | 'updated';
}

/** Starts a pipeline workflow per service, or hands a running one its (possibly changed) config. */
export async function applyServices(client: Client, services: Service[], taskQueue: string, options?: PipelineOptions): Promise<Applied[]> {
  await ensureControl(client, taskQueue);
  const applied: Applied[] = [];
  for (const service of services) {
    const workflowId = workflowIdFor(service.name);
    const running = await isRunning(client.workflow.getHandle(workflowId));
    const handle = await client.workflow.start<typeof pipeline>('pipeline', {
      workflowId,
      taskQueue,
      args: [{ service, ...(options ? { options } : {}) }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: ConveyorService, value: service.name },
        { key: ConveyorPaused, value: false },
        { key: ConveyorStage, value: service.stages[0] },
      ],
    });
    if (running) await handle.signal(configureSignal, service);
    applied.push({ service: service.name, workflowId, action: running ? 'updated' : 'started' });
  }
  return applied;
}

async function isRunning(handle: WorkflowHandle): Promise<boolean> {
  try {
    return (await handle.describe()).status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

export interface PipelineSummary {
  service: string;
  workflowId: string;
  paused: boolean;
  stage: string | null;
  startTime: string;
}

/** The running pipeline workflows, from visibility (search attributes), no query needed. */
export async function listPipelines(client: Client): Promise<PipelineSummary[]> {
  const result: PipelineSummary[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowType = 'pipeline' AND ExecutionStatus = 'Running'` })) {
    const attributes = info.typedSearchAttributes;
    result.push({
      service: attributes.get(ConveyorService) ?? info.workflowId.replace(/^conveyor\//, ''),
      workflowId: info.workflowId,
      paused: attributes.get(ConveyorPaused) ?? false,
      stage: attributes.get(ConveyorStage) ?? null,
      startTime: info.startTime.toISOString(),
    });
  }
  return result.sort((a, b) => a.service.localeCompare(b.service));
}

/** A handle on a running pipeline, or a clear error when the service has none. */
async function pipelineHandle(client: Client, service: string): Promise<WorkflowHandle<typeof pipeline>> {
  const handle = client.workflow.getHandle<typeof pipeline>(workflowIdFor(service));
  if (!(await isRunning(handle))) throw new UserError(`no running pipeline for service "${service}" (conveyor list shows them; conveyor apply starts them)`);
  return handle;
}

export async function pipelineStatus(client: Client, service: string): Promise<PipelineStatus> {
  return (await pipelineHandle(client, service)).query(statusQuery);
}

export async function pipelineCurrentStage(client: Client, service: string): Promise<CurrentStage | null> {
  return (await pipelineHandle(client, service)).query(currentStageQuery);
}

export async function pausePipeline(client: Client, service: string, request: Pick<Pause, 'reason' | 'by'>): Promise<void> {
  await (await pipelineHandle(client, service)).signal(pauseSignal, request);
}

export async function resumePipeline(client: Client, service: string, by: string): Promise<void> {
  await (await pipelineHandle(client, service)).signal(resumeSignal, { by });
}

/** Starts conveyor/control, the holder of the company-wide freeze, unless it runs already. */
export async function ensureControl(client: Client, taskQueue: string): Promise<void> {
  await client.workflow.start<typeof control>('control', {
    workflowId: CONTROL_WORKFLOW_ID,
    taskQueue,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

export async function freezeAll(client: Client, taskQueue: string, request: Pick<Freeze, 'reason' | 'by'>): Promise<void> {
  await ensureControl(client, taskQueue);
  await client.workflow.getHandle(CONTROL_WORKFLOW_ID).signal(freezeSignal, request);
}

export async function unfreezeAll(client: Client, taskQueue: string, by: string): Promise<void> {
  await ensureControl(client, taskQueue);
  await client.workflow.getHandle(CONTROL_WORKFLOW_ID).signal(unfreezeSignal, { by });
}

export async function currentFreeze(client: Client): Promise<Freeze | null> {
  try {
    return await client.workflow.getHandle(CONTROL_WORKFLOW_ID).query(freezeQuery);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/** Runs an update; a validator's rejection becomes a UserError with the workflow's own words. */
async function update<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) throw new UserError((error.cause as Error | undefined)?.message ?? error.message);
    throw error;
  }
}

export async function promoteManually(client: Client, service: string, request: ManualPromotionRequest): Promise<ManualOutcome> {
  const handle = await pipelineHandle(client, service);
  return update(() => handle.executeUpdate(promoteUpdate, { args: [request] }));
}

export async function rejectCommit(client: Client, service: string, request: RejectRequest): Promise<string> {
  const handle = await pipelineHandle(client, service);
  return update(() => handle.executeUpdate(rejectUpdate, { args: [request] }));
}

export async function unrejectCommit(client: Client, service: string, commit: string, by: string): Promise<string> {
  const handle = await pipelineHandle(client, service);
  return update(() => handle.executeUpdate(unrejectUpdate, { args: [{ commit, by }] }));
}

export async function approveRelease(client: Client, service: string, request: ApproveRequest): Promise<string> {
  const handle = await pipelineHandle(client, service);
  return update(() => handle.executeUpdate(approveUpdate, { args: [request] }));
}
