import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { preciseTimers, TIMER_SHIFT, TIMER_SHIFT_SETTING } from '../../temporal/timer-precision';

describe('the dev servers conveyor starts read timers 10 ms ahead', () => {
  const rows: { name: string; given: string[] | undefined; expected: string[] }[] = [
    {
      name: 'no settings: the shift is added',
      given: undefined,
      expected: [`${TIMER_SHIFT_SETTING}="${TIMER_SHIFT}"`],
    },
    {
      name: 'other settings: kept, and the shift added',
      given: ['limit.maxIDLength=255'],
      expected: ['limit.maxIDLength=255', `${TIMER_SHIFT_SETTING}="${TIMER_SHIFT}"`],
    },
    {
      name: "the caller's own shift: kept alone",
      given: [`${TIMER_SHIFT_SETTING}="1s"`],
      expected: [`${TIMER_SHIFT_SETTING}="1s"`],
    },
  ];
  for (const row of rows) test(row.name, () => assert.deepEqual(preciseTimers(row.given), row.expected));
});
