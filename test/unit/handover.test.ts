import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HANDOVER_SLACK_EVENTS, handoverStep, type HandoverInput, type HandoverStep } from '../../domain/handover';

const rows: [string, HandoverInput, HandoverStep][] = [
  [
    'a history with room reconciles, promotions in flight or not',
    { full: false, length: 120, fullAt: undefined, inFlight: 2 },
    'reconcile',
  ],
  [
    'a full history with nothing in flight hands over at once',
    { full: true, length: 400, fullAt: 400, inFlight: 0 },
    'hand-over',
  ],
  [
    'a full history with a promotion in flight goes on reconciling (the other pairs keep flowing)',
    { full: true, length: 900, fullAt: 400, inFlight: 1 },
    'reconcile',
  ],
  [
    'the first moment the last promotion has ended, the run hands over, however far past full',
    { full: true, length: 400 + HANDOVER_SLACK_EVENTS + 50, fullAt: 400, inFlight: 0 },
    'hand-over',
  ],
  [
    'once the slack is spent with a promotion still in flight, the run starts nothing more and drains',
    { full: true, length: 400 + HANDOVER_SLACK_EVENTS, fullAt: 400, inFlight: 1 },
    'drain',
  ],
  [
    'a history just seen full (no length recorded yet) has its slack ahead of it',
    { full: true, length: 4_096, fullAt: undefined, inFlight: 3 },
    'reconcile',
  ],
];

describe('when a pipeline run hands over (continue-as-new)', () => {
  for (const [name, input, expected] of rows)
    test(name, () => {
      assert.equal(handoverStep(input), expected);
    });

  test('the slack keeps a run Temporal asked to hand over (about 4,000 events) below its 10,240-event warning', () => {
    assert.ok(4_096 + HANDOVER_SLACK_EVENTS < 10_240);
  });
});
