import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pausePipeline, promoteManually, retryRelease } from '../../client/pipelines';
import type { Service } from '../../domain/service';
import { startStack, status, uniqueName, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

/** A service of three waves: one first app, a wave of two, a wave of three. */
function threeWaves(name: string): Pick<Service, 'stages' | 'waves'> {
  const waves = [[`${name}-qa01`], [`${name}-st01`, `${name}-st02`], [`${name}-va01`, `${name}-va02`, `${name}-eu01`]];
  return { stages: waves.flat(), waves };
}

const commitOn = (stack: Stack, app: string) => stack.sandbox.scenario.releases(app).find((r) => r.current)?.commit;
const promotionsOf = (stack: Stack, service: Service) =>
  stack.sandbox.scenario.promotions().filter((p) => p.pipeline === service.pipeline);

describe('waves: the apps of a stage promoted together', () => {
  let stack: Stack;
  before(async () => (stack = await startStack({ promotionDelayMs: 300 })));
  after(async () => stack?.stop());

  test('a merge reaches every app of a three-wave service, each wave in one promotion with several targets', async () => {
    const name = uniqueName('waves');
    const service = await stack.launch(name, { ...threeWaves(name), minAge: '1s' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline, { message: 'feature' });
    await eventually(
      async () => service.stages.every((app) => commitOn(stack, app) === merged.sha),
      60_000,
      'the merge on every app',
    );
    const promotions = promotionsOf(stack, service).filter((p) => p.commit === merged.sha);
    assert.deepEqual(
      promotions.map((p) => `${p.source} -> ${p.targets.map((t) => t.app).join(', ')}`),
      [`${name}-qa01 -> ${name}-st01, ${name}-st02`, `${name}-st01 -> ${name}-va01, ${name}-va02, ${name}-eu01`],
    );
    const history = await eventually(async () => {
      const recorded = (await status(stack, service)).history;
      return recorded.length >= 5 ? recorded : undefined;
    });
    assert.deepEqual(
      history.map((h) => `${h.to}:${h.outcome}`).sort(),
      service.stages
        .slice(1)
        .map((a) => `${a}:succeeded`)
        .sort(),
    );
  });

  test('a release phase failing on one app of a wave holds the next wave, and only that app keeps its old release; the next wave waits for its soak once retried', async () => {
    const name = uniqueName('wavefail');
    const service = await stack.launch(name, { ...threeWaves(name), minAge: '4s' });
    const [st01, st02] = [`${name}-st01`, `${name}-st02`];
    stack.sandbox.scenario.setReleasePhase(st02, { fail: 'Release command failed' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const held = await eventually(
      async () => {
        const shown = await status(stack, service);
        const next = shown.pairs.filter((p) => p.from === st01);
        return next.length === 3 && next.every((p) => p.state === 'held') ? shown : undefined;
      },
      60_000,
      'the next wave held',
    );
    assert.equal(commitOn(stack, st01), merged.sha, 'the app where it held up keeps the release');
    assert.notEqual(commitOn(stack, st02), merged.sha, 'the app where it failed runs what it ran');
    assert.match(held.pairs.find((p) => p.to === `${name}-va01`)!.reason, new RegExp(`failed .*in ${st02}`));
    // Held for good: nothing goes into the next wave while the release stays failed on one app.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    assert.equal(promotionsOf(stack, service).filter((p) => p.source === st01).length, 0);

    stack.sandbox.scenario.setReleasePhase(st02, {});
    await retryRelease(stack.client, service.name, { to: st02, by: 'ana', reason: 'release command fixed' });
    await eventually(
      async () => service.stages.every((app) => commitOn(stack, app) === merged.sha),
      60_000,
      'the merge on every app once retried',
    );
    const retried = stack.sandbox.scenario.releases(st02).find((r) => r.current)!;
    const [next] = promotionsOf(stack, service).filter((p) => p.source === st01);
    assert.ok(
      Date.parse(next.createdAt) >= Date.parse(retried.updatedAt) + service.minAgeMs,
      `the next wave waited for the soak on ${st02} (released ${retried.updatedAt}, promoted ${next.createdAt})`,
    );
    assert.deepEqual(
      next.targets.map((t) => t.app),
      [`${name}-va01`, `${name}-va02`, `${name}-eu01`],
    );
  });

  test('a promotion by hand into the whole wave overrules its soak, per app, in one promotion', async () => {
    const name = uniqueName('wavehand');
    const service = await stack.launch(name, { ...threeWaves(name), minAge: '1h' });
    const [st01, st02] = [`${name}-st01`, `${name}-st02`];
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(async () => {
      const into = (await status(stack, service)).pairs.find((p) => p.to === st01);
      return into?.state === 'gated' && into.verdicts.some((v) => v.gate === 'age' && !v.ok);
    });
    const asked = { reason: 'hotfix for the incident', by: 'ana', skipGates: false };
    const outcomes = await Promise.all(
      [st01, st02].map((to) => promoteManually(stack.client, service.name, { ...asked, to })),
    );
    assert.deepEqual(
      outcomes.map((o) => [o.started, o.skippedGates]),
      [
        [true, ['age']],
        [true, ['age']],
      ],
    );
    await eventually(async () => [st01, st02].every((app) => commitOn(stack, app) === merged.sha));
    const posted = promotionsOf(stack, service).filter((p) => p.commit === merged.sha);
    assert.deepEqual(
      posted.map((p) => p.targets.map((t) => t.app).sort()),
      [[st01, st02]],
    );
    const history = await eventually(async () => {
      const recorded = (await status(stack, service)).history.filter((h) => h.commit === merged.sha);
      return recorded.length === 2 ? recorded : undefined;
    });
    assert.deepEqual(
      history.map((h) => h.manual?.by),
      ['ana', 'ana'],
    );
    // The next wave still waits for the soak on every app of this one.
    assert.equal(commitOn(stack, `${name}-va01`) === merged.sha, false);
  });

  test('a pause landing between the decision and the POST of a wave posts nothing into any of its apps', async () => {
    let pauseBeforePost: (() => Promise<void>) | undefined;
    const paused = await startStack({
      promotionDelayMs: 300,
      wrapActivities: (activities) => ({
        ...activities,
        promote: async (request) => {
          if (request.together?.length && pauseBeforePost) await pauseBeforePost();
          return activities.promote(request);
        },
      }),
    });
    try {
      const name = uniqueName('wavepause');
      const service = await paused.launch(name, { ...threeWaves(name), minAge: '1s' });
      pauseBeforePost = async () => {
        pauseBeforePost = undefined;
        await pausePipeline(paused.client, service.name, { reason: 'incident', by: 'ana' });
      };
      await paused.sandbox.scenario.merge(service.pipeline);
      const withdrawn = await eventually(
        async () => {
          const history = (await status(paused, service)).history;
          const wave = history.filter((h) => h.to === `${name}-st01` || h.to === `${name}-st02`);
          return wave.length === 2 ? wave : undefined;
        },
        60_000,
        'both targets of the wave settled',
      );
      assert.deepEqual(
        withdrawn.map((h) => h.outcome),
        ['withdrawn', 'withdrawn'],
      );
      assert.equal(promotionsOf(paused, service).length, 0, 'no promotion posted after the pause');
    } finally {
      await paused.stop();
    }
  });
});
