// Pay only for what can change the answer: which candidates need their costly facts
// (CI, formation, incident, alerts, URLs, webhook) read this pass, and what a candidate whose facts
// were not read may do. Pure: domain/decision.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  costlyFactsNeeded,
  decide,
  heldByCostlyFacts,
  type DecisionInput,
  type FactsInput,
} from '../../domain/decision';
import type { TargetHealth } from '../../domain/gates';
import type { ManualPromotion } from '../../domain/override';
import { planPairs } from '../../domain/plan';
import type { ReleaseFact } from '../../domain/observation';
import type { Service } from '../../domain/service';
import { observe, release, service, sha, T0 } from '../support/facts';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const soaked = release('bbb', { version: 2, id: 'r2', createdAt: iso(T0 - 60 * MIN) });
const young = release('bbb', { version: 2, id: 'r2', createdAt: iso(T0 - MIN) });
/** bbb is on main and ahead of aaa, which every later stage runs. */
const known = { [`main...${sha('bbb')}`]: 'behind' as const, [`${sha('aaa')}...${sha('bbb')}`]: 'ahead' as const };
const pause = { reason: 'db migration', by: 'ana', since: iso(T0) };
const closedNow: Service = {
  ...service,
  windows: { windows: [], blackouts: [{ from: '2026-11-20', to: '2026-11-20', reason: 'launch day' }] },
};

function facts(source: ReleaseFact | string, overrides: Partial<FactsInput> = {}, config = service): FactsInput {
  return {
    service: config,
    plans: planPairs(config, observe(source, 'aaa', 'aaa', 'aaa'), { inFlight: [], failed: {} }),
    now: T0,
    pause: null,
    freeze: null,
    commits: known,
    manual: [],
    ...overrides,
  };
}

describe('which candidates need their costly facts this pass', () => {
  const rows: { name: string; input: FactsInput; needed: string[] }[] = [
    { name: 'a candidate every cheap gate lets through needs them', input: facts(soaked), needed: ['api-st01'] },
    { name: 'nothing in sync needs anything', input: facts('aaa'), needed: [] },
    {
      name: 'a one-commit pair from two builds is in sync: nothing',
      input: facts(release('aaa', { slugId: 'slug-aaa-rebuilt', version: 2 })),
      needed: [],
    },
    { name: 'held by a pause: none', input: facts(soaked, { pause }), needed: [] },
    {
      name: 'held by a freeze: none',
      input: facts(soaked, { freeze: { ...pause, reason: 'Dreamforce' } }),
      needed: [],
    },
    {
      name: 'a freeze of a service that ignores freezes holds nothing: needed',
      input: facts(soaked, { freeze: pause }, { ...service, ignoreFreeze: true }),
      needed: ['api-st01'],
    },
    { name: 'held by the age gate (still soaking): none', input: facts(young), needed: [] },
    {
      name: 'a soak that ends within the moments a promotion is decided ahead: needed',
      input: facts(release('bbb', { version: 2, id: 'r2', createdAt: iso(T0 - 30 * MIN + 1_500) })),
      needed: ['api-st01'],
    },
    { name: 'held by a closed window (a blackout): none', input: facts(soaked, {}, closedNow), needed: [] },
    {
      name: 'held by forward on a known answer (the target is newer, a hotfix): none',
      input: facts(soaked, { commits: { ...known, [`${sha('aaa')}...${sha('bbb')}`]: 'behind' } }),
      needed: [],
    },
    {
      name: 'held by branch on a known answer (not on main): none',
      input: facts(soaked, { commits: { ...known, [`main...${sha('bbb')}`]: 'ahead' } }),
      needed: [],
    },
    {
      name: 'a target whose commit nobody knows (a tarball slug): forward holds, none',
      input: {
        ...facts(soaked),
        plans: planPairs(service, observe(soaked, release('tar', { commit: null }), 'aaa', 'aaa'), {
          inFlight: [],
          failed: {},
        }),
      },
      needed: [],
    },
    {
      name: "an operator's request waits on the pair: needed whatever the cheap gates say",
      input: facts(young, { pause, manual: ['api-st01'] }),
      needed: ['api-st01'],
    },
    {
      name: 'two candidates: only the one the cheap gates let through',
      input: {
        ...facts(soaked),
        plans: planPairs(service, observe(young, soaked, 'aaa', 'aaa'), { inFlight: [], failed: {} }),
        commits: { ...known, [`${sha('bbb')}...${sha('bbb')}`]: 'identical' },
      },
      needed: ['api-va01'],
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.deepEqual(costlyFactsNeeded(row.input), row.needed);
    });
  }
});

