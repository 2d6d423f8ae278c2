/**
 * How long the pipeline sleeps before a gate opens. A workflow's timer starts when its workflow task
 * completes, but its length is counted from the moment the task started: a timer set by a task that
 * waited in a busy worker (25 merges landing at once) fires that long after the gate opened. So a
 * timer for a gate more than twice this far ahead wakes this much early, and is then set again by a
 * workflow task that does nothing else, which a busy worker holds only briefly.
 */
export const REARM_BEFORE_MS = 2_000;

export interface WakeTimer {
  /** The timer's length. */
  ms: number;
  /** True when it wakes early only to be set again (no pass then, unless a message came). */
  rearm: boolean;
}

/** The timer towards `wakeAt`; `gateOpens` when a gate opens then (not the tick, not a blocked look). */
export function wakeTimer(now: number, wakeAt: number, gateOpens: boolean): WakeTimer {
  const ms = Math.max(1, wakeAt - now);
  return gateOpens && ms > 2 * REARM_BEFORE_MS ? { ms: ms - REARM_BEFORE_MS, rearm: true } : { ms, rearm: false };
}
