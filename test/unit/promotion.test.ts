import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTerminal, type PromotionRecord } from '../../domain/promotion';

test('a promotion is terminal once it no longer runs: in flight and verifying are not, every outcome is', () => {
  const outcomes: [PromotionRecord['outcome'], boolean][] = [
    ['in-flight', false],
    ['verifying', false],
    ['succeeded', true],
    ['failed', true],
    ['superseded', true],
    ['withdrawn', true],
    ['not-posted', true],
    ['rolled-back', true],
    ['verification-failed', true],
  ];
  for (const [outcome, terminal] of outcomes) assert.equal(isTerminal(outcome), terminal, outcome);
});
