// Reading Temporal Core's metrics as the SDK runtime serves them (Prometheus text): a histogram's
// buckets summed over its label sets, the difference between two scrapes (what happened in a
// window), and its quantiles as Prometheus's histogram_quantile interpolates them.

/** Cumulative counts by upper bound (`le`), ascending, the last bound Infinity. */
export type Buckets = [bound: number, count: number][];

const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;

function samples(text: string, name: string): { labels: string; value: number }[] {
  const found: { labels: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = sample.exec(line);
    if (m && m[1] === name) found.push({ labels: m[2] ?? '', value: Number(m[3]) });
  }
  return found;
}

/** The histogram `name` (without `_bucket`), every label set added up; empty when the scrape has none. */
export function histogram(text: string, name: string): Buckets {
  const byBound = new Map<number, number>();
  for (const { labels, value } of samples(text, `${name}_bucket`)) {
    const le = /(?:^|,)le="([^"]+)"/.exec(labels)?.[1];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    byBound.set(bound, (byBound.get(bound) ?? 0) + value);
  }
  return [...byBound].sort((a, b) => a[0] - b[0]);
}

/** A counter or gauge `name`, every label set added up (0 when absent). */
export function total(text: string, name: string): number {
  return samples(text, name).reduce((t, s) => t + s.value, 0);
}

/** What was observed between two scrapes of the same histogram. */
export function since(before: Buckets, after: Buckets): Buckets {
  const earlier = new Map(before);
  return after.map(([bound, count]) => [bound, count - (earlier.get(bound) ?? 0)]);
}

/** Observations in the histogram. */
export const observations = (buckets: Buckets): number => buckets.at(-1)?.[1] ?? 0;

/**
 * The q-quantile, interpolated linearly within its bucket as histogram_quantile does; a quantile in
 * the +Inf bucket answers the highest finite bound (the figure is "at least" that). undefined: no observations.
 */
export function quantile(buckets: Buckets, q: number): number | undefined {
  const n = observations(buckets);
  if (n === 0) return undefined;
  const rank = q * n;
  let previousBound = 0;
  let previousCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === Infinity) return previousBound;
      const inBucket = count - previousCount;
      return inBucket === 0 ? bound : previousBound + ((bound - previousBound) * (rank - previousCount)) / inBucket;
    }
    previousBound = bound;
    previousCount = count;
  }
  return previousBound;
}
