// The worker's shutdown window: Heroku (and docker stop, and Kubernetes) send SIGTERM, then SIGKILL
// when their own grace is over (Heroku: 30 s). Inside CONVEYOR_SHUTDOWN_GRACE the worker stops
// polling at once, lets running activities finish, cancels the rest so Temporal retries them on
// another worker (an activity is never lost, and a promotion's retry finds its POST instead of
// sending another), and exits before the platform kills it.

export interface ShutdownWindow {
  /** Running activities may finish for this long after SIGTERM; then they are cancelled and handed back. */
  activitiesMs: number;
  /** The SDK gives up waiting for the worker's own clean-up here. */
  forceMs: number;
  /** The process exits at the latest here, whatever is left. */
  exitMs: number;
}

/** Four fifths of the window for activities, a tenth for handing back and the SDK's clean-up, the rest to exit. */
export function shutdownWindow(graceMs: number): ShutdownWindow {
  return {
    activitiesMs: Math.floor(graceMs * 0.8),
    forceMs: Math.floor(graceMs * 0.9),
    exitMs: graceMs,
  };
}
