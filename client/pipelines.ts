import { rowState, type FleetSummary } from '../domain/fleet';
import { formatDuration } from '../domain/duration';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, fromPayloadsAtIndex } from '@temporalio/common';
import proto from '@temporalio/proto';

const { temporal } = proto;
type IPayload = proto.temporal.api.common.v1.IPayload;
import { CONTROL_WORKFLOW_ID, workflowIdFor, type Service } from '../domain/service';
import { checkService } from '../domain/service-schema';
import type { Freeze } from '../domain/freeze';
import type { Pause } from '../domain/pause';
import { ConveyorPaused, ConveyorService, ConveyorStage } from '../temporal/search-attributes';
import {
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
  previewQuery,
  reconfigureUpdate,
  retryUpdate,
  type ApproveRequest,
  type RetryRequest,
  type ManualPromotionRequest,
  type RejectRequest,
} from '../workflows/messages';
import type { control } from '../workflows/control';
import type { ManualOutcome } from '../domain/decision';
import type { PipelineOptions, pipeline } from '../workflows/pipeline';
import type { CurrentStage, PairStatus, PipelineStatus } from '../domain/status';
import { didYouMean, noWorkerError, UsageError, UserError } from './errors';

export interface Applied {
  service: string;
  workflowId: string;
  /** `refused`: the running pipeline's validator said no; `message` says why. */
  action: 'started' | 'updated' | 'unchanged' | 'refused';
  message?: string;
}

/**
 * Starts a pipeline workflow per service, or hands a running one its changed config as the
 * `reconfigure` update, so a config the workflow refuses comes back with its reason. An unchanged
 * service is left alone.
 */
export async function applyServices(
  client: Client,
  services: Service[],
  taskQueue: string,
  options?: PipelineOptions,
): Promise<Applied[]> {
  await ensureControl(client, taskQueue);
  const applied: Applied[] = [];
  for (const service of services) {
    const workflowId = workflowIdFor(service.name);
    const existing = client.workflow.getHandle<typeof pipeline>(workflowId);
    const description = await describeRunning(existing);
    if (description) {
      const running = await runningConfig(existing);
      if (running && sameConfig(running, service)) {
        applied.push({ service: service.name, workflowId, action: 'unchanged' });
        continue;
      }
      await requireWorker(client, description.taskQueue);
      try {
        const message = await update(() => existing.executeUpdate(reconfigureUpdate, { args: [service] }));
        applied.push({ service: service.name, workflowId, action: 'updated', message });
      } catch (error) {
        if (!(error instanceof UserError) || error.kind !== 'refused') throw error;
        applied.push({ service: service.name, workflowId, action: 'refused', message: error.message });
      }
      continue;
    }
    await client.workflow.start<typeof pipeline>('pipeline', {
      workflowId,
      taskQueue,
      args: [{ service, ...(options ? { options } : {}) }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // The Web UI's one-line summary of the workflow.
      staticSummary: `conveyor pipeline ${service.name}: ${service.stages.join(' -> ')}`,
      typedSearchAttributes: [
        { key: ConveyorService, value: service.name },
        { key: ConveyorPaused, value: false },
        { key: ConveyorStage, value: service.stages[0] },
      ],
    });
    applied.push({ service: service.name, workflowId, action: 'started' });
  }
  return applied;
}

/** JSON with keys in one order, so two equal configs compare equal whatever built them. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );

export const sameConfig = (a: Service, b: Service) => canonical(a) === canonical(b);

export interface ConfigChange {
  key: string;
  from: unknown;
  to: unknown;
}

/** A config value with the file's names: `bakeMs: 600000` reads `bake: "10m"`, in objects at any depth. */
function asWritten(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asWritten);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) =>
      /Ms$/.test(key) && typeof v === 'number' ? [key.slice(0, -2), formatDuration(v)] : [key, asWritten(v)],
    ),
  );
}

/**
 * A running config shaped as the services file writes it: durations as "30m" under the file's keys,
 * windows and blackouts at the top, the checks for every stage at the top and the others under
 * `stageChecks`, so `plan` names what a person edits.
 */
function fileView(service: Service): Record<string, unknown> {
  const { checks, windows, ...rest } = service;
  const view = asWritten(rest) as Record<string, unknown>;
  if (windows?.windows.length) view.windows = windows.windows;
  if (windows?.blackouts.length) view.blackouts = windows.blackouts;
  const { '*': all, ...stages } = checks ?? {};
  if (all) Object.assign(view, asWritten(all));
  if (Object.keys(stages).length) view.stageChecks = asWritten(stages);
  return view;
}

/** `{a: {b: 1}}` as `{"a.b": 1}`; arrays stay whole (a list of windows is one value). */
function leaves(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).flatMap(([key, v]) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.entries(leaves(v as Record<string, unknown>, `${prefix}${key}.`))
        : [[`${prefix}${key}`, v]],
    ),
  );
}

