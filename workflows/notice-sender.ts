import { log } from '@temporalio/workflow';
import { explain, notify } from './activities';
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
