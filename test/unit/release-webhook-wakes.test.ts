import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { releaseWebhookWakes, type PromotionRecord } from '../../domain/promotion';

const record = (to: string, outcome: PromotionRecord['outcome']): PromotionRecord => ({
  from: 'api-qa01',
  to,
  commit: 'aaa',
  sourceVersion: 4,
  artifactId: 'slug-4',
  startedAt: '2026-12-07T12:00:00.000Z',
  outcome,
});

describe('a release webhook wakes its pipeline unless a running promotion into that app will', () => {
  const rows: [string, string | undefined, PromotionRecord[], boolean][] = [
    ['no promotion in flight: it wakes the pipeline', 'api-st01', [], true],
    ['a promotion into another app: it wakes the pipeline', 'api-st01', [record('api-va01', 'in-flight')], true],
    [
      'the app is a running promotion’s target: its activity’s end wakes it',
      'api-st01',
      [record('api-st01', 'in-flight')],
      false,
    ],
    ['the app is baking its promotion: it wakes the pipeline', 'api-st01', [record('api-st01', 'verifying')], true],
    ['a delivery that names no app: it wakes the pipeline', undefined, [record('api-st01', 'in-flight')], true],
  ];
  for (const [name, app, inFlight, wakes] of rows)
    test(name, () => assert.equal(releaseWebhookWakes(app, inFlight), wakes));
});
