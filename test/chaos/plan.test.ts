import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validService } from '../../workflows/valid-service';
import type { Service } from '../../domain/service';
import { DEFAULT_WEIGHTS, MALFORMED_VARIANTS, Planner, malformedConfig, planText, type Action } from './plan';

/** The chaos run's plan (test/chaos/plan.ts) is a pure function of the seed: these are its rules. */
describe('the chaos plan', () => {
  const timing = { minAgeMs: 1_000, tickMs: 1_000, releasePhaseMs: 1_500 };
  const actions = (seed: number, steps: number, weights = {}) => {
    const planner = new Planner(seed, 3, 4, [150, 1_000], timing, weights);
    const all: { step: number; action: Action }[] = [];
    for (let i = 0; i < steps; i++) {
      const planned = planner.step();
      for (const action of planned.actions) all.push({ step: planned.step, action });
    }
    return { all, ends: planner.openEnds() };
  };

  test('the same seed gives the same plan, another seed another one', () => {
    assert.deepEqual(planText(7, 200, 3, 4, [150, 1_000], timing), planText(7, 200, 3, 4, [150, 1_000], timing));
    assert.notDeepEqual(planText(7, 200, 3, 4, [150, 1_000], timing), planText(8, 200, 3, 4, [150, 1_000], timing));
  });

  test("every hold it starts is ended, by a later step or by the run's wrap-up", () => {
    const { all, ends } = actions(11, 400);
    const every = [...all.map((a) => a.action), ...ends];
    const count = (match: (a: Action) => boolean) => every.filter(match).length;
    const pauses = count((a) => a.kind === 'pause') + count((a) => a.kind === 'slow-promote' && a.hold === 'pause');
    assert.equal(
      count((a) => a.kind === 'resume'),
      pauses,
    );
    const freezes = count((a) => a.kind === 'freeze') + count((a) => a.kind === 'slow-promote' && a.hold === 'freeze');
    assert.equal(
      count((a) => a.kind === 'unfreeze'),
      freezes,
    );
    assert.equal(
      count((a) => a.kind === 'resolve-incident'),
      count((a) => a.kind === 'open-incident'),
    );
    assert.equal(
      count((a) => a.kind === 'unreject'),
      count((a) => a.kind === 'reject') + count((a) => a.kind === 'slow-promote' && a.hold === 'reject'),
    );
    assert.equal(
      count((a) => a.kind === 'configure' && a.change.kind === 'restore'),
      count((a) => a.kind === 'configure' && a.change.kind !== 'restore'),
    );
    assert.equal(
      count((a) => a.kind === 'fix-stage'),
      count((a) => a.kind === 'fail-stage'),
    );
    assert.equal(
      count((a) => a.kind === 'clear-fault'),
      count((a) => a.kind === 'inject-fault'),
    );
  });

  test('every kind of action comes up in a long plan, and a weight of 0 leaves its kind out', () => {
    const kinds = new Set(actions(5, 600).all.map((a) => a.action.kind));
    for (const kind of [
      'merge',
      'hotfix',
      'push-branch',
      'pause',
      'freeze',
      'open-incident',
      'inject-fault',
      'configure',
      'manual',
      'slow-promote',
      'unknown-target',
      'storm',
      'reject',
      'fail-stage',
      'repair',
    ]) {
      assert.ok(kinds.has(kind as Action['kind']), `no ${kind} in 600 steps`);
    }
    const without = new Set(actions(5, 600, { storm: 0, 'slow-promote': 0 }).all.map((a) => a.action.kind));
    assert.ok(!without.has('storm') && !without.has('slow-promote'));
    assert.ok(Object.keys(DEFAULT_WEIGHTS).length >= 15);
  });

  test('a merge storm spaces merges below its soak and past the release phase, and lasts long enough for a release to soak and move on', () => {
    const storms = actions(5, 600).all.flatMap((a) => (a.action.kind === 'storm' ? [a.action] : []));
    assert.ok(storms.length > 0);
    for (const storm of storms) {
      assert.ok(
        storm.spacingMs * 3 <= storm.minAgeMs,
        `spacing ${storm.spacingMs} ms is not a third of the soak ${storm.minAgeMs} ms`,
      );
      assert.ok(storm.spacingMs > timing.releasePhaseMs, 'each merge lands after the last one finished releasing');
      assert.ok(storm.merges * storm.spacingMs >= timing.releasePhaseMs + 3 * storm.minAgeMs + 2 * timing.tickMs);
    }
  });

  test("every malformed configure payload the run sends is one the workflow's own check refuses", () => {
    const service: Service = {
      name: 'api',
      pipeline: 'api',
      stages: ['api-qa01', 'api-st01', 'api-eu01'],
      repo: 'acme/api',
      branch: 'main',
      minAgeMs: 1_000,
      tickMs: 1_000,
    };
    assert.equal(validService(service, 'api').ok, true);
    for (let variant = 0; variant < MALFORMED_VARIANTS; variant++) {
      const checked = validService(malformedConfig(service, variant), 'api');
      assert.equal(
        checked.ok,
        false,
        `variant ${variant} (${JSON.stringify(malformedConfig(service, variant))}) was accepted`,
      );
    }
  });
});
