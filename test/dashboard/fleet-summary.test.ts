import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { currentDetails, fleetSummary } from '../../domain/fleet';
import { PipelineState } from '../../workflows/pipeline-state';
import { observe, release, service, sha, T0 } from '../support/facts';

const onMainAndAhead = {
  [`main...${sha('bbb')}`]: 'behind' as const,
  [`${sha('aaa')}...${sha('bbb')}`]: 'ahead' as const,
};
const iso = (ms: number) => new Date(ms).toISOString();
const old = release('bbb', { version: 2, createdAt: iso(T0 - 60 * 60_000) });
const young = release('bbb', { version: 2, createdAt: iso(T0 - 10 * 60_000) });

function decided(...commits: Parameters<typeof observe>) {
  const state = new PipelineState(service);
  state.observed(observe(...commits));
  const go = state.decide(state.plan(), onMainAndAhead, T0);
  return { state, go };
}

describe('fleet summary', () => {
  test('each stage shows its app, version, commit and since when it runs there', () => {
    const { state } = decided('aaa', 'aaa', 'aaa', 'aaa');
    const [first] = fleetSummary(state.status(), 'acme/api').stages;
    assert.deepEqual(first, {
      app: 'api-qa01',
      version: 1,
      commit: sha('aaa'),
      since: iso(T0),
      state: 'in-sync',
      next: 'api-st01',
    });
  });

  test('a young release soaks on its stage until the age gate opens, given as an absolute time', () => {
    const { state } = decided(young, 'aaa', 'aaa', 'aaa');
    const cells = fleetSummary(state.status()).stages;
    assert.equal(cells[0].state, 'soaking');
    assert.equal(cells[0].until, iso(T0 + 20 * 60_000));
    assert.deepEqual(
      cells.slice(1).map((c) => c.state),
      ['in-sync', 'in-sync', 'in-sync'],
    );
  });

  test('a paused service is marked at the row, and its waiting release is held by the allow gate', () => {
    const state = new PipelineState(service);
    state.observed(observe(old, 'aaa', 'aaa', 'aaa'));
    state.holds.pauseBy({ reason: 'db migration', by: 'ana' }, T0);
    state.decide(state.plan(), onMainAndAhead, T0);
    const fleet = fleetSummary(state.status());
    assert.deepEqual(fleet.paused, { by: 'ana', reason: 'db migration', since: iso(T0) });
    assert.equal(fleet.stages[0].state, 'held');
    assert.deepEqual(fleet.stages[0].gates, ['allow']);
  });

  test('a release the branch gate holds names that gate and its reason', () => {
    const state = new PipelineState(service);
    state.observed(observe(old, 'aaa', 'aaa', 'aaa'));
    state.decide(state.plan(), { ...onMainAndAhead, [`main...${sha('bbb')}`]: 'diverged' }, T0);
    const [cell] = fleetSummary(state.status()).stages;
    assert.equal(cell.state, 'held');
    assert.deepEqual(cell.gates, ['branch']);
    assert.match(cell.reason ?? '', new RegExp(sha('bbb').slice(0, 7)));
    assert.doesNotMatch(cell.reason ?? '', /^branch: /, 'one gate: the badge names it, the reason does not repeat it');
  });

  test('a promotion in flight shows on the target as promoting, with the release coming in, and on the source as leaving', () => {
    const { state, go } = decided(old, 'aaa', 'aaa', 'aaa');
    state.promotionStarted(go[0], T0 + 5);
    const cells = fleetSummary(state.status()).stages;
    assert.equal(cells[0].state, 'ready');
    assert.equal(cells[1].state, 'promoting');
    assert.deepEqual(cells[1].incoming, { version: 2, commit: sha('bbb'), since: iso(T0 + 5) });
  });

  test('a promotion that bakes shows the target as verifying', () => {
    const { state, go } = decided(old, 'aaa', 'aaa', 'aaa');
    state.promotionStarted(go[0], T0);
    state.promotionVerifying('api-st01', { status: 'succeeded', promotionId: 'p1', targetVersion: 7 });
    assert.equal(fleetSummary(state.status()).stages[1].state, 'verifying');
  });

  test('a failed promotion shows on the target stage with the error', () => {
    const { state, go } = decided(old, 'aaa', 'aaa', 'aaa');
    state.promotionStarted(go[0], T0);
    state.book.finished(
      'api-st01',
      { status: 'failed', promotionId: 'p1', targetVersion: 2, error: 'Release command failed' },
      T0 + 1,
    );
    state.observed(observe(old, 'aaa', 'aaa', 'aaa'));
    state.decide(state.plan(), onMainAndAhead, T0 + 2);
    const cells = fleetSummary(state.status()).stages;
    assert.equal(cells[1].state, 'failed');
    assert.match(cells[1].reason ?? '', /Release command failed/);
  });

  test('a stage rolled back after a failed verification says so, and the pipeline is paused', () => {
    const { state, go } = decided(old, 'aaa', 'aaa', 'aaa');
    state.promotionStarted(go[0], T0);
    state.promotionVerifying('api-st01', { status: 'succeeded', promotionId: 'p1', targetVersion: 2 });
    state.verificationFailed('api-st01', 'alerts: HighErrorRate fires', { version: 3 }, T0 + 1);
    state.observed(observe(old, release('aaa', { version: 3 }), 'aaa', 'aaa'));
    state.decide(state.plan(), onMainAndAhead, T0 + 2);
    const fleet = fleetSummary(state.status());
    assert.equal(fleet.stages[1].state, 'rolled-back');
    assert.match(fleet.stages[1].reason ?? '', /HighErrorRate/);
    assert.equal(fleet.paused?.by, 'conveyor');
    assert.equal(fleet.rejected, 1);
  });

  test('a rejected release is held at its stage by the rejection', () => {
    const state = new PipelineState(service);
    state.holds.reject({ commit: 'bbb0000', reason: 'breaks billing', by: 'ana', at: iso(T0) });
    state.observed(observe(old, 'aaa', 'aaa', 'aaa'));
    state.decide(state.plan(), onMainAndAhead, T0);
    const [cell] = fleetSummary(state.status()).stages;
    assert.equal(cell.state, 'held');
    assert.deepEqual(cell.gates, ['rejected']);
  });

  test('a freeze marks the row unless the service ignores freezes', () => {
    const frozen = new PipelineState(service);
    frozen.holds.frozen({ reason: 'Dreamforce', by: 'cto', since: iso(T0) });
    assert.equal(fleetSummary(frozen.status()).frozen, true);
    const hotfix = new PipelineState({ ...service, ignoreFreeze: true });
    hotfix.holds.frozen({ reason: 'Dreamforce', by: 'cto', since: iso(T0) });
    assert.equal(fleetSummary(hotfix.status()).frozen, false);
  });

  test('a blocked pipeline is marked at the row with the cause', () => {
    const state = new PipelineState(service);
    state.blockedBy('cannot observe pipeline api: Heroku answered 401', true, T0);
    assert.deepEqual(fleetSummary(state.status()).blocked, {
      reason: 'cannot observe pipeline api: Heroku answered 401',
      since: iso(T0),
    });
  });

  test('a long reason is cut short, so the memo stays small', () => {
    const state = new PipelineState(service);
    state.holds.pauseBy({ reason: 'x'.repeat(400), by: 'ana' }, T0);
    assert.ok(fleetSummary(state.status()).paused!.reason.length <= 160);
  });

  test('the summary of a twelve-stage service stays under 4 KB as JSON', () => {
    const stages = Array.from({ length: 12 }, (_, i) => `api-stage${String(i).padStart(2, '0')}`);
    const state = new PipelineState({ ...service, stages });
    state.observed({ ...observe(), stages: stages.map((app) => ({ app, appId: app, current: young, latest: young })) });
    state.decide(state.plan(), onMainAndAhead, T0);
    assert.ok(JSON.stringify(fleetSummary(state.status(), 'acme/api')).length < 4_096);
  });
});

