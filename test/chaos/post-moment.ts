// The chaos checker's reading of when a promotion was posted (test/chaos/chaos.ts).

/**
 * When a promotion was posted, from the arrivals of POSTs with its source release and target: the
 * last one by the time it was created (`window.hi`), since a POST refused before it (a fault) was
 * posted again. The arrival itself, never the recorder's poll before it: a POST that lands between
 * two polls was made after the first, and taking the poll would shorten every soak by up to a poll.
 * With no arrival on record, the earliest moment it can have been created.
 */
export function postMoment(arrivals: readonly number[], window: { lo: number; hi: number }): number {
  const before = arrivals.filter((at) => at <= window.hi);
  return before.length ? Math.max(...before) : window.lo;
}
