// What a PromQL check's answer means for a gate: which series hold, named as PromQL writes them.
import type { FiringAlert, PromQuery } from './health';

/** One sample: [unix seconds, value as text], as the Prometheus HTTP API answers it. */
export type PromSample = [number, string];

/** The `data` of a Prometheus /api/v1/query answer. */
export type PromData =
  | { resultType: 'vector'; result: { metric: Record<string, string>; value: PromSample }[] }
  | { resultType: 'scalar'; result: PromSample }
  | { resultType: 'matrix'; result: unknown }
  | { resultType: 'string'; result: unknown };

/** {job="api", status="500"}: labels as PromQL writes them, sorted, the metric name first when there is one. */
export function seriesText(metric: Record<string, string>): string {
  const { __name__: name, ...labels } = metric;
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k].replace(/[\\"]/g, (c) => `\\${c}`)}"`);
  return `${name ?? ''}{${pairs.join(', ')}}`;
}

/** At most this many series are named per query; the rest are counted. */
export const NAMED_SERIES = 5;

/**
 * The samples of one query's answer that hold: every one returned, or those above the threshold
 * (NaN is above nothing). A range vector or a string is the wrong query for a gate: its text says why.
 */
export function holdingSeries({ name, query, above }: PromQuery, data: PromData): FiringAlert[] | string {
  if (data.resultType === 'matrix' || data.resultType === 'string')
    return `the query answers a ${data.resultType === 'matrix' ? 'range vector' : 'string'}; it must answer an instant vector or a scalar`;
  const samples: { metric: Record<string, string>; value: PromSample }[] =
    data.resultType === 'scalar' ? [{ metric: {}, value: data.result }] : data.result;
  const holding = samples.filter(({ value }) => above === undefined || Number(value[1]) > above);
  const label = name ?? query;
  const bound = above === undefined ? '' : ` (above ${above})`;
  const named: FiringAlert[] = holding.slice(0, NAMED_SERIES).map(({ metric, value }) => {
    const series = seriesText(metric);
    return { id: series, name: `${label}: ${series} = ${value[1]}${bound}` };
  });
  if (holding.length > NAMED_SERIES)
    named.push({ id: 'more', name: `${label}: and ${holding.length - NAMED_SERIES} more series` });
  return named;
}
