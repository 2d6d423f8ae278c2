import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { commitQuestions, currentStage, planPairs, type PlanMemory } from '../../domain/plan';
import { observe, release, service, sha } from '../support/facts';

const quiet: PlanMemory = { inFlight: [], failed: {} };
const kinds = (plans: { kind: string }[]) => plans.map((p) => p.kind);

describe('reconcile plan', () => {
  test('a pipeline running one release everywhere is in sync', () => {
    assert.deepEqual(kinds(planPairs(service, observe('aaa', 'aaa', 'aaa', 'aaa'), quiet)), [
      'in-sync',
      'in-sync',
      'in-sync',
    ]);
  });

  test('every pair whose slugs differ is a candidate, so two releases advance at once', () => {
    const plans = planPairs(service, observe('ccc', 'bbb', 'aaa', 'aaa'), quiet);
    assert.deepEqual(kinds(plans), ['candidate', 'candidate', 'in-sync']);
  });

  test('a source still releasing is waited for', () => {
    const observation = observe('aaa', 'aaa', 'aaa', 'aaa');
    observation.stages[0].latest = release('bbb', { version: 2, status: 'pending' });
    const [first] = planPairs(service, observation, quiet);
    assert.deepEqual([first.kind, first.reason], ['waiting', 'api-qa01 is releasing v2 (bbb0000)']);
  });

  test('at most one promotion is in flight per target stage', () => {
    const plans = planPairs(service, observe('bbb', 'aaa', 'aaa', 'aaa'), { inFlight: ['api-st01'], failed: {} });
    assert.deepEqual(kinds(plans), ['promoting', 'waiting', 'in-sync']);
  });

  test('a release that failed in a target is not tried there again', () => {
    const failed = {
      'api-st01': [
        { artifactId: 'slug-bbb', commit: sha('bbb'), error: 'Release command failed', at: '2026-11-20T10:00:00Z' },
      ],
    };
    const [first] = planPairs(service, observe('bbb', 'aaa', 'aaa', 'aaa'), { inFlight: [], failed });
    assert.equal(first.kind, 'held');
    assert.match(first.reason, /failed in api-st01 .*Release command failed/);
  });

  test('a newer release than the one that failed may go', () => {
    const failed = {
      'api-st01': [{ artifactId: 'slug-bbb', commit: sha('bbb'), error: 'boom', at: '2026-11-20T10:00:00Z' }],
    };
    assert.equal(
      planPairs(service, observe('ccc', 'aaa', 'aaa', 'aaa'), { inFlight: [], failed })[0].kind,
      'candidate',
    );
  });

  test('a target still releasing something else (a hotfix) is waited for, not promoted over', () => {
    const observation = observe('bbb', 'aaa', 'aaa', 'aaa');
    observation.stages[1].latest = release('fix', { version: 2, status: 'pending' });
    const [first] = planPairs(service, observation, quiet);
    assert.deepEqual([first.kind, first.reason], ['waiting', 'api-st01 is releasing v2 (fix0000)']);
  });

  test('the questions for GitHub ask about the branch and the target, once each', () => {
    const plans = planPairs(service, observe('bbb', 'aaa', 'aaa', 'aaa'), quiet);
    assert.deepEqual(commitQuestions(service, plans), [
      { base: 'main', head: sha('bbb') },
      { base: sha('aaa'), head: sha('bbb') },
    ]);
  });
});

describe('current stage', () => {
  test('is the furthest stage running the newest release', () => {
    assert.equal(currentStage(service, observe('bbb', 'bbb', 'aaa', 'aaa'))?.stage, 'api-st01');
    assert.equal(currentStage(service, observe('bbb', 'bbb', 'bbb', 'bbb'))?.stage, 'api-eu01');
  });

  test('is the first stage for a release just merged', () => {
    assert.deepEqual(currentStage(service, observe('ccc', 'bbb', 'bbb', 'aaa')), {
      stage: 'api-qa01',
      index: 0,
      commit: sha('ccc'),
      version: 1,
    });
  });
});

describe('reconcile plan across a config change', () => {
  test('pairs are matched to observed stages by app name: a removed middle stage is never judged as its neighbour', () => {
    // Observed for api-qa01 -> api-st01 -> api-va01 -> api-eu01; the new config drops api-st01.
    const observation = observe('ccc', 'bbb', 'aaa', 'aaa');
    const without = { ...service, stages: ['api-qa01', 'api-va01', 'api-eu01'] };
    const plans = planPairs(without, observation, quiet);
    assert.deepEqual(
      plans.map((p) => [p.pair.from, p.pair.to, p.kind === 'candidate' ? p.candidate.target?.commit : p.kind]),
      [
        ['api-qa01', 'api-va01', sha('aaa')],
        ['api-va01', 'api-eu01', 'in-sync'],
      ],
    );
  });

  test("a stage the observation did not cover waits instead of borrowing another app's facts", () => {
    const added = { ...service, stages: [...service.stages, 'api-ap01'] };
    const last = planPairs(added, observe('aaa', 'aaa', 'aaa', 'aaa'), quiet).at(-1)!;
    assert.deepEqual([last.kind, last.reason], ['waiting', 'api-ap01 has not been observed yet']);
  });
});
