import { Context } from '@temporalio/activity';
import { nextArrival } from '../release-arrivals';

/** How an activity waiting on Heroku polls: the first wait, growing by half each poll up to the most. */
export interface PollSettings {
  intervalMs: number;
  maxIntervalMs: number;
}

/** How often an activity waiting on something heartbeats: four times per heartbeat timeout. */
export const heartbeatEvery = (context: Context): number =>
  Math.max(250, (context.info.heartbeatTimeoutMs ?? 20_000) / 4);

/**
 * Waits between polls, 2 s growing to 30 s (by default), heartbeating `details` at least every few
 * seconds; a release webhook for one of `apps` reaching this worker ends the wait at once.
 */
export function pollBackoff(poll: PollSettings, details: () => unknown, apps: readonly string[] = []) {
  let next = poll.intervalMs;
  return async () => {
    const context = Context.current();
    const beat = heartbeatEvery(context);
    const webhook = nextArrival(apps);
    let arrived = false;
    void webhook.arrived.then(() => (arrived = true));
    try {
      for (let left = next; left > 0 && !arrived; left -= beat) {
        context.heartbeat(details());
        await Promise.race([context.sleep(Math.min(beat, left)), webhook.arrived]);
      }
    } finally {
      webhook.stop();
    }
    next = Math.min(poll.maxIntervalMs, Math.ceil(next * 1.5));
  };
}

/** Heartbeats `details` every few seconds while `work` runs: waiting for the workflow's answer is being alive. */
export async function alive<T>(details: unknown, work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const beating = setInterval(() => context.heartbeat(details), heartbeatEvery(context));
  try {
    return await work();
  } finally {
    clearInterval(beating);
  }
}
