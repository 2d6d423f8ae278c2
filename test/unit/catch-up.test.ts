import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CATCH_UP_AFTER_MS, mustCatchUp } from '../../domain/catch-up';

describe('catching up on messages before a decision', () => {
  const rows: [string, { open: number; readMs: number }, boolean][] = [
    ['nothing may go: no catch-up, however slow the reads', { open: 0, readMs: 5_000 }, false],
    ['something may go after quick reads: decided at once', { open: 1, readMs: 200 }, false],
    [
      'something may go after reads of exactly the limit: decided at once',
      { open: 1, readMs: CATCH_UP_AFTER_MS },
      false,
    ],
    ['something may go after slow reads: caught up first', { open: 2, readMs: CATCH_UP_AFTER_MS + 1 }, true],
  ];
  for (const [name, pass, expected] of rows) test(name, () => assert.equal(mustCatchUp(pass), expected));
});
