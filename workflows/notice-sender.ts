import { log } from '@temporalio/workflow';
import { explain, notify } from './activities';
import { noticesWait } from '../domain/notice';
import type { PipelineState } from './pipeline-state';

/**
 * Sends the notices the state has queued, one activity per batch, never waited on by the loop;
 * `sending` is what the run waits for before it hands over.
 *
 * `send` holds them while a promotion is on its way to Heroku's answer (domain/notice.ts
 * noticesWait): the notify activity's completion brings a workflow task of its own. The pass after
 * Heroku's answer sends them, or the start of a bake.
 */
export function noticeSender(state: PipelineState): {
  send: () => void;
  sendNow: () => void;
  sending: Promise<unknown>[];
} {
  const sending: Promise<unknown>[] = [];
  const sendNow = () => {
    const notices = state.drainNotices(Date.now());
    if (notices.length === 0) return;
    const sent = notify(notices)
      .catch((error) => log.warn('notify failed', { error: explain(error).reason }))
      .finally(() => sending.splice(sending.indexOf(sent), 1));
    sending.push(sent);
  };
  const send = () => {
    if (!noticesWait(state.book.underWaySince(), Date.now())) sendNow();
  };
  return { send, sendNow, sending };
}