describe('current details', () => {
  test('name every stage with its release and state, and the pause first', () => {
    const state = new PipelineState(service);
    state.observed(observe(young, 'aaa', 'aaa', 'aaa'));
    state.holds.pauseBy({ reason: 'db migration', by: 'ana' }, T0);
    state.decide(state.plan(), onMainAndAhead, T0);
    const details = currentDetails(state.status());
    const lines = details.split('\n');
    assert.equal(lines[0], '### api');
    assert.equal(lines[1], '> **Paused** by ana since 2026-11-20 10:00:00 UTC: db migration');
    assert.match(
      details,
      /- \*\*api-qa01\*\* v2 `bbb0000` — → api-st01: held by allow, age \(looked at again 2026-11-20 10:20:00 UTC\)/,
    );
    assert.match(details, /- \*\*api-va01\*\* v1 `aaa0000` — → api-eu01: in sync/);
    assert.match(details, /- \*\*api-eu01\*\* v1 `aaa0000` — up to date$/m);
  });

  test('a soaking release says when its age gate opens', () => {
    const { state } = decided(young, 'aaa', 'aaa', 'aaa');
    assert.match(
      currentDetails(state.status()),
      /\*\*api-qa01\*\* v2 `bbb0000` — → api-st01: soaking until 2026-11-20 10:20:00 UTC/,
    );
  });

  test('text from people cannot inject markup', () => {
    const state = new PipelineState(service);
    state.holds.pauseBy({ reason: '<img src=x> **bold**', by: 'ana' }, T0);
    assert.match(currentDetails(state.status()), /: \\<img src=x\\> \\\*\\\*bold\\\*\\\*/);
  });

  test('a pipeline not observed yet says so', () => {
    assert.match(currentDetails(new PipelineState(service).status()), /_not observed yet_\n/);
  });

  test('the configuration in force is named, with when an apply put it in force', () => {
    const state = new PipelineState(service);
    assert.match(
      currentDetails(state.status()),
      /_config [0-9a-f]{8} in force since the pipeline started \(its input\)_$/,
    );
    state.reconfigure({ ...service, minAgeMs: 60_000 }, T0);
    assert.match(
      currentDetails(state.status()),
      /_config [0-9a-f]{8} in force since 2026-11-20 10:00:00 UTC \(applied after the start: the input above is older\)_$/,
    );
  });

  test('the last stage says it is behind the stage before, never "in sync" with nothing after it', () => {
    const state = new PipelineState(service);
    state.observed(observe(old, old, old, 'aaa'));
    state.decide(state.plan(), onMainAndAhead, T0);
    const cells = fleetSummary(state.status()).stages;
    assert.deepEqual(cells[3].behind, { stage: 'api-va01', version: 2 });
    assert.equal(cells[3].next, undefined);
    assert.match(currentDetails(state.status()), /- \*\*api-eu01\*\* v1 `aaa0000` — behind api-va01 \(v2\)$/m);
  });

  test('a commit waiting for approval shows in the fleet row', () => {
    const withApproval = { ...service, checks: { 'api-st01': { approval: { approvers: [] } } } };
    const state = new PipelineState(withApproval);
    state.observed(observe(old, 'aaa', 'aaa', 'aaa'));
    state.decide(state.plan(), onMainAndAhead, T0);
    const fleet = fleetSummary(state.status());
    assert.deepEqual(fleet.waitingForApproval, [{ stage: 'api-st01', commit: sha('bbb'), since: iso(T0) }]);
    assert.match(
      currentDetails(state.status()),
      /> \*\*Waiting for approval\*\* into api-st01 since 2026-11-20 10:00:00 UTC: `bbb0000`/,
    );
  });
});
