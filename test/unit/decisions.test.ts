import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineState } from '../../workflows/pipeline-state';
import { requestedSource } from '../../domain/override';
import type { Service } from '../../domain/service';
import type { ManualPromotion } from '../../domain/promotion';
import { observe, release, service, sha, T0 } from '../support/facts';

const onMainAndAhead = {
  [`main...${sha('bbb')}`]: 'behind' as const,
  [`${sha('aaa')}...${sha('bbb')}`]: 'ahead' as const,
};
const soaked = release('bbb', { version: 2, id: 'r2', createdAt: new Date(T0 - 60 * 60_000).toISOString() });

/** A pipeline with one promotion decided into api-st01 (not posted yet). */
function decided(config: Service = service) {
  const state = new PipelineState(config);
  state.observed(observe(soaked, 'aaa', 'aaa', 'aaa'));
  state.commits.learn(
    state.service.branch,
    Object.keys(onMainAndAhead).map((key) => ({ base: key.split('...')[0], head: key.split('...')[1] })),
    onMainAndAhead,
  );
  const [go] = state.decide(state.plan(), onMainAndAhead, T0);
  assert.ok(go, 'a promotion is decided');
  const record = state.promotionStarted(go, T0, 'd1');
  return { state, record };
}
/** An operator's request into api-st01, tied to what the state's source runs now unless told otherwise. */
const ask = (state: PipelineState, overrides: Partial<ManualPromotion> = {}) =>
  state.mailbox.request({
    to: 'api-st01',
    reason: 'go',
    by: 'ana',
    skipGates: true,
    at: new Date(T0).toISOString(),
    expect: requestedSource(service, state.observation, 'api-st01'),
    ...overrides,
  });
const confirm = (state: PipelineState, now = T0 + 1_000) => state.confirmPost({ to: 'api-st01', id: 'd1', now });

