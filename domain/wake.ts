import { DECIDE_AHEAD_MS } from './ahead';

/**
 * When the pipeline wakes for a gate that opens on its own at `opensAt` (a soak ending, a window
 * opening): DECIDE_AHEAD_MS before, so its pass decides the promotion ahead of the gate and only the
 * POST waits for it (ahead.ts); at the moment itself once that is past, which a pass that could not
 * decide ahead sets as a short timer (a timer's length counts from its task's start, so a long one set
 * by a task that waited in a busy worker fires late).
 */
export function gateWakeAt(now: number, opensAt: number): number {
  const ahead = opensAt - DECIDE_AHEAD_MS;
  return ahead > now ? ahead : Math.max(now, opensAt);
}
