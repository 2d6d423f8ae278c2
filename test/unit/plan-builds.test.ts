// One commit built more than once (apps built one by one before they were coupled): the stages run
// the same code, so the pair is in sync and nothing is asked about it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { commitQuestions, currentStage, planPairs, type PlanMemory } from '../../domain/plan';
import type { ReleaseFact } from '../../domain/observation';
import { observe, release, service, sha, T0 } from '../support/facts';

const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();
/** `commit` built into slug `build`, released as `version`, running since `minutes` after T0. */
const built = (commit: string, build: string, version = 1, minutes = 0, overrides: Partial<ReleaseFact> = {}) =>
  release(commit, {
    version,
    id: `${build}-v${version}`,
    slugId: `slug-${build}`,
    createdAt: at(minutes - 1),
    startedAt: at(minutes),
    ...overrides,
  });
const quiet: PlanMemory = { inFlight: [], failed: {} };
const soaking = (minutes: number): PlanMemory => ({ ...quiet, soak: { now: T0 + minutes * MIN, commits: {} } });
const summary = (plans: ReturnType<typeof planPairs>) =>
  plans.map((p) => (p.kind === 'candidate' ? `candidate ${p.candidate.source.id}` : `${p.kind}: ${p.reason}`));

describe('reconcile plan: one commit from different builds', () => {
  const rows: { name: string; stages: ReleaseFact[]; memory: PlanMemory; expect: string[] }[] = [
    {
      name: 'every stage runs one commit from its own build: in sync, with the reason',
      stages: [built('aaa', 'qa', 1), built('aaa', 'st', 2), built('aaa', 'va', 3), built('aaa', 'eu', 4)],
      memory: quiet,
      expect: [
        'in-sync: both run aaa0000 (same commit, another build: v1 and v2)',
        'in-sync: both run aaa0000 (same commit, another build: v2 and v3)',
        'in-sync: both run aaa0000 (same commit, another build: v3 and v4)',
      ],
    },
    {
      name: 'the same with soak counted: still in sync, whatever the age',
      stages: [built('aaa', 'qa', 1, 50), built('aaa', 'st'), built('aaa', 'va'), built('aaa', 'eu')],
      memory: soaking(55),
      expect: [
        'in-sync: both run aaa0000 (same commit, another build: v1 and v1)',
        'in-sync: both run aaa0000 (same commit, another build: v1 and v1)',
        'in-sync: both run aaa0000 (same commit, another build: v1 and v1)',
      ],
    },
    {
      name: 'one slug everywhere stays in sync as before',
      stages: [built('aaa', 'one'), built('aaa', 'one'), built('aaa', 'one'), built('aaa', 'one')],
      memory: quiet,
      expect: ['in-sync: both run v1 (aaa0000)', 'in-sync: both run v1 (aaa0000)', 'in-sync: both run v1 (aaa0000)'],
    },
    {
      name: 'a new commit upstream of rebuilt stages is a candidate; the rebuilt pairs stay in sync',
      stages: [built('bbb', 'qa', 2), built('aaa', 'st'), built('aaa', 'va'), built('aaa', 'eu')],
      memory: quiet,
      expect: [
        'candidate qa-v2',
        'in-sync: both run aaa0000 (same commit, another build: v1 and v1)',
        'in-sync: both run aaa0000 (same commit, another build: v1 and v1)',
      ],
    },
    {
      name: 'a target whose commit is unknown (a tarball slug) is no match: forward decides',
      stages: [built('aaa', 'qa'), built('aaa', 'st', 2, 0, { commit: null }), built('aaa', 'va'), built('aaa', 'va')],
      memory: quiet,
      expect: ['candidate qa-v1', 'candidate st-v2', 'in-sync: both run v1 (aaa0000)'],
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.deepEqual(summary(planPairs(service, observe(...row.stages), row.memory)), row.expect);
    });
  }

  test('nothing is asked of GitHub for a pair running one commit from two builds', () => {
    const plans = planPairs(
      service,
      observe(built('aaa', 'qa'), built('aaa', 'st'), built('aaa', 'va'), built('aaa', 'eu')),
      quiet,
    );
    assert.deepEqual(commitQuestions(service, plans), []);
  });

  test('with soak, an older source release of the commit the target runs is never the candidate', () => {
    // The source: v2 (bbb, merged 10 minutes ago, not soaked) over v1 (aaa, its own build, long soaked);
    // the target runs aaa from another build. Only bbb could bring anything: it waits for its soak.
    const source = built('bbb', 'qa2', 2, 45);
    const observation = observe(source, built('aaa', 'st'), built('aaa', 'st'), built('aaa', 'st'));
    observation.stages[0].recent = [source, built('aaa', 'qa1', 1, 0)];
    const [first] = planPairs(service, observation, soaking(55));
    assert.equal(first.kind, 'candidate');
    if (first.kind !== 'candidate') return;
    assert.deepEqual(
      [first.candidate.source.id, first.candidate.soakedSince, first.ancestry],
      ['qa2-v2', at(45), undefined],
    );
  });

  test('the current stage counts a stage running the newest commit from another build', () => {
    const observation = observe(built('bbb', 'qa', 2), built('bbb', 'st', 3), built('aaa', 'va'), built('aaa', 'eu'));
    assert.deepEqual(currentStage(service, observation), {
      stage: 'api-st01',
      index: 1,
      commit: sha('bbb'),
      version: 3,
    });
  });
});