describe('a decided promotion is confirmed right before its POST', () => {
  test('it stands when nothing changed, and is then posted (past the point of no return)', () => {
    const { state } = decided();
    assert.deepEqual(confirm(state), { stands: true });
    assert.equal(state.status().inFlight[0].phase, 'posted');
  });

  test('a second confirmation tells when the first was posted, so a retry whose heartbeat was lost waits for that POST', () => {
    const { state } = decided();
    confirm(state, T0 + 1_000);
    assert.deepEqual(confirm(state, T0 + 3_000), { stands: true, postedAt: new Date(T0 + 1_000).toISOString() });
  });

  test('a posted promotion whose reason has gone since is withdrawn, still saying when it was posted', () => {
    const { state } = decided();
    confirm(state, T0 + 1_000);
    state.holds.pauseBy({ reason: 'incident', by: 'ana' }, T0 + 2_000);
    const answer = confirm(state, T0 + 3_000);
    assert.equal(answer.stands, false);
    assert.equal(answer.postedAt, new Date(T0 + 1_000).toISOString());
  });

  const withdrawals: { name: string; change: (state: PipelineState) => void; reason: RegExp; now?: number }[] = [
    {
      name: 'a pause that began after the decision',
      change: (s) => s.holds.pauseBy({ reason: 'incident', by: 'ana' }, T0 + 500),
      reason: /paused by ana/,
    },
    {
      name: 'a freeze that began after the decision',
      change: (s) => s.holds.frozen({ reason: 'launch', by: 'ops', since: new Date(T0 + 500).toISOString() }),
      reason: /frozen by ops/,
    },
    {
      name: 'a hold of its target app alone',
      change: (s) => s.holds.holdApp('api-st01', { reason: 'verification failed', by: 'conveyor' }, T0 + 500),
      reason: /api-st01 held by conveyor/,
    },
    {
      name: 'a rejection of its commit',
      change: (s) =>
        s.holds.reject({ commit: sha('bbb').slice(0, 7), reason: 'bad', by: 'ana', at: new Date(T0).toISOString() }),
      reason: /rejected by ana/,
    },
    {
      name: 'a newer configuration',
      change: (s) => s.reconfigure({ ...service, minAgeMs: 60_000 }, T0),
      reason: /configuration changed/,
    },
    { name: 'a wait longer than a decision stands', change: () => {}, reason: /deciding again/, now: T0 + 3 * 60_000 },
    {
      name: 'an alert that fires on the newest facts',
      change: (s) =>
        s.learnHealth({
          'api-st01': { alerts: [{ source: 'alertmanager', firing: [{ id: 'a1', name: 'HighErrorRate' }] }] },
        }),
      reason: /alerts:/,
    },
  ];
  for (const row of withdrawals) {
    test(`it is withdrawn after ${row.name}`, () => {
      const config: Service = row.name.includes('alert')
        ? { ...service, checks: { '*': { alerts: { alertmanager: { url: 'http://127.0.0.1:1', matchers: {} } } } } }
        : service;
      const { state } = decided(config);
      row.change(state);
      const answer = confirm(state, row.now);
      assert.equal(answer.stands, false);
      assert.match(answer.reason ?? '', row.reason);
    });
  }

  test('a window that closed since the decision withdraws it', () => {
    const windowed: Service = {
      ...service,
      windows: { windows: [{ days: ['Fri'], start: '10:00', end: '10:01', timeZone: 'UTC' }], blackouts: [] } as never,
    };
    const state = new PipelineState(windowed);
    state.observed(observe(soaked, 'aaa', 'aaa', 'aaa'));
    const [go] = state.decide(state.plan(), onMainAndAhead, T0 + 30_000);
    assert.ok(go, 'decided inside the window (Friday 10:00-10:01 UTC)');
    state.promotionStarted(go, T0 + 30_000, 'd1');
    const answer = confirm(state, T0 + 90_000);
    assert.equal(answer.stands, false);
    assert.match(answer.reason ?? '', /window/);
  });

  test('a promotion withdrawn is recorded as such and its release is not held against the stage', () => {
    const { state } = decided();
    state.holds.pauseBy({ reason: 'x', by: 'ana' }, T0 + 500);
    state.book.finished(
      'api-st01',
      { status: 'withdrawn', promotionId: null, targetVersion: null, error: 'paused by ana' },
      T0 + 1_000,
    );
    state.holds.resume('ana');
    assert.equal(state.status().history[0].outcome, 'withdrawn');
    assert.equal(state.plan()[0].kind, 'candidate');
  });

  test("an operator's promotion over a pause stays overruled, but a newer hold withdraws it", () => {
    const state = new PipelineState(service);
    state.observed(observe(soaked, 'aaa', 'aaa', 'aaa'));
    state.holds.pauseBy({ reason: 'maintenance', by: 'ops' }, T0 - 1_000);
    ask(state, { reason: 'hotfix', skipGates: false });
    const [go] = state.decide(state.plan(), onMainAndAhead, T0);
    assert.deepEqual(go.manual?.skippedGates, ['allow']);
    state.promotionStarted(go, T0, 'd1');
    assert.equal(confirm(state).stands, true, 'the pause it overruled does not withdraw it');
    const other = new PipelineState(service);
    other.observed(observe(soaked, 'aaa', 'aaa', 'aaa'));
    ask(other, { reason: 'hotfix', skipGates: false });
    other.promotionStarted(other.decide(other.plan(), onMainAndAhead, T0)[0], T0, 'd1');
    other.holds.frozen({ reason: 'launch', by: 'ops', since: new Date(T0 + 500).toISOString() });
    assert.equal(confirm(other).stands, false, 'a freeze that began after the request withdraws it');
  });

  test('an approval is spent by the promotion once posted, never by one withdrawn', () => {
    const gated: Service = { ...service, checks: { 'api-st01': { approval: { approvers: [] } } } };
    const state = new PipelineState(gated);
    state.observed(observe(soaked, 'aaa', 'aaa', 'aaa'));
    state.decide(state.plan(), onMainAndAhead, T0);
    state.approvals.approve({ stage: 'api-st01', commit: sha('bbb'), by: 'ana', at: new Date(T0).toISOString() });
    const [go] = state.decide(state.plan(), onMainAndAhead, T0);
    state.promotionStarted(go, T0, 'd1');
    state.holds.pauseBy({ reason: 'x', by: 'ops' }, T0 + 500);
    assert.equal(confirm(state).stands, false);
    state.book.finished('api-st01', { status: 'withdrawn', promotionId: null, targetVersion: null }, T0 + 1_000);
    assert.equal(state.status().approvals.length, 1, 'the approval is still there');
    state.holds.resume();
    const [again] = state.decide(state.plan(), onMainAndAhead, T0 + 2_000);
    state.promotionStarted(again, T0 + 2_000, 'd1');
    assert.equal(state.confirmPost({ to: 'api-st01', id: 'd1', now: T0 + 2_500 }).stands, true);
    assert.equal(state.status().approvals.length, 0, 'spent by the posted promotion');
  });
});

