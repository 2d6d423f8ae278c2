import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type DecisionInput } from '../../domain/decision';
import type { ManualPromotion } from '../../domain/override';
import { planPairs } from '../../domain/plan';
import type { Service } from '../../domain/service';
import { observe, release, service, sha, T0 } from '../support/facts';

const soaked = release('bbb', { version: 2, id: 'r2', createdAt: new Date(T0 - 60 * 60_000).toISOString() });
const young = release('bbb', { version: 2, id: 'r2', createdAt: new Date(T0 - 60_000).toISOString() });
const onMainAndAhead = {
  [`main...${sha('bbb')}`]: 'behind' as const,
  [`${sha('aaa')}...${sha('bbb')}`]: 'ahead' as const,
};
const offBranch = { [`main...${sha('bbb')}`]: 'ahead' as const, [`${sha('aaa')}...${sha('bbb')}`]: 'ahead' as const };
const manual = (overrides: Partial<ManualPromotion> = {}): ManualPromotion => ({
  to: 'api-st01',
  reason: 'hotfix',
  by: 'ana',
  skipGates: false,
  at: new Date(T0).toISOString(),
  expect: { releaseId: 'r2', version: 2, commit: sha('bbb') },
  ...overrides,
});

function input(source = soaked, overrides: Partial<DecisionInput> = {}, config: Service = service): DecisionInput {
  return {
    service: config,
    plans: planPairs(config, observe(source, 'aaa', 'aaa', 'aaa'), { inFlight: [], failed: {} }),
    now: T0,
    pause: null,
    freeze: null,
    commits: onMainAndAhead,
    health: {},
    approvals: [],
    waiting: {},
    manual: new Map(),
    ...overrides,
  };
}

describe('the decision of a pass: one row per branch', () => {
  const rows: { name: string; input: DecisionInput; start: string[]; first: string; answer?: RegExp }[] = [
    { name: 'a pair in sync starts nothing', input: input(release('aaa')), start: [], first: 'in-sync' },
    { name: 'a candidate every gate passes starts', input: input(), start: ['api-st01'], first: 'ready' },
    {
      name: 'a candidate a gate holds waits, saying when it is looked at again',
      input: input(young),
      start: [],
      first: 'gated',
    },
    {
      name: 'a pause holds every candidate',
      input: input(soaked, { pause: { reason: 'x', by: 'ana', since: new Date(T0).toISOString() } }),
      start: [],
      first: 'gated',
    },
    {
      name: 'a manual request with nothing to promote is answered so',
      input: input(release('aaa'), { manual: new Map([['api-st01', manual()]]) }),
      start: [],
      first: 'in-sync',
      answer: /^nothing to promote into api-st01: both run/,
    },
    {
      name: 'a manual request overrules the waiting gates, and says which',
      input: input(young, { manual: new Map([['api-st01', manual()]]) }),
      start: ['api-st01'],
      first: 'ready',
      answer: /^promoting v2 \(bbb0000\) into api-st01; skipped age$/,
    },
    {
      name: 'a manual request does not overrule a safety gate without --skip-gates',
      input: input(soaked, { commits: offBranch, manual: new Map([['api-st01', manual()]]) }),
      start: [],
      first: 'gated',
      answer: /^still held \(use --skip-gates to overrule\): branch: /,
    },
    {
      name: 'a manual request with --skip-gates overrules every gate',
      input: input(soaked, { commits: offBranch, manual: new Map([['api-st01', manual({ skipGates: true })]]) }),
      start: ['api-st01'],
      first: 'ready',
      answer: /skipped branch$/,
    },
    {
      name: 'a manual request about a release the source no longer runs is refused',
      input: input(soaked, {
        manual: new Map([['api-st01', manual({ expect: { releaseId: 'r1', version: 1, commit: sha('999') } })]]),
      }),
      start: ['api-st01'],
      first: 'ready',
      answer: /not v1 \(9990000\) that the request saw; nothing was promoted/,
    },
    {
      name: 'a manual request for a stage the plan does not cover is answered',
      input: input(soaked, { manual: new Map([['api-zz01', manual({ to: 'api-zz01' })]]) }),
      start: ['api-st01'],
      first: 'ready',
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const decision = decide(row.input);
      assert.deepEqual(
        decision.start.map((go) => go.candidate.pair.to),
        row.start,
      );
      assert.equal(decision.pairs[0].state, row.first);
      if (row.first === 'gated') assert.ok(decision.pairs[0].verdicts.some((v) => !v.ok));
      for (const stage of row.input.manual.keys())
        assert.ok(decision.answers[stage], `the request into ${stage} is answered`);
      if (row.answer) assert.match(decision.answers['api-st01']?.message ?? '', row.answer);
    });
  }

  test('an approval lapses when a newer release replaces the one approved', () => {
    const gated: Service = { ...service, checks: { 'api-st01': { approval: { approvers: [] } } } };
    const approval = { stage: 'api-st01', commit: sha('aaa'), by: 'ana', at: new Date(T0).toISOString() };
    const decision = decide(input(soaked, { approvals: [approval] }, gated));
    assert.deepEqual(decision.approvals, []);
    assert.equal(decision.waiting['api-st01']?.commit, sha('bbb'));
  });

  test('a candidate whose soak ends within moments is decided now and posted then, with no timer of its own', () => {
    const soakEnds = T0 + 1_500;
    const almost = release('bbb', {
      version: 2,
      id: 'r2',
      createdAt: new Date(soakEnds - service.minAgeMs).toISOString(),
    });
    const decision = decide(input(almost));
    assert.deepEqual(
      decision.start.map((go) => [go.candidate.pair.to, go.postAt]),
      [['api-st01', soakEnds]],
    );
    assert.equal(decision.pairs[0].recheckAt, undefined);
    assert.ok(
      decision.pairs[0].verdicts.some((v) => v.gate === 'age' && !v.ok),
      'the age gate still says when it opens',
    );
  });

  test('a candidate whose soak ends within moments waits when its costly facts were not read', () => {
    const almost = release('bbb', {
      version: 2,
      id: 'r2',
      createdAt: new Date(T0 + 1_500 - service.minAgeMs).toISOString(),
    });
    const decision = decide(input(almost, { deferred: new Set(['api-st01']) }));
    assert.deepEqual(decision.start, []);
    assert.equal(decision.pairs[0].state, 'gated');
  });

  test('the same input gives the same decision (pure)', () => {
    assert.deepEqual(decide(input(young)), decide(input(young)));
  });
});
