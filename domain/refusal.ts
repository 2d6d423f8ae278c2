import { iso } from './duration';
import type { ReleaseFact } from './observation';

/**
 * Refusal: Heroku answered a promotion's POST with a 4xx (forbidden, a pipeline recreated, a source
 * release whose artifact expired). Heroku did not act, so the release did not fail anywhere; posting
 * again at once would only be refused again. The pair backs off, told once per refusal, and tries
 * again later; a release refused because it expired is never chosen as a source again.
 */
export interface Refusal {
  /** Target stage. */
  stage: string;
  sourceReleaseId: string;
  sourceVersion: number;
  /** Heroku's answer. */
  error: string;
  at: string;
  /** The pair is held until then. */
  retryAt: string;
  /** Refusals in a row into this stage (the backoff doubles with each). */
  count: number;
}

/** The longest a refused pair waits before posting again. */
export const REFUSAL_BACKOFF_MAX_MS = 30 * 60_000;

/** How long a pair waits after its `count`th refusal in a row: two ticks, doubling, at most 30 min. */
export const refusalBackoffMs = (count: number, tickMs: number): number =>
  Math.min(REFUSAL_BACKOFF_MAX_MS, Math.max(tickMs, 1_000) * 2 ** Math.max(1, count));

/** The refusal recorded for a POST refused at `now`: one more in a row than `previous`. */
export function nextRefusal(
  previous: Refusal | undefined,
  refused: Pick<Refusal, 'stage' | 'sourceReleaseId' | 'sourceVersion' | 'error'>,
  now: number,
  tickMs: number,
): Refusal {
  const count = (previous?.count ?? 0) + 1;
  return { ...refused, at: iso(now), retryAt: iso(now + refusalBackoffMs(count, tickMs)), count };
}

/** Whether a refusal still holds its pair at `now`. */
export const refusalHolds = (refusal: Refusal | undefined, now: number): refusal is Refusal =>
  !!refusal && now < Date.parse(refusal.retryAt);

/** What status says of a pair a refusal holds. */
export const refusalReason = (refusal: Refusal): string =>
  `Heroku refused promoting v${refusal.sourceVersion} into ${refusal.stage} (${refusal.error}); trying again at ${refusal.retryAt}`;

/** A release whose artifact Heroku destroyed: its status says so, or a promotion of it was refused as expired. */
export const isExpired = (release: ReleaseFact, expired: readonly string[] = []): boolean =>
  release.status === 'expired' || expired.includes(release.id);

/** What status says of a pair whose only source releases expired. */
export const expiredReason = (release: ReleaseFact, app: string): string =>
  `v${release.version} expired on ${app}: merge again or promote by hand`;
