/**
 * Release webhooks that reached this worker process (its receiver), for the polls waiting on that
 * app: a promotion's target or a release phase looks at once instead of at its next backoff, so a
 * webhook ends the wait and the backing-off poll is only the fallback.
 */
type Wake = () => void;

const waiting = new Map<string, Set<Wake>>();

/** A release webhook for `app` (its name or id) arrived: every poll waiting on it looks now. */
export function releaseArrived(app: string): void {
  for (const wake of [...(waiting.get(app) ?? [])]) wake();
}

/** Resolves at the next release webhook for any of `apps`; `stop` forgets the wait. */
export function nextArrival(apps: readonly string[]): { arrived: Promise<void>; stop: () => void } {
  let wake: Wake = () => {};
  const arrived = new Promise<void>((resolve) => (wake = resolve));
  for (const app of apps) waiting.set(app, (waiting.get(app) ?? new Set()).add(wake));
  const stop = () => {
    for (const app of apps) {
      const set = waiting.get(app);
      set?.delete(wake);
      if (set && set.size === 0) waiting.delete(app);
    }
  };
  return { arrived, stop };
}
