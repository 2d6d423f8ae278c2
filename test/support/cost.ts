// What an idle pipeline costs per tick, read from the real server and the sandbox: history events
// (the workflow's history through the Temporal client) and Heroku/GitHub requests (the sandbox's
// counts per endpoint). Used by test/integration/cost.test.ts; figures, not timings.
import proto from '@temporalio/proto';
import type { Service } from '../../domain/service';
import type { Stack } from './stack';
import { eventually } from './temporal';

const { EventType } = proto.temporal.api.enums.v1;
const OBSERVE = 'GET /pipelines/{id}/latest-releases';

export interface TickCost {
  /** Events each of the measured ticks added to history (a tick: from one loop wake-up to the next). */
  eventsPerTick: number[];
  /** The event types of the last measured tick, in order (to see what a tick is made of). */
  lastTick: string[];
  /** Requests per endpoint over the measured ticks, divided by the number of observations. */
  requestsPerTick: Record<string, number>;
  heroku: number;
  github: number;
  /** The history length at the end, as DescribeWorkflowExecution reports it. */
  historyLength: number;
}

const typeName = (type: number | null | undefined) =>
  (EventType[type ?? 0] ?? String(type)).replace(/^EVENT_TYPE_/, '');

/** Where each tick begins: every wake-up of the loop by its timer. */
function tickStarts(types: string[]): number[] {
  return types.flatMap((type, i) => (type === 'TIMER_FIRED' ? [i] : []));
}

/**
 * Lets the pipeline settle (`settled` true), then measures `ticks` ticks: the history events between
 * consecutive timer wake-ups, and the requests the sandbox counted per observation meanwhile.
 */
export async function measureIdleTicks(
  stack: Stack,
  service: Service,
  settled: () => Promise<boolean>,
  ticks = 5,
): Promise<TickCost> {
  const handle = stack.client.workflow.getHandle(`conveyor/${service.name}`);
  const types = async () => ((await handle.fetchHistory()).events ?? []).map((e) => typeName(e.eventType));
  await eventually(async () => (await settled()) || undefined, 60_000, `${service.name} settled`);
  // Two more ticks, so the first measured one starts after whatever the settling pass did.
  const start = tickStarts(await types()).length + 2;
  await eventually(async () => tickStarts(await types()).length >= start || undefined, 60_000, 'two more ticks');
  const before = stack.sandbox.requestCounts();
  const first = tickStarts(await types()).length;
  const observedBefore = before[OBSERVE] ?? 0;
  const all = await eventually(
    async () => {
      const now = await types();
      return tickStarts(now).length >= first + ticks + 1 ? now : undefined;
    },
    120_000,
    `${ticks} idle ticks`,
  );
  const after = stack.sandbox.requestCounts();
  const starts = tickStarts(all).slice(first, first + ticks + 1);
  const eventsPerTick = starts.slice(1).map((at, i) => at - starts[i]);
  const observations = Math.max(1, (after[OBSERVE] ?? 0) - observedBefore);
  const requestsPerTick: Record<string, number> = {};
  for (const [endpoint, count] of Object.entries(after)) {
    const delta = count - (before[endpoint] ?? 0);
    if (delta > 0) requestsPerTick[endpoint] = delta / observations;
  }
  const sum = (github: boolean) =>
    Object.entries(requestsPerTick)
      .filter(([endpoint]) => endpoint.includes(' /github/') === github)
      .reduce((total, [, n]) => total + n, 0);
  const { historyLength } = await handle.describe();
  return {
    eventsPerTick,
    lastTick: all.slice(starts[starts.length - 2], starts[starts.length - 1]),
    requestsPerTick,
    heroku: sum(false),
    github: sum(true),
    historyLength,
  };
}