const manual = (overrides: Partial<ManualPromotion> = {}): ManualPromotion => ({
  to: 'api-st01',
  reason: 'hotfix',
  by: 'ana',
  skipGates: false,
  at: iso(T0),
  expect: { releaseId: 'r2', version: 2, commit: sha('bbb') },
  ...overrides,
});

function decision(source: ReleaseFact, overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    ...facts(source),
    manual: new Map(),
    health: {},
    approvals: [],
    waiting: {},
    deferred: new Set(['api-st01']),
    ...overrides,
  };
}

describe('a candidate whose costly facts were not read', () => {
  test('held by a cheap gate, it shows that gate and no verdict of the facts not read', () => {
    const [pair] = decide(decision(young)).pairs;
    assert.deepEqual(
      pair.verdicts.filter((v) => !v.ok).map((v) => v.gate),
      ['age'],
    );
    assert.ok(!pair.verdicts.some((v) => v.gate === 'ci' || v.gate === 'checks'));
  });

  test('never starts, even when the cheap gates opened meanwhile: it is judged whole at once', () => {
    const result = decide(decision(soaked));
    assert.deepEqual(result.start, []);
    const [pair] = result.pairs;
    assert.equal(pair.state, 'gated');
    assert.deepEqual(
      pair.verdicts.filter((v) => !v.ok).map((v) => [v.gate, v.recheckAt]),
      [['checks', iso(T0)]],
    );
  });

  test('is not promoted by a request that arrived while the facts were read, unless every gate is skipped', () => {
    const asked = decide(decision(young, { manual: new Map([['api-st01', manual()]]) }));
    assert.deepEqual(asked.start, []);
    assert.match(asked.answers['api-st01'].message, /^still held .*checks: CI and health checks not read yet/);
    const skipping = decide(decision(young, { manual: new Map([['api-st01', manual({ skipGates: true })]]) }));
    assert.deepEqual(
      skipping.start.map((go) => go.manual?.skippedGates),
      [['age', 'checks']],
    );
  });

  test('a candidate whose facts were read goes as before', () => {
    assert.deepEqual(
      decide(decision(soaked, { deferred: new Set() })).start.map((go) => go.candidate.pair.to),
      ['api-st01'],
    );
  });
});

describe('costly facts kept while they hold a candidate', () => {
  const [plan] = planPairs(service, observe(soaked, 'aaa', 'aaa', 'aaa'), { inFlight: [], failed: {} });
  const candidate = plan.kind === 'candidate' ? plan.candidate : undefined;
  const ci = (conclusion: string | null, status: 'completed' | 'in_progress' = 'completed') => ({
    commit: sha('bbb'),
    checkRuns: [{ name: 'test', status, conclusion }],
    statuses: [],
  });
  const dynos = (webDynos: number, mode: 'block' | 'warn') => ({ app: 'api-st01', webDynos, preboot: true, mode });
  const rows: { name: string; health: TargetHealth; kept: boolean }[] = [
    { name: 'a red CI holds: kept', health: { ci: ci('failure') }, kept: true },
    { name: 'a CI still running holds: kept', health: { ci: ci(null, 'in_progress') }, kept: true },
    { name: 'a green CI lets it through: read fresh every pass', health: { ci: ci('success') }, kept: false },
    { name: 'one web dyno in block mode holds: kept', health: { zeroDowntime: dynos(1, 'block') }, kept: true },
    {
      name: 'one web dyno in warn mode lets it through: not kept',
      health: { zeroDowntime: dynos(1, 'warn') },
      kept: false,
    },
    {
      name: 'an unreadable source holds (fails closed): kept',
      health: { alerts: [{ source: 'librato', firing: [], error: 'timeout' }] },
      kept: true,
    },
    { name: 'no costly facts at all: nothing to keep', health: {}, kept: false },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.ok(candidate);
      assert.equal(heldByCostlyFacts(candidate, row.health, service), row.kept);
    });
  }
});
