// Where the time goes between an event that opens a gate and its promotion POST, from the worker's
// traces (CONVEYOR_TRACES_FILE, worker/traces.ts): the activities that ran in between, and the time
// no activity ran (workflow tasks, task queues, timers).
import { existsSync, readFileSync } from 'node:fs';
import type { SpanLine } from '../worker/traces';

/** One gate opening and the promotion POST it led to. */
export interface Opening {
  workflowId: string;
  at: number;
  postAt: number;
}

export interface Breakdown {
  events: number;
  /** Event to POST, ms: p50 / p99. */
  total: [number, number];
  /** Event to the first activity's start: signal delivery or timer, workflow task, activity dispatch. */
  toFirstActivity: [number, number];
  /** Time inside activities (the promote activity up to its POST). */
  inActivities: [number, number];
  /** Time between activities: workflow tasks and activity dispatch. */
  between: [number, number];
  /** Mean ms per event inside each activity type, and how many ran per event. */
  byActivity: Record<string, { meanMs: number; perEvent: number }>;
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
};
/** p50 and p99 of `xs`, rounded to whole ms. */
export const pair = (xs: number[]): [number, number] => [quantile(xs, 0.5), quantile(xs, 0.99)];

export function readSpans(path: string): SpanLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SpanLine);
}

/** Splits each event's wait into activities and the time between them. */
export function breakdown(spans: SpanLine[], openings: Opening[]): Breakdown | null {
  const activities = new Map<string, SpanLine[]>();
  for (const span of spans) {
    const id = span.attributes.temporalWorkflowId;
    if (!span.name.startsWith('RunActivity') || typeof id !== 'string') continue;
    activities.set(id, [...(activities.get(id) ?? []), span]);
  }
  const totals: number[] = [];
  const first: number[] = [];
  const inside: number[] = [];
  const between: number[] = [];
  const byType = new Map<string, { ms: number; n: number }>();
  for (const { workflowId, at, postAt } of openings) {
    const ran = (activities.get(workflowId) ?? [])
      .filter((s) => s.endMs > at && s.startMs < postAt)
      .sort((a, b) => a.startMs - b.startMs);
    let busy = 0;
    let cursor = at;
    for (const span of ran) {
      const start = Math.max(span.startMs, cursor);
      const end = Math.min(span.endMs, postAt);
      if (end > start) busy += end - start;
      cursor = Math.max(cursor, end);
      const type = span.name.split(':')[1] ?? span.name;
      const t = byType.get(type) ?? { ms: 0, n: 0 };
      byType.set(type, { ms: t.ms + Math.max(0, end - Math.max(span.startMs, at)), n: t.n + 1 });
    }
    const total = postAt - at;
    totals.push(total);
    first.push(ran.length > 0 ? Math.max(0, ran[0].startMs - at) : total);
    inside.push(busy);
    between.push(total - busy - (ran.length > 0 ? Math.max(0, ran[0].startMs - at) : total));
  }
  if (totals.length === 0) return null;
  return {
    events: totals.length,
    total: pair(totals),
    toFirstActivity: pair(first),
    inActivities: pair(inside),
    between: pair(between),
    byActivity: Object.fromEntries(
      [...byType].map(([type, t]) => [
        type,
        { meanMs: Math.round(t.ms / totals.length), perEvent: Math.round((t.n / totals.length) * 10) / 10 },
      ]),
    ),
  };
}

/** One line for the log and results.md. */
export function describe(what: string, b: Breakdown | null): string {
  if (!b) return `${what}: no traced event`;
  const types = Object.entries(b.byActivity)
    .sort((x, y) => y[1].meanMs - x[1].meanMs)
    .map(([type, t]) => `${type} ${t.meanMs} ms (${t.perEvent}x)`)
    .join(', ');
  return `${what} (${b.events} events): total p50/p99 ${b.total.join(' / ')} ms = event -> first activity ${b.toFirstActivity.join(' / ')} ms + in activities ${b.inActivities.join(' / ')} ms + between activities ${b.between.join(' / ')} ms; mean per event in ${types}`;
}
