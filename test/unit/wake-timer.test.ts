import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { REARM_BEFORE_MS, wakeTimer, type WakeTimer } from '../../domain/wake';

describe('the timer towards the next look', () => {
  const now = 1_000_000;
  const rows: [string, { wakeAt: number; gateOpens: boolean }, WakeTimer][] = [
    [
      'a gate opening far ahead: wakes early, to set the timer again',
      { wakeAt: now + 30_000, gateOpens: true },
      { ms: 30_000 - REARM_BEFORE_MS, rearm: true },
    ],
    [
      'a gate opening within twice the margin: the timer runs to the opening',
      { wakeAt: now + 2 * REARM_BEFORE_MS, gateOpens: true },
      { ms: 2 * REARM_BEFORE_MS, rearm: false },
    ],
    [
      'the tick, however far: the timer runs to it',
      { wakeAt: now + 600_000, gateOpens: false },
      { ms: 600_000, rearm: false },
    ],
    [
      'a gate that opened already: a timer of 1 ms, a pass at once',
      { wakeAt: now - 500, gateOpens: true },
      { ms: 1, rearm: false },
    ],
  ];
  for (const [name, { wakeAt, gateOpens }, expected] of rows)
    test(name, () => assert.deepEqual(wakeTimer(now, wakeAt, gateOpens), expected));
});