describe('a promotion Heroku refused (4xx to its POST)', () => {
  test('is recorded as not posted, never as a failed release, and its pair backs off instead of posting again at once', () => {
    const { state } = decided();
    const refused = {
      status: 'refused' as const,
      promotionId: null,
      targetVersion: null,
      error: 'Heroku answered 403',
    };
    state.book.finished('api-st01', refused, T0 + 1_000, 60_000);
    const { history } = state.status();
    assert.deepEqual([history[0].outcome, history[0].error], ['not-posted', 'Heroku answered 403']);
    assert.deepEqual(state.book.failed, {});
    const [held] = state.plan(T0 + 2_000);
    assert.deepEqual([held.kind, /Heroku refused promoting v2 into api-st01/.test(held.reason)], ['held', true]);
    assert.equal(state.plan(T0 + 1_000 + 2 * 60_000)[0].kind, 'candidate', 'tried again after the backoff');
  });

  test('refused because the source expired: that release is never chosen again, and the pair holds with what to do', () => {
    const { state } = decided();
    const expired = {
      status: 'refused' as const,
      promotionId: null,
      targetVersion: null,
      error: 'v2 expired',
      expired: true,
    };
    state.book.finished('api-st01', expired, T0 + 1_000);
    const [held] = state.plan(T0 + 2_000);
    assert.deepEqual([held.kind, held.reason], ['held', 'v2 expired on api-qa01: merge again or promote by hand']);
    assert.deepEqual(state.carry().expired, ['r2']);
  });
});

describe("a failure that never reached Heroku's promotion", () => {
  test('does not hold the release out of the stage', () => {
    const { state } = decided();
    state.book.erred('api-st01', 'Heroku answered 401 unauthorized to GET /apps/api-st01/releases', false, T0 + 1_000);
    assert.equal(state.status().history[0].outcome, 'not-posted');
    assert.equal(state.plan()[0].kind, 'candidate');
  });

  test('a release that really failed is held until an operator retries it (audited)', () => {
    const { state } = decided();
    state.book.finished(
      'api-st01',
      { status: 'failed', promotionId: 'p', targetVersion: 3, error: 'Release command failed' },
      T0 + 1_000,
    );
    assert.equal(state.plan()[0].kind, 'held');
    state.drainNotices(T0);
    assert.match(
      state.book.retryFailed('api-st01', 'ana', 'migration fixed', state.observation),
      /may be promoted again/,
    );
    assert.equal(state.plan()[0].kind, 'candidate');
    assert.deepEqual(
      state.drainNotices(T0).map((n) => n.text),
      ['api: retry of the release that failed in api-st01 allowed by ana: migration fixed'],
    );
  });

  test('a retry where nothing failed is refused', () => {
    assert.equal(new PipelineState(service).book.retryable('api-st01', null), null);
  });
});

describe('a manual promotion is tied to what it was asked about', () => {
  test('it is refused when the source runs another release than the one the request saw', () => {
    const state = new PipelineState(service);
    state.observed(observe(soaked, 'aaa', 'aaa', 'aaa'));
    const seen = requestedSource(service, state.observation, 'api-st01');
    state.observed(
      observe(
        release('ccc', { version: 3, id: 'r3', createdAt: new Date(T0 - 60 * 60_000).toISOString() }),
        'aaa',
        'aaa',
        'aaa',
      ),
    );
    ask(state, { expect: seen });
    assert.deepEqual(state.decide(state.plan(), {}, T0), []);
    assert.match(
      state.mailbox.take('api-st01')?.message ?? '',
      /runs v3 \(ccc0000\) now, not v2 \(bbb0000\) that the request saw; nothing was promoted/,
    );
  });

  test('a request naming a commit the source does not run is refused', () => {
    const state = new PipelineState(service);
    state.observed(observe(soaked, 'aaa', 'aaa', 'aaa'));
    ask(state, { commit: 'ddddddd' });
    assert.deepEqual(state.decide(state.plan(), {}, T0), []);
    assert.match(state.mailbox.take('api-st01')?.message ?? '', /not ddddddd that was asked for/);
  });

  test('a request that could not be decided is answered and never fires later', () => {
    const state = new PipelineState(service);
    state.observed(observe(soaked, 'aaa', 'aaa', 'aaa'));
    ask(state);
    state.blockedBy('cannot observe pipeline api: Heroku answered 503', false, T0);
    assert.match(state.mailbox.take('api-st01')?.message ?? '', /nothing will happen: cannot observe/);
    assert.deepEqual(
      state.decide(state.plan(), onMainAndAhead, T0).map((go) => go.manual),
      [undefined],
      'a later pass promotes only by the gates, not by the old request',
    );
  });
});
