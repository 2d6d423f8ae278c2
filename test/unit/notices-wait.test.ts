import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NOTICES_WAIT_FOR_CONFIRMATION_MS, noticesWait } from '../../domain/notice';

const NOW = Date.parse('2026-12-07T12:00:00Z');

describe('notices wait for a promotion just decided to be confirmed', () => {
  const rows: [string, number[], boolean][] = [
    ['no decision waits for its confirmation: they go', [], false],
    ['a decision made a moment ago waits: they wait for its confirmation', [NOW - 200], true],
    ['the only decision waiting is older than the wait: they go', [NOW - NOTICES_WAIT_FOR_CONFIRMATION_MS], false],
    ['one of several decisions is young: they wait', [NOW - 60_000, NOW - 1_000], true],
  ];
  for (const [name, since, wait] of rows) test(name, () => assert.equal(noticesWait(since, NOW), wait));
});
