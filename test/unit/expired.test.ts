// Expired releases and refused promotions: which source moves, and when a pair holds instead.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planPairs, type PlanMemory } from '../../domain/plan';
import type { CommitAnswers } from '../../domain/commits';
import type { ReleaseFact } from '../../domain/observation';
import {
  nextRefusal,
  refusalBackoffMs,
  refusalHolds,
  REFUSAL_BACKOFF_MAX_MS,
  type Refusal,
} from '../../domain/refusal';
import { observe, release, service, sha, stage, T0 } from '../support/facts';

const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();
const running = (commit: string, version: number, minutes: number, status: ReleaseFact['status'] = 'succeeded') =>
  release(commit, { version, id: `r${version}`, status, createdAt: at(minutes - 1), startedAt: at(minutes) });
const linear = (newest: string, ...older: string[]): CommitAnswers =>
  Object.fromEntries(older.map((c) => [`${sha(c)}...${sha(newest)}`, 'ahead' as const]));

/** The first pair (api-qa01 -> api-st01) planned with the source's recent releases, minAge 30 min. */
function firstPair(recent: ReleaseFact[], memory: Partial<PlanMemory>, now: number) {
  const observation = observe(recent[0], 'aaa', 'aaa', 'aaa');
  observation.stages[0] = { ...stage('api-qa01', recent[0]), recent };
  return planPairs(service, observation, {
    inFlight: [],
    failed: {},
    soak: { now, commits: linear('ddd', 'ccc', 'bbb') },
    ...memory,
  })[0];
}

describe('the source of a promotion is never an expired release', () => {
  // v4 (ddd) has not soaked; v3 (ccc) and v2 (bbb) have.
  const recent = [running('ddd', 4, 40), running('ccc', 3, 30), running('bbb', 2, 20)];
  const rows: { name: string; recent: ReleaseFact[]; memory: Partial<PlanMemory>; source?: string; held?: RegExp }[] = [
    { name: 'nothing expired: the newest soaked release', recent, memory: {}, source: 'r3' },
    {
      name: 'the newest soaked release refused as expired: the newest unexpired soaked one',
      recent,
      memory: { expired: ['r3'] },
      source: 'r2',
    },
    {
      name: "Heroku's status says expired: skipped the same way",
      recent: [recent[0], running('ccc', 3, 30, 'expired'), recent[2]],
      memory: {},
      source: 'r2',
    },
    {
      name: 'every soaked release expired: the newest, which soaks later (the age gate waits for it)',
      recent,
      memory: { expired: ['r3', 'r2'] },
      source: 'r4',
    },
    {
      name: 'the release the source runs expired and nothing else is left: held, with what to do',
      recent: [running('ddd', 4, 10)],
      memory: { expired: ['r4'] },
      held: /^v4 expired on api-qa01: merge again or promote by hand$/,
    },
  ];
  for (const row of rows)
    test(row.name, () => {
      const plan = firstPair(row.recent, row.memory, T0 + 65 * MIN);
      if (row.held) {
        assert.equal(plan.kind, 'held');
        assert.match(plan.reason, row.held);
      } else {
        assert.equal(plan.kind, 'candidate');
        if (plan.kind === 'candidate') assert.equal(plan.candidate.source.id, row.source);
      }
    });
});

describe('a refused promotion backs its pair off', () => {
  const refusal = nextRefusal(
    undefined,
    { stage: 'api-st01', sourceReleaseId: 'r3', sourceVersion: 3, error: '403 forbidden' },
    T0,
    MIN,
  );
  const recent = [running('ddd', 4, 40), running('ccc', 3, 30)];
  const rows: { name: string; refusals: Record<string, Refusal>; now: number; kind: string }[] = [
    {
      name: 'held until the refusal may be tried again',
      refusals: { 'api-st01': refusal },
      now: T0 + MIN,
      kind: 'held',
    },
    {
      name: 'a candidate again once that moment passed',
      refusals: { 'api-st01': refusal },
      now: T0 + 3 * MIN,
      kind: 'candidate',
    },
    {
      name: 'a refusal into another stage holds only that pair',
      refusals: { 'api-va01': refusal },
      now: T0 + MIN,
      kind: 'candidate',
    },
  ];
  for (const row of rows)
    test(row.name, () => {
      const plan = firstPair(recent, { refusals: { now: row.now, byStage: row.refusals } }, T0 + 65 * MIN);
      assert.equal(plan.kind, row.kind);
      if (plan.kind === 'held')
        assert.match(plan.reason, /Heroku refused promoting v3 into api-st01 \(403 forbidden\); trying again at/);
    });
});

describe('the backoff after refusals in a row', () => {
  const rows: { count: number; tickMs: number; ms: number }[] = [
    { count: 1, tickMs: MIN, ms: 2 * MIN },
    { count: 2, tickMs: MIN, ms: 4 * MIN },
    { count: 5, tickMs: MIN, ms: REFUSAL_BACKOFF_MAX_MS },
    { count: 1, tickMs: 300, ms: 2_000 },
  ];
  for (const row of rows)
    test(`refusal ${row.count} at a ${row.tickMs} ms tick waits ${row.ms} ms`, () =>
      assert.equal(refusalBackoffMs(row.count, row.tickMs), row.ms));

  test('each refusal in a row counts one more, and holds until its retry moment', () => {
    const first = nextRefusal(undefined, { stage: 's', sourceReleaseId: 'r', sourceVersion: 1, error: 'e' }, T0, MIN);
    const second = nextRefusal(first, { stage: 's', sourceReleaseId: 'r', sourceVersion: 1, error: 'e' }, T0, MIN);
    assert.deepEqual([first.count, second.count], [1, 2]);
    assert.deepEqual([refusalHolds(second, T0 + 3 * MIN), refusalHolds(second, T0 + 4 * MIN)], [true, false]);
  });
});
