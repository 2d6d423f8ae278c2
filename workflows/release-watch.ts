import { log } from '@temporalio/workflow';
import { awaitRelease, explain } from './activities';
import type { PipelineState } from './pipeline-state';

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
