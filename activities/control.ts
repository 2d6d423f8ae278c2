import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Freeze } from '../domain/freeze';
import { CONTROL_WORKFLOW_ID } from '../domain/service';
import { freezeQuery, freezeSignal, unfreezeSignal } from '../workflows/messages';

/** Temporal itself as an adapter: the freeze reaches pipelines as signals. */
export function controlActivities(client: Client) {
  /** Signals the freeze (or its end) to every running pipeline; answers how many were told. */
  async function broadcastFreeze(freeze: Freeze | null): Promise<number> {
    let told = 0;
    for await (const workflow of client.workflow.list({ query: `WorkflowType = 'pipeline' AND ExecutionStatus = 'Running'` })) {
      const handle = client.workflow.getHandle(workflow.workflowId);
      try {
        await (freeze ? handle.signal(freezeSignal, freeze) : handle.signal(unfreezeSignal, {}));
        told++;
      } catch (error) {
        // It ended between the listing and the signal: nothing to tell.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    }
    return told;
  }

  /** The freeze in force, for a pipeline starting up; none when conveyor/control was never started. */
  async function readFreeze(): Promise<Freeze | null> {
    try {
      return await client.workflow.getHandle(CONTROL_WORKFLOW_ID).query(freezeQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      throw error;
    }
  }

  return { broadcastFreeze, readFreeze };
}
