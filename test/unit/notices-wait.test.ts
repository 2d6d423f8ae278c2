import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NOTICES_WAIT_MS, noticesWait } from '../../domain/notice';

const NOW = Date.parse('2026-12-07T12:00:00Z');

describe('notices wait while a promotion is on its way to Heroku’s answer', () => {
  const rows: [string, number[], boolean][] = [
    ['no promotion is under way: they go', [], false],
    ['a promotion decided or posted a moment ago: they wait for Heroku’s answer', [NOW - 200], true],
    ['the only promotion under way began longer ago than the wait: they go', [NOW - NOTICES_WAIT_MS], false],
    ['one of several promotions under way is young: they wait', [NOW - 60_000, NOW - 1_000], true],
  ];
  for (const [name, since, wait] of rows) test(name, () => assert.equal(noticesWait(since, NOW), wait));
});
