import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../domain/duration';

test('durations are read as people write them', () => {
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
});

test('text that is not a duration is refused', () => {
  for (const text of ['', '30', 'm30', '30 minutes', '1h 30m', '-5s'])
    assert.equal(parseDuration(text), undefined, text);
});

test('durations are shown back in the same words', () => {
  assert.equal(formatDuration(1_800_000), '30m');
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(61_000), '1m1s');
  assert.equal(formatDuration(250), '250ms');
});
