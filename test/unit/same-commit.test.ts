// The one rule for matching a commit written in full or abbreviated (rejections, approvals, manual requests).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sameCommit } from '../../domain/commits';

const full = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

describe('two commit references name the same commit', () => {
  const rows: { name: string; a: string; b: string; same: boolean }[] = [
    { name: 'the same full sha', a: full, b: full, same: true },
    { name: 'a full sha and its 7-digit abbreviation', a: full, b: full.slice(0, 7), same: true },
    { name: 'an abbreviation and the full sha (either order)', a: full.slice(0, 10), b: full, same: true },
    { name: 'upper-case hex digits', a: full.toUpperCase().slice(0, 8), b: full, same: true },
    { name: 'two different commits', a: full, b: 'b1b2c3d4e5f60718293a4b5c6d7e8f9012345678', same: false },
    { name: 'an abbreviation of another commit', a: full, b: 'a1b2c3e', same: false },
  ];
  for (const row of rows)
    test(`${row.same ? 'yes' : 'no'}: ${row.name}`, () => assert.equal(sameCommit(row.a, row.b), row.same));
});
