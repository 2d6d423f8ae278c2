import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { overrule, readCommit, readManualPromotion, readManualPromotions } from '../../domain/override';
import { PipelineState } from '../../workflows/pipeline-state';
import { observe, release, service, sha, T0 } from '../support/facts';

const onMainAndAhead = {
  [`main...${sha('bbb')}`]: 'behind' as const,
  [`${sha('aaa')}...${sha('bbb')}`]: 'ahead' as const,
};
const young = release('bbb', { version: 2, createdAt: new Date(T0).toISOString() });

describe('manual promotion requests', () => {
  test('an unknown stage is refused, listing the stages', () => {
    assert.equal(
      readManualPromotion({ to: 'api-xx01', reason: 'hotfix' }, service, T0),
      'unknown stage "api-xx01"; api has api-qa01, api-st01, api-va01, api-eu01',
    );
  });

  test('the first stage is refused: nothing is upstream of it', () => {
    assert.match(readManualPromotion({ to: 'api-qa01', reason: 'x' }, service, T0) as string, /first stage/);
  });

  test('an empty reason is refused', () => {
    assert.equal(readManualPromotion({ to: 'api-st01', reason: '  ' }, service, T0), 'a reason is required');
  });

  test('a good request is read with who and when', () => {
    assert.deepEqual(readManualPromotion({ to: 'api-st01', reason: 'customer fix', by: 'ana' }, service, T0), {
      to: 'api-st01',
      reason: 'customer fix',
      by: 'ana',
      skipGates: false,
      at: new Date(T0).toISOString(),
    });
  });

  test('a commit must be a sha', () => {
    assert.deepEqual(readCommit({ commit: 'main' }), { problem: 'commit "main" is not a sha (7 to 40 hex digits)' });
    assert.equal(readCommit({ commit: 'ABCDEF1' }), 'abcdef1');
  });
});

describe('manual promotion requests naming several apps', () => {
  const at = new Date(T0).toISOString();
  const read = (to: unknown) => readManualPromotions({ to, reason: 'hotfix', by: 'ana' }, service, T0);
  const rows: [string, unknown, string[] | string][] = [
    ['one app as text: one request', 'api-st01', ['api-st01']],
    ['two apps as a list: one request each, in the order asked', ['api-va01', 'api-st01'], ['api-va01', 'api-st01']],
    ['an empty list: refused', [], 'a target stage ("to") is required: the list is empty'],
    ['a list holding no text: refused', ['api-st01', 7], '"to" names stages: a stage name, or a list of stage names'],
    ['an app named twice: refused, naming it', ['api-st01', ' api-st01'], 'api-st01 is named twice in "to"'],
    [
      'an unknown app in the list: refused, naming it',
      ['api-st01', 'api-xx01'],
      'unknown stage "api-xx01"; api has api-qa01, api-st01, api-va01, api-eu01',
    ],
  ];
  for (const [name, to, expected] of rows)
    test(name, () => {
      const got = read(to);
      if (typeof expected === 'string') assert.equal(got, expected);
      else
        assert.deepEqual(
          got,
          expected.map((stage) => ({ to: stage, reason: 'hotfix', by: 'ana', skipGates: false, at })),
        );
    });
});

describe('overruling gates', () => {
  const verdicts = [
    { gate: 'allow', ok: false, reason: 'paused' },
    { gate: 'age', ok: false, reason: 'young' },
    { gate: 'branch', ok: false, reason: 'not on main' },
  ];

  test('a manual promotion overrules the waiting gates but not the safety gates', () => {
    const ruling = overrule(verdicts, { skipGates: false });
    assert.deepEqual(
      [ruling.ok, ruling.skipped, ruling.holding.map((v) => v.gate)],
      [false, ['allow', 'age'], ['branch']],
    );
  });

  test('--skip-gates overrules every gate and names them', () => {
    assert.deepEqual(overrule(verdicts, { skipGates: true }), {
      ok: true,
      skipped: ['allow', 'age', 'branch'],
      holding: [],
    });
  });
});

