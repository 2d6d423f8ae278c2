import type { UrlFact, UrlPolicy } from '../domain/health';
import { fetchFailure } from './status';

/** Probes a stage's own URLs: how each answered and how long it took, never an exception. */
export function urlActivities(options: { fetch?: typeof fetch } = {}) {
  const fetcher = options.fetch ?? globalThis.fetch;

  async function probe(url: string, { timeoutMs, followRedirects }: UrlPolicy): Promise<UrlFact> {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      const response = await fetcher(url, {
        redirect: followRedirects ? 'follow' : 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const taken = ms();
      // Only the answer matters, not the page: let the connection go.
      await response.body?.cancel();
      if (!followRedirects && response.status >= 300 && response.status < 400) {
        const location = response.headers.get('location');
        return {
          url,
          status: response.status,
          ms: taken,
          error: `redirect ${response.status} not followed${location ? ` (to ${location})` : ''}`,
        };
      }
      return { url, status: response.status, ms: taken };
    } catch (error) {
      return { url, status: null, ms: ms(), error: fetchFailure(error, timeoutMs) };
    }
  }

  /** Every URL of the policy, probed in parallel, in the policy's order. */
  async function urlFacts(policy: UrlPolicy): Promise<UrlFact[]> {
    return Promise.all(policy.urls.map((url) => probe(url, policy)));
  }

  return { urlFacts };
}
