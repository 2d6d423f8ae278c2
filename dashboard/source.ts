// What the dashboard reads from Temporal: the fleet with ONE visibility call (memo + search
// attributes), the freeze from conveyor/control, and one service's status only for its own view.
import { defaultPayloadConverter } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { FleetSummary } from '../domain/fleet';
import type { Freeze } from '../domain/freeze';
import { CONTROL_WORKFLOW_ID, workflowIdFor, type Service } from '../domain/service';
import { ConveyorPaused, ConveyorService, ConveyorStage } from '../temporal/search-attributes';
import { freezeQuery, statusQuery } from '../workflows/messages';
import type { PipelineStatus } from '../domain/status';

/** One row of the fleet: the workflow's memo when it keeps one, what the search attributes say otherwise. */
export interface FleetRow {
  service: string;
  workflowId: string;
  /** The memo `fleet` (kept current by the workflow); null for workflows that do not keep it yet. */
  fleet: FleetSummary | null;
  /** From the search attributes, always there. */
  paused: boolean;
  stage: string | null;
}

export interface Fleet {
  rows: FleetRow[];
  freeze: Freeze | null;
  readAt: string;
}

const LIST_QUERY = `WorkflowType = 'pipeline' AND ExecutionStatus = 'Running'`;

function isFleetSummary(value: unknown): value is FleetSummary {
  return (
    !!value &&
    typeof value === 'object' &&
    Array.isArray((value as FleetSummary).stages) &&
    typeof (value as FleetSummary).service === 'string'
  );
}

/** The whole fleet in one visibility call: every running pipeline with its memo. */
export async function readFleetRows(client: Client): Promise<FleetRow[]> {
  // A visibility call that hangs must not hold every page: ten seconds, then the next poll tries again.
  return client.connection.withDeadline(Date.now() + 10_000, () => listRows(client));
}

async function listRows(client: Client): Promise<FleetRow[]> {
  const rows: FleetRow[] = [];
  for await (const info of client.workflow.list({ query: LIST_QUERY, pageSize: 1000 })) {
    const attributes = info.typedSearchAttributes;
    const memo = info.memo?.fleet;
    rows.push({
      service: attributes.get(ConveyorService) ?? info.workflowId.replace(/^conveyor\//, ''),
      workflowId: info.workflowId,
      fleet: isFleetSummary(memo) ? memo : null,
      paused: attributes.get(ConveyorPaused) ?? false,
      stage: attributes.get(ConveyorStage) ?? null,
    });
  }
  return rows.sort((a, b) => a.service.localeCompare(b.service));
}

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms).unref(),
    ),
  ]);

/** The company-wide freeze (one query of conveyor/control); null when there is no control workflow. */
export async function readFreeze(client: Client): Promise<Freeze | null> {
  try {
    return await withTimeout(
      client.workflow.getHandle(CONTROL_WORKFLOW_ID).query(freezeQuery),
      5_000,
      CONTROL_WORKFLOW_ID,
    );
  } catch (error) {
    if ((error as Error).name === 'WorkflowNotFoundError') return null;
    throw error;
  }
}

/** One service's status: the only per-service query the dashboard makes, for the service view. */
export async function readStatus(client: Client, service: string): Promise<PipelineStatus> {
  return withTimeout(
    client.workflow.getHandle(workflowIdFor(service)).query(statusQuery),
    10_000,
    workflowIdFor(service),
  );
}

/**
 * The service's configuration as its current run was started with it (the first event of the run
 * holds the input): the status does not carry the GitHub repository. One small history read per run.
 */
export async function readServiceConfig(
  client: Client,
  service: string,
): Promise<{ service: Service; runId: string } | null> {
  const workflowId = workflowIdFor(service);
  const described = await client.workflow.getHandle(workflowId).describe();
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId: described.runId },
    maximumPageSize: 1,
  });
  const input = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!input) return null;
  const decoded = defaultPayloadConverter.fromPayload<{ service?: Service }>(input);
  return decoded?.service ? { service: decoded.service, runId: described.runId } : null;
}