describe('pipeline state: operators', () => {
  test('a manual promotion of a young release goes, recording who, why and what was skipped', () => {
    const state = new PipelineState(service);
    state.observed(observe(young, 'aaa', 'aaa', 'aaa'));
    state.mailbox.request({
      to: 'api-st01',
      reason: 'customer fix',
      by: 'ana',
      skipGates: false,
      at: new Date(T0).toISOString(),
    });
    const [go] = state.decide(state.plan(), onMainAndAhead, T0 + 1_000);
    assert.deepEqual(go.manual?.skippedGates, ['age']);
    const record = state.promotionStarted(go, T0 + 1_000);
    assert.deepEqual(record.manual, { by: 'ana', reason: 'customer fix', skippedGates: ['age'] });
    assert.equal(state.mailbox.take('api-st01')?.started, true);
  });

  test('a manual promotion into a stage already in sync is answered, not started', () => {
    const state = new PipelineState(service);
    state.observed(observe('aaa', 'aaa', 'aaa', 'aaa'));
    state.mailbox.request({ to: 'api-st01', reason: 'x', by: 'ana', skipGates: true, at: new Date(T0).toISOString() });
    assert.deepEqual(state.decide(state.plan(), {}, T0), []);
    assert.match(state.mailbox.take('api-st01')!.message, /nothing to promote into api-st01: both run/);
  });

  test('a rejected commit is held at every stage until unrejected', () => {
    const state = new PipelineState(service);
    state.observed(observe(release('bbb', { createdAt: new Date(T0 - 3_600_000).toISOString() }), 'aaa', 'aaa', 'aaa'));
    state.holds.reject({ commit: 'bbb0000', reason: 'corrupts caches', by: 'ops', at: new Date(T0).toISOString() });
    assert.deepEqual(state.decide(state.plan(), onMainAndAhead, T0), []);
    assert.match(state.status().pairs[0].reason, /rejected by ops .*corrupts caches/);
    assert.equal(state.holds.unreject('bbb0000'), true);
    assert.equal(state.decide(state.plan(), onMainAndAhead, T0).length, 1);
  });

  test('a freeze holds promotions; a service that ignores freezes keeps going', () => {
    const old = release('bbb', { createdAt: new Date(T0 - 3_600_000).toISOString() });
    const freeze = { reason: 'Dreamforce', by: 'cto', since: new Date(T0).toISOString() };
    const frozen = new PipelineState(service);
    frozen.observed(observe(old, 'aaa', 'aaa', 'aaa'));
    frozen.holds.frozen(freeze);
    assert.deepEqual(frozen.decide(frozen.plan(), onMainAndAhead, T0), []);
    assert.match(frozen.status().pairs[0].verdicts[0].reason, /^frozen by cto .*Dreamforce$/);

    const hotfixOnly = new PipelineState({ ...service, ignoreFreeze: true });
    hotfixOnly.observed(observe(old, 'aaa', 'aaa', 'aaa'));
    hotfixOnly.holds.frozen(freeze);
    assert.equal(hotfixOnly.decide(hotfixOnly.plan(), onMainAndAhead, T0).length, 1);
  });

  test('outside a deploy window the pair says the exact moment the window opens', () => {
    const windows = {
      windows: [
        { days: ['Mon', 'Tue', 'Wed', 'Thu'] as const, start: '09:00', end: '16:00', timeZone: 'America/Los_Angeles' },
      ],
      blackouts: [],
    };
    const state = new PipelineState({
      ...service,
      minAgeMs: 1,
      tickMs: 3_600_000,
      windows: { ...windows, windows: windows.windows.map((w) => ({ ...w, days: [...w.days] })) },
    });
    // Friday 2026-11-20 10:00Z is Friday 02:00 in Los Angeles: the next window is Monday 09:00 PST = 17:00Z.
    state.observed(observe(release('bbb', { createdAt: new Date(T0 - 3_600_000).toISOString() }), 'aaa', 'aaa', 'aaa'));
    assert.deepEqual(state.decide(state.plan(), onMainAndAhead, T0), []);
    const window = state.status().pairs[0].verdicts.find((v) => v.gate === 'window');
    assert.equal(window?.recheckAt, '2026-11-23T17:00:00.000Z');
  });
});
