import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineState } from '../../workflows/pipeline-state';
import { observe, release, service, sha, T0 } from '../support/facts';

const kinds = (state: PipelineState) => state.drainNotices(T0).map((n) => n.kind);
const onMainAndAhead = {
  [`main...${sha('bbb')}`]: 'behind' as const,
  [`${sha('aaa')}...${sha('bbb')}`]: 'ahead' as const,
};

// The workflow compares the status after every message and every pass (noticeChanges, drainNotices).
const told = (state: PipelineState, ...steps: ((s: PipelineState) => void)[]) =>
  steps.flatMap((step) => {
    step(state);
    state.noticeChanges();
    return state.drainNotices(T0);
  });

test('a pause is told once, however often it is repeated, and so is the resume', () => {
  const notices = told(
    new PipelineState(service),
    (s) => s.holds.pauseBy({ reason: 'x', by: 'ana' }, T0),
    (s) => s.holds.pauseBy({ reason: 'y', by: 'ana' }, T0),
    (s) => s.holds.resume('bob'),
    (s) => s.holds.resume('bob'),
  );
  assert.deepEqual(
    notices.map((n) => n.text),
    ['api: paused by ana: x', 'api: resumed by bob'],
  );
});

test('an app held alone is told once, with its app, and so is its resume', () => {
  const notices = told(
    new PipelineState(service),
    (s) => s.holds.holdApp('api-va01', { reason: 'verification failed', by: 'conveyor' }, T0),
    (s) => s.holds.holdApp('api-va01', { reason: 'verification failed', by: 'conveyor' }, T0),
    (s) => s.holds.resume('bob', 'api-va01'),
  );
  assert.deepEqual(
    notices.map((n) => [n.kind, n.stage, n.text]),
    [
      ['paused', 'api-va01', 'api: api-va01 held by conveyor: verification failed'],
      ['resumed', 'api-va01', 'api: api-va01 resumed by bob'],
    ],
  );
});

test('a gate that keeps holding is told once, not at every pass', () => {
  const state = new PipelineState(service);
  state.observed(observe(release('bbb', { createdAt: new Date(T0).toISOString() }), 'aaa', 'aaa', 'aaa'));
  for (let pass = 0; pass < 5; pass++) state.decide(state.plan(), onMainAndAhead, T0 + pass * 1_000);
  const notices = state.drainNotices(T0);
  assert.deepEqual(
    notices.map((n) => n.kind),
    ['held'],
  );
  assert.match(notices[0].text, /^api: api-qa01 -> api-st01 held by age/);
});

test('a blocked pipeline is told once per cause, and when it recovers', () => {
  const notices = told(
    new PipelineState(service),
    (s) => s.blockedBy('Heroku answered 401', true, T0),
    (s) => s.blockedBy('Heroku answered 401', true, T0 + 1),
    (s) => {
      s.observed(observe('aaa', 'aaa', 'aaa', 'aaa'));
      s.holds.unblocked();
    },
  );
  assert.deepEqual(
    notices.map((n) => n.text),
    ['api: blocked: Heroku answered 401', 'api: no longer blocked (was: Heroku answered 401)'],
  );
});

test('a permanent block re-checked while observation works is told once and keeps its "since"', () => {
  const state = new PipelineState(service);
  for (let check = 0; check < 3; check++) {
    // Every 5 minutes: the observation succeeds, then the gates fail again for the same cause.
    state.observed(observe('aaa', 'aaa', 'aaa', 'aaa'));
    state.blockedBy('cannot check the gates of api: GitHub answered 404', true, T0 + check * 300_000);
  }
  assert.deepEqual(kinds(state), ['blocked']);
  assert.equal(state.status().blocked?.since, new Date(T0).toISOString());
});

test('notices raised while the run hands over are carried to the next run', () => {
  const state = new PipelineState(service);
  state.holds.pauseBy({ reason: 'handover', by: 'ana' }, T0);
  const next = new PipelineState(service, JSON.parse(JSON.stringify(state.carry())));
  assert.deepEqual(
    next.drainNotices(T0).map((n) => n.kind),
    ['paused'],
  );
});

test('a promotion is told when it starts and when it ends', () => {
  const state = new PipelineState(service);
  state.observed(observe(release('bbb', { createdAt: new Date(T0 - 3_600_000).toISOString() }), 'aaa', 'aaa', 'aaa'));
  const [go] = state.decide(state.plan(), onMainAndAhead, T0);
  state.promotionStarted(go, T0);
  state.book.finished(
    'api-st01',
    { status: 'failed', promotionId: 'p', targetVersion: 2, error: 'Release command failed' },
    T0,
  );
  const notices = state.drainNotices(T0);
  assert.deepEqual(
    notices.map((n) => n.kind),
    ['promotion-started', 'promotion-failed'],
  );
  assert.equal(notices[1].text, 'api: promotion bbb0000 api-qa01 -> api-st01 failed: Release command failed');
});

test('a gate holding a pair before continue-as-new is not told again by the next run', () => {
  const state = new PipelineState(service);
  state.observed(observe(release('bbb', { createdAt: new Date(T0).toISOString() }), 'aaa', 'aaa', 'aaa'));
  state.decide(state.plan(), onMainAndAhead, T0);
  assert.deepEqual(kinds(state), ['held']);
  const next = new PipelineState(service, JSON.parse(JSON.stringify(state.carry())));
  next.decide(next.plan(), onMainAndAhead, T0 + 1_000);
  assert.deepEqual(kinds(next), []);
});

test('a verification that failed is told, with its rollback and the pause that follows', () => {
  const state = new PipelineState(service);
  state.observed(observe(release('bbb', { createdAt: new Date(T0 - 3_600_000).toISOString() }), 'aaa', 'aaa', 'aaa'));
  const [go] = state.decide(state.plan(), onMainAndAhead, T0);
  state.promotionStarted(go, T0);
  state.drainNotices(T0);
  state.promotionVerifying('api-st01', { status: 'succeeded', promotionId: 'p', targetVersion: 2 });
  state.verificationFailed('api-st01', 'alert HighErrorRate fired', { version: 3 }, T0 + 60_000);
  assert.deepEqual(kinds(state), ['verification-failed', 'rollback', 'paused']);
});

test('a status that cannot be computed whole tells nothing and throws nothing (a handler never fails its task)', () => {
  const broken = {
    observation: { pipelineId: 'p', observedAt: null, stages: null },
  } as unknown as ConstructorParameters<typeof PipelineState>[1];
  const state = new PipelineState(service, broken);
  assert.doesNotThrow(() => state.noticeChanges());
  assert.deepEqual(state.drainNotices(T0), []);
});
