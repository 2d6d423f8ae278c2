import { ApplicationFailure, Context } from '@temporalio/activity';
import { ServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Freeze } from '../domain/freeze';
import { CONTROL_WORKFLOW_ID } from '../domain/service';

/** How long a pipeline waits for conveyor/control to answer a freeze query (old control workflows only). */
const QUERY_DEADLINE_MS = 3_000;
const GRPC_DEADLINE_EXCEEDED = 4;
/** How many pipelines a freeze or unfreeze is signalled to at once. */
const SIGNALS_AT_ONCE = 32;

/** Temporal itself as an adapter: the freeze reaches pipelines as signals. */
export function controlActivities(client: Client) {
  /**
   * Signals the freeze (or its end) to every running pipeline of this installation (the control
   * workflow's task queue: another installation sharing the namespace is not frozen); answers how
   * many were told.
   */
  async function broadcastFreeze(freeze: Freeze | null): Promise<number> {
    let told = 0;
    const taskQueue = Context.current().info.taskQueue.replace(/'/g, '');
    const tell = async (workflowId: string) => {
      const handle = client.workflow.getHandle(workflowId);
      try {
        // By name: activities never import workflow code (workflows/messages.ts defines these).
        await (freeze ? handle.signal<[Freeze]>('freeze', freeze) : handle.signal<[object]>('unfreeze', {}));
        told++;
      } catch (error) {
        // It ended between the listing and the signal: nothing to tell.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    };
    // Signalled a page at a time, in parallel: one by one, the last of a thousand pipelines would hear
    // of an unfreeze seconds after the first.
    let page: Promise<void>[] = [];
    for await (const workflow of client.workflow.list({
      query: `WorkflowType = 'pipeline' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'`,
    })) {
      page.push(tell(workflow.workflowId));
      if (page.length >= SIGNALS_AT_ONCE) {
        await Promise.all(page);
        page = [];
      }
    }
    await Promise.all(page);
    return told;
  }

  /**
   * The freeze in force, for a pipeline starting up; none when conveyor/control was never started.
   * Read from the control workflow's memo, which the server answers without any worker (a query
   * would wait for control's worker, up to minutes when none polls); the query is the fallback for
   * a control workflow started before it kept the memo, and it fails fast.
   */
  async function readFreeze(): Promise<Freeze | null> {
    const handle = client.workflow.getHandle(CONTROL_WORKFLOW_ID);
    try {
      const { memo } = await handle.describe();
      if (memo && 'freeze' in memo) return (memo.freeze as Freeze | null) ?? null;
      return await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query<Freeze | null>('freeze'));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      // No answer in time: no worker serves conveyor/control. Asking again would only delay the
      // pipeline; the next freeze signal tells it.
      const code = (error as { cause?: { code?: number } }).cause?.code;
      if (error instanceof ServiceError && (code === GRPC_DEADLINE_EXCEEDED || /deadline/i.test(error.message))) {
        throw ApplicationFailure.nonRetryable(
          `conveyor/control did not answer within ${QUERY_DEADLINE_MS / 1000}s (is its worker running?)`,
          'ControlUnavailable',
        );
      }
      throw error;
    }
  }

  return { broadcastFreeze, readFreeze };
}
