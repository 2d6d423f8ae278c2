import { log } from '@temporalio/workflow';
import { awaitRelease, explain, notify } from './activities';
import type { PipelineState } from './pipeline-state';

/**
 * Sends the notices the state has queued, one activity per batch, never waited on by the loop;
 * `sending` is what the run waits for before it hands over.
 */
export function noticeSender(state: PipelineState): { send: () => void; sending: Promise<unknown>[] } {
  const sending: Promise<unknown>[] = [];
  const send = () => {
    const notices = state.drainNotices(Date.now());
    if (notices.length === 0) return;
    const sent = notify(notices)
      .catch((error) => log.warn('notify failed', { error: explain(error).reason }))
      .finally(() => sending.splice(sending.indexOf(sent), 1));
    sending.push(sent);
  };
  return { send, sending };
}

/**
 * A release phase running on a stage (a merge just landed) is watched, so the workflow acts the
 * moment it settles instead of at the next tick; `settled` wakes the loop.
 */
export function releaseWatcher(state: PipelineState, settled: () => void): () => void {
  const watching = new Set<string>();
  return () => {
    for (const { app, releaseId } of state.book.pendingReleases(state.observation)) {
      if (watching.has(releaseId)) continue;
      watching.add(releaseId);
      void awaitRelease({ app, releaseId })
        .catch((error) => log.warn('could not watch a release', { app, error: explain(error).reason }))
        .finally(() => {
          watching.delete(releaseId);
          settled();
        });
    }
  };
}
