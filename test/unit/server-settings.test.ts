import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { devServerSettings, SERVER_SETTINGS } from '../../temporal/server-settings';

const shift = 'history.timerProcessorMaxTimeShift="10ms"';
const eager = 'system.enableActivityEagerExecution=true';

describe('the dev servers conveyor starts get its settings', () => {
  const rows: { name: string; given: string[] | undefined; expected: string[] }[] = [
    { name: 'no settings: both of conveyor’s are added', given: undefined, expected: [shift, eager] },
    {
      name: 'other settings: kept, and conveyor’s added after them',
      given: ['limit.maxIDLength=255'],
      expected: ['limit.maxIDLength=255', shift, eager],
    },
    {
      name: 'the caller’s own timer read-ahead: kept, and only the other added',
      given: ['history.timerProcessorMaxTimeShift="1s"'],
      expected: ['history.timerProcessorMaxTimeShift="1s"', eager],
    },
  ];
  for (const row of rows) test(row.name, () => assert.deepEqual(devServerSettings(row.given), row.expected));

  test('each setting says why it is there', () => {
    for (const setting of SERVER_SETTINGS) assert.ok(setting.why.length > 40, setting.key);
  });
});
