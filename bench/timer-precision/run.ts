// How late a Temporal server fires short timers, with its default timer read-ahead (1 s) and with the
// read-ahead conveyor's servers use (temporal/server-settings.ts). One dev server per setting, one workflow
// sleeping each duration in turn; lateness is TimerFired minus TimerStarted minus the duration.
//   npx tsx bench/timer-precision/run.ts [--rounds 8] [--json]
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { ensureDevServer } from '../../temporal/dev-server';
import { freePort } from '../../temporal/free-port';
import { projectRoot } from '../../temporal/paths';
import { SERVER_SETTINGS, TIMER_SHIFT_KEY } from '../../temporal/server-settings';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(
    "usage: npx tsx bench/timer-precision/run.ts [--rounds N] [--json]\n\nHow late short timers fire on a dev server with the default read-ahead and with conveyor's.",
  );
  process.exit(0);
}
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`timer-precision: --rounds must be a whole number above 0, not ${values.rounds}`);
  process.exit(2);
}
Runtime.install({ logger: new DefaultLogger('ERROR') });
const TIMER_SHIFT = String(SERVER_SETTINGS.find(({ key }) => key === TIMER_SHIFT_KEY)!.value);
const DURATIONS_MS = [1, 50, 200, 500, 800, 1500];

const millis = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(d?.seconds ?? 0) * 1000 + Math.round((d?.nanos ?? 0) / 1e6);

/** Lateness (ms) of every timer of one run, per duration. */
function lateness(events: temporal.api.history.v1.IHistoryEvent[]): Map<number, number[]> {
  const started = new Map<string, { at: number; ms: number }>();
  const late = new Map<number, number[]>();
  for (const event of events) {
    const at = millis(event.eventTime);
    const start = event.timerStartedEventAttributes;
    if (start) started.set(start.timerId!, { at, ms: millis(start.startToFireTimeout) });
    const fired = event.timerFiredEventAttributes;
    if (fired) {
      const timer = started.get(fired.timerId!)!;
      late.set(timer.ms, [...(late.get(timer.ms) ?? []), at - timer.at - timer.ms]);
    }
  }
  return late;
}

async function measure(shift: string): Promise<Map<number, number[]>> {
  const server = await ensureDevServer({
    address: `127.0.0.1:${await freePort()}`,
    headless: true,
    dbFile: null,
    searchAttributes: false,
    dynamicConfig: [`${TIMER_SHIFT_KEY}="${shift}"`],
    log: () => undefined,
  });
  const native = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  try {
    const taskQueue = 'timer-precision';
    const worker = await Worker.create({
      connection: native,
      namespace: server.namespace,
      taskQueue,
      workflowsPath: join(projectRoot, 'bench', 'timer-precision', 'workflow.ts'),
    });
    const client = new Client({ connection, namespace: server.namespace });
    const durations = Array.from({ length: rounds }, () => DURATIONS_MS).flat();
    return await worker.runUntil(async () => {
      const handle = await client.workflow.start('sleepInTurn', {
        taskQueue,
        workflowId: `timer-precision-${Date.now()}`,
        args: [durations],
      });
      await handle.result();
      return lateness((await handle.fetchHistory()).events ?? []);
    });
  } finally {
    await connection.close();
    await native.close();
    await server.stop();
  }
}

const settings = ['1s', TIMER_SHIFT];
const results = new Map<string, Map<number, number[]>>();
for (const shift of settings) {
  console.error(`timer-precision: ${TIMER_SHIFT_KEY}=${shift}, ${rounds} rounds of ${DURATIONS_MS.join(', ')} ms...`);
  results.set(shift, await measure(shift));
}
const summary = (late: number[]) => {
  const sorted = [...late].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1)! };
};
const rows = DURATIONS_MS.map((timerMs) => ({
  timerMs,
  late: Object.fromEntries(settings.map((shift) => [shift, summary(results.get(shift)!.get(timerMs) ?? [])])),
}));
if (values.json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(
    `| timer | late by, read-ahead 1 s (default): p50 / max | late by, read-ahead ${TIMER_SHIFT}: p50 / max |`,
  );
  console.log('| --- | --- | --- |');
  for (const row of rows) {
    const cell = (shift: string) => `${row.late[shift].p50} / ${row.late[shift].max} ms`;
    console.log(`| ${row.timerMs} ms | ${cell('1s')} | ${cell(TIMER_SHIFT)} |`);
  }
}