/** The settings whose values differ between the running config and the file's, named and written as in the file. */
export function configChanges(running: Service, next: Service): ConfigChange[] {
  const before = leaves(fileView(running));
  const after = leaves(fileView(next));
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys
    .filter((key) => canonical(before[key]) !== canonical(after[key]))
    .map((key) => ({ key, from: before[key], to: after[key] }));
}

const looksLikeService = (value: unknown, name: string): value is Service =>
  !!value && typeof value === 'object' && (value as Service).name === name && Array.isArray((value as Service).stages);

/**
 * The config a running pipeline uses: its run's start input, then every config change it accepted
 * since (a `reconfigure` update accepted, or an older client's `configure` signal). Read from
 * history, so it needs no worker. Undefined when history holds none (it then counts as changed).
 */
export async function runningConfig(handle: WorkflowHandle): Promise<Service | undefined> {
  const name = handle.workflowId.replace(/^conveyor\//, '');
  const history = await handle.fetchHistory();
  let config: Service | undefined;
  const read = (payloads: IPayload[] | null | undefined): unknown => {
    try {
      return fromPayloadsAtIndex(defaultPayloadConverter, 0, payloads);
    } catch {
      return undefined;
    }
  };
  for (const event of history.events ?? []) {
    const started = event.workflowExecutionStartedEventAttributes;
    const signaled = event.workflowExecutionSignaledEventAttributes;
    const accepted = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    let candidate: unknown;
    if (started) candidate = (read(started.input?.payloads) as { service?: unknown } | undefined)?.service;
    // The workflow ignores a configure signal it cannot take; so does this reading.
    else if (signaled?.signalName === 'configure')
      candidate = checkService(read(signaled.input?.payloads), name).ok ? read(signaled.input?.payloads) : undefined;
    else if (accepted?.name === 'reconfigure') candidate = read(accepted.args?.payloads);
    if (looksLikeService(candidate, name)) config = candidate;
  }
  return config;
}

export interface PlannedService {
  service: string;
  workflowId: string;
  action: 'start' | 'change' | 'unchanged';
  changes: ConfigChange[];
  /** For a running pipeline: what each pair does now, and would do under the file's config. */
  now?: PairStatus[];
  would?: PairStatus[];
}

export interface Plan {
  services: PlannedService[];
  /** Running pipelines the file does not name: `apply --prune` stops them. */
  notInFile: string[];
}

/** What `apply` would do, changing nothing: starts, changes (and their effect on each pair), stops. */
export async function planServices(client: Client, services: Service[], _taskQueue: string): Promise<Plan> {
  const planned: PlannedService[] = [];
  for (const service of services) {
    const workflowId = workflowIdFor(service.name);
    const handle = client.workflow.getHandle<typeof pipeline>(workflowId);
    const description = await describeRunning(handle);
    if (!description) {
      planned.push({ service: service.name, workflowId, action: 'start', changes: [] });
      continue;
    }
    const running = await runningConfig(handle);
    const changes = running ? configChanges(running, service) : [{ key: '(config)', from: undefined, to: service }];
    const entry: PlannedService = {
      service: service.name,
      workflowId,
      action: changes.length ? 'change' : 'unchanged',
      changes,
    };
    if (changes.length) {
      await requireWorker(client, description.taskQueue);
      entry.now = (await handle.query(statusQuery)).pairs;
      entry.would = (await handle.query(previewQuery, service, Date.now())).pairs;
    }
    planned.push(entry);
  }
  return { services: planned, notInFile: await notInFile(client, services) };
}

/** Running pipelines whose service the file does not name. */
export async function notInFile(client: Client, services: Service[]): Promise<string[]> {
  const named = new Set(services.map((s) => s.name));
  return (await listPipelines(client)).map((p) => p.service).filter((name) => !named.has(name));
}

/** `apply --prune`: ends the pipelines of services removed from the file, saying who and why in history. */
export async function stopPipelines(client: Client, names: string[], by: string): Promise<string[]> {
  for (const name of names)
    await client.workflow
      .getHandle(workflowIdFor(name))
      .terminate(`removed from the services file (conveyor apply --prune by ${by})`);
  return names;
}

/** The running execution's task queue, or undefined when the workflow does not run. */
async function describeRunning(handle: WorkflowHandle): Promise<{ taskQueue: string } | undefined> {
  try {
    const description = await handle.describe();
    return description.status.name === 'RUNNING' ? { taskQueue: description.taskQueue } : undefined;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/**
 * Queries and updates wait for a worker; with none polling the task queue they would hang (a query
 * for 30 s, an update for ever). Ask the server first, and say so in one line.
 */
export async function requireWorker(client: Client, taskQueue: string): Promise<void> {
  if (!(await hasWorker(client, taskQueue))) throw noWorkerError({ taskQueue });
}

export async function hasWorker(client: Client, taskQueue: string): Promise<boolean> {
  const answer = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (answer.pollers ?? []).length > 0;
}

export interface PipelineSummary {
  service: string;
  workflowId: string;
  paused: boolean;
  stage: string | null;
  startTime: string;
  /** Heroku's platform generation, from the fleet memo (absent until the pipeline was observed). */
  generation?: string;
  /** What holds it, in words (domain/fleet.ts rowState), from the workflow's fleet memo; undefined without one. */
  state?: string;
}

/** The running pipeline workflows, from visibility (search attributes and the fleet memo), no query needed. */
export async function listPipelines(client: Client): Promise<PipelineSummary[]> {
  const result: PipelineSummary[] = [];
  for await (const info of client.workflow.list({
    query: `WorkflowType = 'pipeline' AND ExecutionStatus = 'Running'`,
  })) {
    const attributes = info.typedSearchAttributes;
    const fleet = info.memo?.fleet as (FleetSummary & { generation?: unknown }) | undefined;
    const paused = attributes.get(ConveyorPaused) ?? false;
    const generation = fleet?.generation;
    result.push({
      ...(typeof generation === 'string' ? { generation } : {}),
      service: attributes.get(ConveyorService) ?? info.workflowId.replace(/^conveyor\//, ''),
      workflowId: info.workflowId,
      paused,
      stage: attributes.get(ConveyorStage) ?? null,
      startTime: info.startTime.toISOString(),
      ...(fleet && Array.isArray(fleet.stages) ? { state: rowState(fleet) } : paused ? { state: 'paused' } : {}),
    });
  }
  return result.sort((a, b) => a.service.localeCompare(b.service));
}

/** A handle on a running pipeline, or a clear error when the service has none. */
async function pipelineHandle(
  client: Client,
  service: string,
  needsWorker = false,
): Promise<WorkflowHandle<typeof pipeline>> {
  const handle = client.workflow.getHandle<typeof pipeline>(workflowIdFor(service));
  const running = await describeRunning(handle);
  if (!running) {
    const names = (await listPipelines(client).catch(() => [])).map((p) => p.service);
    throw new UsageError(
      `no running pipeline for service "${service}"${didYouMean(service, names)} (conveyor list shows them; conveyor apply starts them)`,
    );
  }
  if (needsWorker) await requireWorker(client, running.taskQueue);
  return handle;
}

export async function pipelineStatus(client: Client, service: string): Promise<PipelineStatus> {
  return (await pipelineHandle(client, service, true)).query(statusQuery);
}

export async function pipelineCurrentStage(client: Client, service: string): Promise<CurrentStage | null> {
  return (await pipelineHandle(client, service, true)).query(currentStageQuery);
}

export async function pausePipeline(
  client: Client,
  service: string,
  request: Pick<Pause, 'reason' | 'by'> & { stage?: string },
): Promise<void> {
  await (await pipelineHandle(client, service)).signal(pauseSignal, request);
}

/** Resumes the pipeline and every app held alone, or with `stage` that app only. */
export async function resumePipeline(client: Client, service: string, by: string, stage?: string): Promise<void> {
  await (await pipelineHandle(client, service)).signal(resumeSignal, { by, ...(stage ? { stage } : {}) });
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

export async function freezeAll(
  client: Client,
  taskQueue: string,
  request: Pick<Freeze, 'reason' | 'by'>,
): Promise<void> {
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
    if (error instanceof WorkflowUpdateFailedError) {
      const reason = error.cause?.message ?? error.message;
      const unknown = /no registered handler|unknown update/i.exec(reason);
      throw new UserError(
        unknown ? `this pipeline's workflow does not know this update (it runs an older version): ${reason}` : reason,
      );
    }
    throw error;
  }
}

export async function promoteManually(
  client: Client,
  service: string,
  request: ManualPromotionRequest,
): Promise<ManualOutcome> {
  const handle = await pipelineHandle(client, service, true);
  return update(() => handle.executeUpdate(promoteUpdate, { args: [request] }));
}

export async function rejectCommit(client: Client, service: string, request: RejectRequest): Promise<string> {
  const handle = await pipelineHandle(client, service, true);
  return update(() => handle.executeUpdate(rejectUpdate, { args: [request] }));
}

export async function unrejectCommit(client: Client, service: string, commit: string, by: string): Promise<string> {
  const handle = await pipelineHandle(client, service, true);
  return update(() => handle.executeUpdate(unrejectUpdate, { args: [{ commit, by }] }));
}

export async function approveRelease(client: Client, service: string, request: ApproveRequest): Promise<string> {
  const handle = await pipelineHandle(client, service, true);
  return update(() => handle.executeUpdate(approveUpdate, { args: [request] }));
}

/** Tries a release into a stage again after it failed there (the workflow never retries one by itself). */
export async function retryRelease(client: Client, service: string, request: RetryRequest): Promise<string> {
  const handle = await pipelineHandle(client, service, true);
  return update(() => handle.executeUpdate(retryUpdate, { args: [request] }));
}
