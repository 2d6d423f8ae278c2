import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LastPass } from '../../../workflows/memory/last-pass';
import type { PairStatus } from '../../../domain/status';
import { T0 } from '../../support/facts';
import { DECIDE_AHEAD_MS } from '../../../domain/ahead';

const iso = (ms: number) => new Date(ms).toISOString();
const gated = (to: string, recheckAt: number): PairStatus => ({
  from: 'api-qa01',
  to,
  state: 'gated',
  reason: 'soaking',
  verdicts: [{ gate: 'age', ok: false, reason: 'soaking', recheckAt: iso(recheckAt) }],
  recheckAt: iso(recheckAt),
});

describe('last pass', () => {
  test('the loop wakes shortly before a gate opens before the tick, to decide ahead of it', () => {
    const last = new LastPass();
    last.pairs = [gated('api-st01', T0 + 10_000)];
    assert.equal(last.nextWakeAt(T0, 60_000, false), T0 + 10_000 - DECIDE_AHEAD_MS);
    assert.equal(last.wakeReason(null), 'age gate opens for api-qa01 -> api-st01 (deciding 2s ahead)');
  });

  test('a gate opening within the margin wakes the loop at the moment itself', () => {
    const last = new LastPass();
    last.pairs = [gated('api-st01', T0 + 1_500)];
    assert.equal(last.nextWakeAt(T0, 60_000, false), T0 + 1_500);
    assert.equal(last.wakeReason(null), 'age gate opens for api-qa01 -> api-st01');
  });

  test('a tick that comes within the margin before a gate opens gives way to the earlier wake', () => {
    const last = new LastPass();
    last.pairs = [gated('api-st01', T0 + 5_000)];
    assert.equal(last.nextWakeAt(T0, 4_000, false), T0 + 5_000 - DECIDE_AHEAD_MS);
  });

  test('a blocked pipeline waits its whole recheck, whatever gate opens', () => {
    const last = new LastPass();
    last.pairs = [gated('api-st01', T0 + 10_000)];
    assert.equal(last.nextWakeAt(T0, 300_000, true), T0 + 300_000);
  });

  test('health facts are merged per fact, so a fresh incident answer keeps the URL answers', () => {
    const last = new LastPass();
    last.learnHealth({ 'api-st01': { urls: [], incident: [] } });
    last.learnHealth({ 'api-st01': { incident: [] } });
    assert.deepEqual(Object.keys(last.health['api-st01']).sort(), ['incident', 'urls']);
  });

  test('a pair shows its promotion until the next decision', () => {
    const last = new LastPass();
    last.pairs = [gated('api-st01', T0)];
    last.promoting('api-st01', 'promoting v7');
    assert.deepEqual(
      last.pairs.map((p) => [p.state, p.reason]),
      [['promoting', 'promoting v7']],
    );
  });
});
