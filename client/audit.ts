// `conveyor audit SERVICE` and the dashboard's audit page: every person's action on a pipeline,
// read back from the workflow's own history (each run since the start of the window), so nothing
// can be left out or added after the fact. The identity is the one the dashboard signed, checked
// against the public keys in the run's configuration; an unsigned request is administrator access.
import { defaultPayloadConverter } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import {
  describeRequest,
  freezeFollowed,
  isAudited,
  isFleetWide,
  whatFollowed,
  whoSent,
  type AuditEntry,
} from '../domain/audit';
import type { PromotionRecord } from '../domain/promotion';
import type { Service } from '../domain/service';
import { CONTROL_WORKFLOW_ID, workflowIdFor } from '../domain/service';
import { parseDuration } from '../domain/duration';
import { UsageError, UserError } from './errors';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const decode = (payloads: { payloads?: unknown[] | null } | null | undefined): unknown => {
  const first = payloads?.payloads?.[0];
  if (!first) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(first);
  } catch {
    return undefined;
  }
};

/** "7d" as milliseconds, or a usage error naming --since. */
export function parseSince(text: string | undefined): number {
  if (text === undefined) return 7 * 24 * 3_600_000;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`--since: "${text}" is not a duration such as 7d, 12h or 30m`);
  return ms;
}

/** The requests of one run, in order, with the pipeline's answer to each update. */
function entriesOfRun(
  events: HistoryEvent[],
  service: string,
  signingKeys?: readonly string[],
): { entries: AuditEntry[]; config?: Service } {
  const config = (
    decode(events[0]?.workflowExecutionStartedEventAttributes?.input) as { service?: Service } | undefined
  )?.service;
  const keys = signingKeys ?? config?.access?.signingKeys ?? [];
  const entries: AuditEntry[] = [];
  const byAccepted = new Map<string, AuditEntry>();
  for (const event of events) {
    const at = new Date(optionalTsToMs(event.eventTime) ?? 0).toISOString();
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName && isAudited(signal.signalName)) {
      const input = decode(signal.input);
      // A signal sent by another workflow is not a person's; a freeze a pipeline hears is passed on
      // by the control workflow, whose history has the person's (read from there).
      if (signal.externalWorkflowExecution) continue;
      if (isFleetWide(signal.signalName) && signingKeys === undefined) continue;
      entries.push({
        at,
        action: signal.signalName,
        ...whoSent(signal.signalName, input, service, keys),
        details: describeRequest(signal.signalName, input),
        followed: 'taken',
      });
    }
    const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
    const name = accepted?.acceptedRequest?.input?.name;
    if (accepted && name && isAudited(name)) {
      const input = decode(accepted.acceptedRequest?.input?.args);
      const entry: AuditEntry = {
        at,
        action: name,
        ...whoSent(name, input, service, keys),
        details: describeRequest(name, input),
        followed: 'no answer yet',
      };
      (entry as AuditEntry & { input?: unknown }).input = input;
      entries.push(entry);
      byAccepted.set(String(event.eventId), entry);
    }
    const completed = event.workflowExecutionUpdateCompletedEventAttributes;
    if (completed) {
      const entry = byAccepted.get(String(completed.acceptedEventId));
      if (entry) {
        const failure = completed.outcome?.failure;
        const result = decode(completed.outcome?.success);
        entry.followed = failure
          ? `refused: ${failure.message ?? 'failed'}`
          : typeof result === 'string'
            ? result
            : result && typeof result === 'object' && 'message' in result
              ? String(result.message)
              : 'done';
      }
    }
  }
  return { entries, config };
}

/** Every person's action on `service` within the last `sinceMs`, oldest first. */
export async function readAudit(
  client: Client,
  service: string,
  sinceMs: number,
  now = Date.now(),
): Promise<AuditEntry[]> {
  const workflowId = workflowIdFor(service);
  const from = now - sinceMs;
  const runs: { runId: string; closed?: number }[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId.replace(/'/g, '')}'` }))
    runs.push({ runId: run.runId, closed: run.closeTime?.getTime() });
  if (!runs.length) throw new UserError(`no pipeline for service "${service}" (nothing has run as ${workflowId})`);
  const entries: AuditEntry[] = [];
  let latest: Service | undefined;
  for (const run of runs.filter((r) => r.closed === undefined || r.closed >= from)) {
    const history = await client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    const read = entriesOfRun(history.events ?? [], service);
    entries.push(...read.entries);
    latest ??= read.config;
  }
  // Freezes stop every pipeline: the control workflow's, checked with this service's keys.
  const control: { runId: string; closed?: number }[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = '${CONTROL_WORKFLOW_ID}'` }))
    control.push({ runId: run.runId, closed: run.closeTime?.getTime() });
  for (const run of control.filter((r) => r.closed === undefined || r.closed >= from)) {
    const history = await client.workflow.getHandle(CONTROL_WORKFLOW_ID, run.runId).fetchHistory();
    for (const entry of entriesOfRun(history.events ?? [], service, latest?.access?.signingKeys ?? []).entries)
      if (isFleetWide(entry.action))
        entries.push({ ...entry, followed: freezeFollowed(entry.action, latest?.ignoreFreeze === true) });
  }
  // What came of approvals and promotions by hand: the pipeline's own promotion records.
  let promotions: PromotionRecord[] = [];
  try {
    promotions = (await client.workflow.getHandle(workflowId).query<{ history: PromotionRecord[] }>('status')).history;
  } catch {
    // A pipeline that no longer runs answers no query; its actions are still listed.
  }
  return entries
    .filter((e) => Date.parse(e.at) >= from)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    .map((entry) => {
      const { input, ...rest } = entry as AuditEntry & { input?: unknown };
      const after = whatFollowed(entry.action, input, entry.at, promotions);
      return after && !rest.followed.startsWith('refused') ? { ...rest, followed: `${rest.followed}; ${after}` } : rest;
    });
}

/** One line per action, for the terminal. */
export function formatAudit(entries: AuditEntry[]): string {
  if (!entries.length) return 'no actions by people in this window';
  return entries
    .map((e) => {
      const who = `${e.by} [${e.assurance}${e.provider && e.assurance !== 'administrator' ? `, ${e.provider}` : ''}]`;
      return [
        `${e.at}  ${e.action.padEnd(11)} ${who}${e.details ? `  ${e.details}` : ''}`,
        e.rule ? `    allowed by ${e.rule}` : '    allowed by: Temporal namespace access (administrator)',
        `    -> ${e.followed}`,
      ].join('\n');
    })
    .join('\n');
}
