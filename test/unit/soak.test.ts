import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseSoaked, soakRuns, ancestryQuestions } from '../../domain/soak';
import { planPairs } from '../../domain/plan';
import type { CommitAnswers } from '../../domain/commits';
import type { ReleaseFact } from '../../domain/observation';
import { observe, release, service, sha, stage, T0 } from '../support/facts';

const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();
/** A release of `commit` as version `version`, running since `minutes` after T0. */
const running = (commit: string, version: number, minutes: number, slug = commit): ReleaseFact =>
  release(commit, {
    version,
    id: `r${version}`,
    slugId: `slug-${slug}`,
    createdAt: at(minutes - 1),
    startedAt: at(minutes),
  });
/** Every older release is an ancestor of `newest` (a straight line of merges on main). */
const linear = (newest: string, ...older: string[]): CommitAnswers =>
  Object.fromEntries(older.map((c) => [`${sha(c)}...${sha(newest)}`, 'ahead' as const]));

describe('soak: which source release moves on', () => {
  // Merges every 10 minutes on the source (v1 at 10m ... v4 at 40m), minAge 30 minutes.
  const storm = [running('ddd', 4, 40), running('ccc', 3, 30), running('bbb', 2, 20), running('aaa', 1, 10)];
  const source = { ...stage('api-qa01', storm[0]), recent: storm };
  const rows: {
    name: string;
    target: ReleaseFact | null;
    commits: CommitAnswers;
    now: number;
    expect: number | null;
  }[] = [
    {
      name: 'the newest release that has soaked, under merges more frequent than minAge',
      target: null,
      commits: linear('ddd', 'ccc', 'bbb', 'aaa'),
      now: T0 + 55 * MIN,
      expect: 2,
    },
    {
      name: 'nothing older than what the target already runs',
      target: running('bbb', 2, 20),
      commits: linear('ddd', 'ccc', 'bbb'),
      now: T0 + 45 * MIN,
      expect: 3,
    },
    {
      name: 'not a release whose code no longer runs on the source (not an ancestor)',
      target: null,
      commits: { ...linear('ddd', 'ccc', 'aaa'), [`${sha('bbb')}...${sha('ddd')}`]: 'diverged' },
      now: T0 + 55 * MIN,
      expect: 1,
    },
    { name: 'not one whose ancestry is not known yet', target: null, commits: {}, now: T0 + 55 * MIN, expect: 3 },
    {
      name: 'nothing soaked yet: the one that soaks first, so the age gate names the earliest moment',
      target: running('aaa', 1, 10),
      commits: {},
      now: T0 + 45 * MIN,
      expect: 2,
    },
    { name: 'the running release itself once it has soaked', target: null, commits: {}, now: T0 + 75 * MIN, expect: 4 },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const chosen = chooseSoaked(soakRuns(source, row.target), 30 * MIN, row.now, row.commits);
      assert.equal(chosen?.release.version ?? null, row.expect);
    });
  }

  test('a config-only release (same slug) does not restart the soak', () => {
    const recent = [running('bbb', 3, 40, 'bbb'), running('bbb', 2, 5, 'bbb'), running('aaa', 1, 0)];
    const [newest] = soakRuns({ ...stage('api-qa01', recent[0]), recent }, null);
    assert.deepEqual([newest.release.version, newest.since], [3, at(5)]);
  });

  test('asks GitHub only about releases of another slug than the running one', () => {
    const questions = ancestryQuestions(soakRuns(source, null));
    assert.deepEqual(
      questions,
      ['ccc', 'bbb', 'aaa'].map((c) => ({ base: sha(c), head: sha('ddd') })),
    );
  });
});

describe('reconcile plan with soak', () => {
  test('under steady merging the next stage is offered the newest soaked release, by its release id', () => {
    const storm = [running('ddd', 4, 40), running('ccc', 3, 30), running('bbb', 2, 20)];
    const observation = observe(storm[0], 'aaa', 'aaa', 'aaa');
    observation.stages[0].recent = storm;
    const [first] = planPairs(service, observation, {
      inFlight: [],
      failed: {},
      soak: { now: T0 + 55 * MIN, commits: linear('ddd', 'ccc', 'bbb') },
    });
    assert.equal(first.kind, 'candidate');
    if (first.kind !== 'candidate') return;
    assert.equal(first.candidate.source.id, 'r2');
    assert.equal(first.candidate.newest?.id, 'r4');
    assert.equal(first.candidate.soakedSince, at(20));
  });
});

describe('reconcile plan with soak while the source releases', () => {
  test('a source in its release phase still offers a release that has soaked there', () => {
    const storm = [running('ccc', 3, 30), running('bbb', 2, 10)];
    const observation = observe(storm[0], 'aaa', 'aaa', 'aaa');
    observation.stages[0].recent = storm;
    observation.stages[0].latest = release('ddd', { version: 4, id: 'r4', status: 'pending' });
    const [first] = planPairs(service, observation, {
      inFlight: [],
      failed: {},
      soak: { now: T0 + 45 * MIN, commits: linear('ccc', 'bbb') },
    });
    assert.equal(first.kind, 'candidate');
    if (first.kind === 'candidate') assert.equal(first.candidate.source.id, 'r2');
  });

  test('without soak (workflows recorded before it) a releasing source is waited for, as before', () => {
    const observation = observe(running('ccc', 3, 30), 'aaa', 'aaa', 'aaa');
    observation.stages[0].latest = release('ddd', { version: 4, id: 'r4', status: 'pending' });
    assert.equal(planPairs(service, observation, { inFlight: [], failed: {} })[0].kind, 'waiting');
  });
});
