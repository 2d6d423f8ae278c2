import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CommitCache } from '../../../domain/commit-cache';
import type { CommitRelation } from '../../../domain/commits';

describe('commit cache', () => {
  // One row per rule of what lasts: answers about two fixed commits, and a commit found on the branch.
  const rows: { name: string; base: string; answer: CommitRelation; kept: boolean }[] = [
    { name: 'two fixed commits, ahead', base: 'aaa1111', answer: 'ahead', kept: true },
    { name: 'two fixed commits, diverged', base: 'aaa1111', answer: 'diverged', kept: true },
    { name: 'two fixed commits, unknown to GitHub', base: 'aaa1111', answer: 'unknown', kept: false },
    { name: 'on the branch (behind it)', base: 'main', answer: 'behind', kept: true },
    { name: 'the branch head itself', base: 'main', answer: 'identical', kept: true },
    { name: 'not on the branch yet', base: 'main', answer: 'ahead', kept: false },
    { name: 'diverged from the branch', base: 'main', answer: 'diverged', kept: false },
  ];
  for (const row of rows)
    test(`${row.name}: ${row.kept ? 'kept' : 'asked again'}`, () => {
      const cache = new CommitCache();
      const question = { base: row.base, head: 'bbb2222' };
      cache.learn('main', [question], { [`${row.base}...bbb2222`]: row.answer });
      assert.equal(`${row.base}...bbb2222` in cache.answers, row.kept);
    });

  test('a question answered for good is not asked again', () => {
    const cache = new CommitCache({ 'main...bbb2222': 'behind' });
    const asked = cache.questions(
      { name: 'api', pipeline: 'api', stages: ['a', 'b'], repo: 'acme/api', branch: 'main', minAgeMs: 0, tickMs: 1 },
      [],
    );
    assert.deepEqual(asked, []);
  });

  test('the cache keeps its newest 500 answers', () => {
    const cache = new CommitCache();
    const questions = Array.from({ length: 510 }, (_, i) => ({ base: `a${i}`, head: 'bbb2222' }));
    cache.learn('main', questions, Object.fromEntries(questions.map((q) => [`${q.base}...bbb2222`, 'ahead' as const])));
    assert.equal(Object.keys(cache.answers).length, 500);
    assert.equal('a0...bbb2222' in cache.answers, false);
    assert.equal('a509...bbb2222' in cache.answers, true);
  });
});
