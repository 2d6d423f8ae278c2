// Where the time goes between an event and its promotion POST, read from the server's own clock: the
// workflow histories the bench saves with --histories (OUT/histories-CONTENDER-N/). Each event's wait
// is split at the history's timestamps into the steps a pipeline takes, in order:
//   arrive     the event to the first history event after it (a signal, an update, a timer firing)
//   queued     workflow tasks scheduled, waiting for a worker to take them
//   worker     workflow tasks in a worker (its code, and the local activities it runs)
//   activity   the promote activity up to its confirmation (dispatch, a read, the update's way in)
//   to POST    after the last workflow task (the confirmation's answer, a read, the POST itself)
//   npx tsx bench/history-breakdown.ts DIR [--json]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pair, type Opening } from './traces';

/** One history event as `historyToJSON` writes it (only what the breakdown reads). */
export interface HistoryEvent {
  eventType: string;
  eventTime: string;
}

export const STEPS = ['arrive', 'queued', 'worker', 'activity', 'to POST'] as const;
export type Step = (typeof STEPS)[number];

const WFT = 'EVENT_TYPE_WORKFLOW_TASK_';
const time = (e: HistoryEvent) => Date.parse(e.eventTime);

/**
 * Splits one opening's wait over the history events inside it. A workflow task's wait counts from
 * the later of its scheduling and the event (a task already queued when the event came); its time
 * in the worker from its start to its completion (or failure, or timeout).
 */
export function splitOpening(events: readonly HistoryEvent[], opening: Opening): Record<Step, number> | null {
  const { at, postAt } = opening;
  const inside = events.filter((e) => time(e) >= at && time(e) <= postAt);
  if (inside.length === 0) return null;
  const steps: Record<Step, number> = { arrive: time(inside[0]) - at, queued: 0, worker: 0, activity: 0, 'to POST': 0 };
  let scheduledAt: number | undefined;
  let startedAt: number | undefined;
  let lastTaskEnd: number | undefined;
  let activityStart: number | undefined;
  for (const e of events) {
    const t = time(e);
    if (t > postAt) break;
    if (e.eventType === `${WFT}SCHEDULED`) scheduledAt = t;
    else if (e.eventType === `${WFT}STARTED`) {
      startedAt = t;
      if (scheduledAt !== undefined && t >= at) steps.queued += t - Math.max(scheduledAt, at);
    } else if (
      startedAt !== undefined &&
      (e.eventType === `${WFT}COMPLETED` || e.eventType === `${WFT}FAILED` || e.eventType === `${WFT}TIMED_OUT`)
    ) {
      if (t >= at) {
        steps.worker += t - Math.max(startedAt, at);
        if (activityStart !== undefined) {
          // The confirmation's workflow task ran while the activity waited for it.
          steps.activity += Math.max(0, (scheduledAt ?? startedAt) - activityStart);
          activityStart = undefined;
        }
        lastTaskEnd = t;
      }
      startedAt = undefined;
      scheduledAt = undefined;
    } else if (e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_STARTED' && t >= at) activityStart = t;
  }
  if (lastTaskEnd !== undefined) steps['to POST'] = postAt - lastTaskEnd;
  return steps;
}

export interface HistoryBreakdown {
  events: number;
  /** ms, p50 / p99 of each step, and of the whole wait. */
  steps: Record<Step | 'total', [number, number]>;
}

export function historyBreakdown(
  histories: ReadonlyMap<string, readonly HistoryEvent[]>,
  openings: readonly Opening[],
): HistoryBreakdown | null {
  const split = openings.flatMap((o) => {
    const s = splitOpening(histories.get(o.workflowId) ?? [], o);
    return s ? [{ ...s, total: o.postAt - o.at }] : [];
  });
  if (split.length === 0) return null;
  const steps = Object.fromEntries(
    [...STEPS, 'total' as const].map((step) => {
      const xs = split.map((s) => s[step]);
      return [step, pair(xs)];
    }),
  ) as HistoryBreakdown['steps'];
  return { events: split.length, steps };
}

/** Every run's events of one workflow, oldest first, from the files the bench wrote. */
export function readHistories(dir: string): Map<string, HistoryEvent[]> {
  const histories = new Map<string, HistoryEvent[]>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'openings.json')) {
    const saved = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      workflowId: string;
      runs: { events: HistoryEvent[] }[];
    };
    const events = saved.runs.flatMap((run) => run.events).sort((a, b) => time(a) - time(b));
    histories.set(saved.workflowId, events);
  }
  return histories;
}

/** One line for the bench's log. */
export function describeSteps(b: HistoryBreakdown | null): string {
  if (!b) return 'no event led to a POST';
  const cells = [...STEPS, 'total' as const].map((s) => `${s} ${b.steps[s][0]} / ${b.steps[s][1]}`);
  return `${b.events} events (p50 / p99 ms): ${cells.join(', ')}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, ...rest] = process.argv.slice(2);
  if (!dir || dir.startsWith('-')) {
    console.error(
      'usage: npx tsx bench/history-breakdown.ts DIR [--json]   (DIR: OUT/histories-CONTENDER-N of a bench run with --histories)',
    );
    process.exit(2);
  }
  const histories = readHistories(dir);
  const openings = JSON.parse(readFileSync(join(dir, 'openings.json'), 'utf8')) as Record<string, Opening[]>;
  const result = Object.fromEntries(
    Object.entries(openings).map(([what, o]) => [what, historyBreakdown(histories, o)]),
  );
  if (rest.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`| event -> POST (p50 / p99, ms) | events | ${[...STEPS, 'total'].join(' | ')} |`);
    console.log(`| --- | --- | ${[...STEPS, 'total'].map(() => '---').join(' | ')} |`);
    for (const [what, b] of Object.entries(result)) {
      if (!b) continue;
      const cells = [...STEPS, 'total' as const].map((s) => `${b.steps[s][0]} / ${b.steps[s][1]}`);
      console.log(`| ${what} | ${b.events} | ${cells.join(' | ')} |`);
    }
  }
}
