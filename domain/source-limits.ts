// How often conveyor may ask a health provider, from what the provider documents and what it answered.

/**
 * Requests a minute each provider documents for one key. Others are kept within their limits by
 * their answers alone: Datadog tells each endpoint's limit in X-RateLimit-* headers, New Relic's
 * NerdGraph limits concurrency rather than rate, and Prometheus and Grafana are the team's own.
 */
export const DOCUMENTED_PER_MINUTE: Readonly<Record<string, number>> = {
  // PagerDuty: 960 requests a minute per API key (REST API rate limits).
  pagerduty: 960,
};

/** The rate-limit headers of one answer, as sent (any may be missing). */
export interface LimitHeaders {
  status: number;
  /** Retry-After: seconds, or an HTTP date. */
  retryAfter?: string | null;
  /** Requests left in the window: X-RateLimit-Remaining (Datadog), ratelimit-remaining (PagerDuty). */
  remaining?: string | null;
  /** Seconds until the window resets: X-RateLimit-Reset (Datadog), ratelimit-reset (PagerDuty). */
  reset?: string | null;
}

const FALLBACK_BACKOFF_MS = 60_000;
const MAX_BACKOFF_MS = 15 * 60_000;

/**
 * Until when no request may be sent after this answer, or undefined when the next may go at once:
 * a 429 waits Retry-After, else the window's reset, else a minute; an answer that used the window's
 * last request waits for its reset.
 */
export function backoffUntil(answer: LimitHeaders, now: number): number | undefined {
  const seconds = (text: string | null | undefined) => {
    if (text == null || text.trim() === '') return undefined;
    const n = Number(text);
    if (Number.isFinite(n)) return Math.max(0, n * 1000);
    const at = Date.parse(text);
    return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
  };
  const reset = seconds(answer.reset);
  const cap = (ms: number) => now + Math.min(MAX_BACKOFF_MS, ms);
  if (answer.status === 429) return cap(seconds(answer.retryAfter) ?? reset ?? FALLBACK_BACKOFF_MS);
  if (answer.remaining != null && answer.remaining.trim() !== '' && Number(answer.remaining) <= 0 && reset)
    return cap(reset);
  return undefined;
}

/**
 * Whether one more request fits a sliding minute that already saw requests at `sent` (ms, any order),
 * under `perMinute`; no limit lets every request go.
 */
export function fitsMinute(sent: readonly number[], now: number, perMinute: number | undefined): boolean {
  if (perMinute === undefined) return true;
  const recent = sent.filter((at) => now - at < 60_000).length;
  return recent + 1 <= Math.max(1, Math.floor(perMinute));
}
