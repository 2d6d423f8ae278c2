import { describe, test } from 'node:test';
import { DECIDE_AHEAD_MS } from '../../domain/ahead';
import assert from 'node:assert/strict';
import { PipelineState } from '../../workflows/pipeline-state';
import { observe, release, service, sha, T0 } from '../support/facts';

const onMainAndAhead = {
  [`main...${sha('bbb')}`]: 'behind' as const,
  [`${sha('aaa')}...${sha('bbb')}`]: 'ahead' as const,
};
const old = release('bbb', { version: 2, createdAt: new Date(T0 - 60 * 60_000).toISOString() });

function stateWith(...commits: Parameters<typeof observe>) {
  const state = new PipelineState(service);
  state.observed(observe(...commits));
  return state;
}

describe('pipeline state', () => {
  test('a candidate that passes every gate is returned to be promoted', () => {
    const state = stateWith(old, 'aaa', 'aaa', 'aaa');
    const plans = state.plan();
    const ready = state.decide(plans, onMainAndAhead, T0);
    assert.deepEqual(
      ready.map((go) => go.candidate.pair.to),
      ['api-st01'],
    );
  });

  test('a pause holds every candidate and shows who paused', () => {
    const state = stateWith(old, 'aaa', 'aaa', 'aaa');
    state.holds.pauseBy({ reason: 'incident drill', by: 'ana' }, T0);
    assert.deepEqual(state.decide(state.plan(), onMainAndAhead, T0), []);
    const status = state.status();
    assert.equal(status.paused?.by, 'ana');
    assert.equal(status.pairs[0].state, 'gated');
  });

  test('a pause with no input at all, as the Web UI sends it, still pauses', () => {
    const state = new PipelineState(service);
    state.holds.pauseBy(undefined, T0);
    assert.deepEqual(state.status().paused, {
      reason: 'no reason given',
      by: 'unknown',
      since: new Date(T0).toISOString(),
    });
  });

  test('resume lets promotions go again', () => {
    const state = stateWith(old, 'aaa', 'aaa', 'aaa');
    state.holds.pauseBy({ reason: 'x' }, T0);
    state.holds.resume();
    assert.equal(state.decide(state.plan(), onMainAndAhead, T0).length, 1);
  });

  test('the workflow sleeps until shortly before the age gate opens, not a whole tick', () => {
    const young = release('bbb', { version: 2, createdAt: new Date(T0).toISOString() });
    const state = new PipelineState({ ...service, minAgeMs: 10_000, tickMs: 60_000 });
    state.observed(observe(young, 'aaa', 'aaa', 'aaa'));
    state.decide(state.plan(), onMainAndAhead, T0 + 2_000);
    assert.equal(state.nextWakeAt(T0 + 2_000), T0 + 10_000 - DECIDE_AHEAD_MS);
  });

  test('a finished promotion is recorded in the history, newest first, at most 20', () => {
    const state = stateWith(old, 'aaa', 'aaa', 'aaa');
    for (let i = 0; i < 25; i++) {
      const [go] = state.decide(state.plan(), onMainAndAhead, T0);
      state.promotionStarted(go, T0 + i);
      assert.equal(state.status().inFlight.length, 1);
      state.book.finished('api-st01', { status: 'succeeded', promotionId: `p${i}`, targetVersion: 10 + i }, T0 + i);
    }
    const { history, inFlight } = state.status();
    assert.equal(inFlight.length, 0);
    assert.equal(history.length, 20);
    assert.equal(history[0].promotionId, 'p24');
  });

  test('a failed promotion holds that release out of that stage', () => {
    const state = stateWith(old, 'aaa', 'aaa', 'aaa');
    const [go] = state.decide(state.plan(), onMainAndAhead, T0);
    state.promotionStarted(go, T0);
    state.book.finished(
      'api-st01',
      { status: 'failed', promotionId: 'p1', targetVersion: 4, error: 'Release command failed' },
      T0,
    );
    const [pair] = state.plan();
    assert.equal(pair.kind, 'held');
    assert.match(pair.reason, /Release command failed/);
  });

  test('a permanent block slows the cadence and a resume lifts it at once', () => {
    const state = new PipelineState(service);
    state.blockedBy('Heroku answered 401 unauthorized', true, T0);
    assert.equal(state.nextWakeAt(T0), T0 + 5 * 60_000);
    state.holds.resume();
    assert.equal(state.nextWakeAt(T0), T0 + service.tickMs);
  });

  test('everything carried over continue-as-new comes back', () => {
    const state = stateWith(old, 'aaa', 'aaa', 'aaa');
    state.holds.pauseBy({ reason: 'freeze for launch', by: 'ops' }, T0);
    const again = new PipelineState(service, JSON.parse(JSON.stringify(state.carry())));
    assert.deepEqual(again.status().paused, state.status().paused);
    assert.deepEqual(again.currentStage(), state.currentStage());
  });

  test('webhooks seen reaching the pipeline keep the slow fallback poll after continue-as-new', () => {
    const state = new PipelineState(service);
    state.webhooks.seen(T0);
    const again = new PipelineState(service, JSON.parse(JSON.stringify(state.carry())));
    assert.equal(again.webhooks.on(T0 + 60_000), true);
    assert.equal(again.queriedStatus(T0 + 60_000).webhooks?.seenAt, new Date(T0).toISOString());
  });

  test('webhooks stop counting as reaching the pipeline once the trust window has passed', () => {
    const state = new PipelineState(service, undefined, { webhookTrustMs: 60_000 });
    state.webhooks.seen(T0);
    assert.equal(state.webhooks.on(T0 + 59_000), true);
    assert.equal(state.queriedStatus(T0 + 61_000).webhooks?.on, false);
  });
});

describe('apps held alone, across a change of configuration', () => {
  const held = { reason: 'verification of bbb0000 in api-va01 failed', by: 'conveyor' };
  test('an app the new configuration drops is held no more', () => {
    const state = new PipelineState(service);
    state.holds.holdApp('api-va01', held, T0);
    state.reconfigure({ ...service, stages: ['api-qa01', 'api-st01', 'api-eu01'] }, T0 + 1_000);
    assert.deepEqual(state.holds.held, {});
  });

  test('an app the new configuration keeps stays held', () => {
    const state = new PipelineState(service);
    state.holds.holdApp('api-va01', held, T0);
    state.reconfigure({ ...service, tickMs: 5_000 }, T0 + 1_000);
    assert.deepEqual(Object.keys(state.holds.held), ['api-va01']);
  });
});
