import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DECIDE_AHEAD_MS } from '../../domain/ahead';
import { gateWakeAt } from '../../domain/wake';

describe('when the pipeline wakes for a gate that opens on its own', () => {
  const now = 1_000_000;
  const rows: [string, number, number][] = [
    [
      'a gate opening further ahead than the margin: the margin before it, to decide ahead',
      now + 30_000,
      now + 30_000 - DECIDE_AHEAD_MS,
    ],
    ['a gate opening within the margin: the moment itself', now + DECIDE_AHEAD_MS, now + DECIDE_AHEAD_MS],
    ['a gate that opened already: now, a pass at once', now - 500, now],
  ];
  for (const [name, opensAt, expected] of rows) test(name, () => assert.equal(gateWakeAt(now, opensAt), expected));
});
