import { sleep } from '@temporalio/workflow';

/** Sleeps each duration in turn: the history's TimerStarted and TimerFired tell how late each fired. */
export async function sleepInTurn(durationsMs: number[]): Promise<void> {
  for (const ms of durationsMs) await sleep(ms);
}
