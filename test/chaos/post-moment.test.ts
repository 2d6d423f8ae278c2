import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postMoment } from './post-moment';

// The chaos checker measures a soak up to the moment a promotion was posted: that moment is its
// POST's arrival at the sandbox, read from the arrivals of POSTs with its source and target.

const window = { lo: 10_091, hi: 10_300 };

test('a POST that lands between two polls was posted on arrival, not at the poll before it', () => {
  assert.equal(postMoment([10_140], window), 10_140);
});

test('a POST held by a latency fault was posted when it arrived, before the polls that missed it', () => {
  assert.equal(postMoment([8_900], window), 8_900);
});

test('a POST refused and posted again was posted at its last arrival', () => {
  assert.equal(postMoment([9_500, 10_140], window), 10_140);
});

test('a POST arriving after the promotion was seen is another one, not its own', () => {
  assert.equal(postMoment([10_140, 10_450], window), 10_140);
});

test('with no arrival on record, the earliest moment the promotion can have been created', () => {
  assert.equal(postMoment([], window), 10_091);
});
