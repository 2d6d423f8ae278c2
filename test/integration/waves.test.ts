import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pausePipeline, promoteManually, resumePipeline, retryRelease } from '../../client/pipelines';
import { startHealthSandbox, type HealthSandbox } from '../../sandbox/health';
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

/** Lets the bake on `app` begin, fails its URL until conveyor holds the app, and answers the status then. */
async function bakeFailsUntilHeld(stack: Stack, health: HealthSandbox, service: Service, app: string) {
  await eventually(
    async () => (await status(stack, service)).inFlight.some((p) => p.to === app && p.outcome === 'verifying'),
    60_000,
    `the bake on ${app}`,
  );
  health.controls.setProbe(app, { status: 503 });
  const held = await eventually(
    async () => {
      const shown = await status(stack, service);
      return shown.held?.[app] ? shown : undefined;
    },
    30_000,
    `${app} held`,
  );
  health.controls.setProbe(app, { status: 200 });
  return held;
}

describe('waves: the apps of a stage promoted together', () => {
  let stack: Stack;
  let health: HealthSandbox;
  before(
    async () => ([stack, health] = await Promise.all([startStack({ promotionDelayMs: 300 }), startHealthSandbox()])),
  );
  after(async () => Promise.all([stack?.stop(), health?.stop()]));

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

  test('a bake failing on one app of a wave holds that app only: its siblings keep the release, the next wave does not get it, earlier stages take a newer one', async () => {
    const name = uniqueName('wavebake');
    const [st01, st02] = [`${name}-st01`, `${name}-st02`];
    health.controls.setProbe(st02, { status: 200 });
    const service = await stack.launch(name, {
      ...threeWaves(name),
      minAge: '1s',
      onFailure: 'pause',
      checks: {
        [st02]: { urls: { urls: [health.probeUrl(st02)], timeoutMs: 1_000, followRedirects: false }, bakeMs: 3_000 },
      },
    });
    const first = await stack.sandbox.scenario.merge(service.pipeline, { message: 'breaks st02' });
    const held = await bakeFailsUntilHeld(stack, health, service, st02);
    assert.equal(held.paused, null, 'the pipeline as a whole is not paused');
    assert.match(
      held.held![st02].reason,
      new RegExp(`verification of ${first.sha.slice(0, 7)} in ${st02} failed .*not rolled back`),
    );
    assert.equal(held.history.find((h) => h.to === st02)?.outcome, 'verification-failed');
    assert.equal(commitOn(stack, st01), first.sha, 'its sibling keeps the release');
    assert.equal(commitOn(stack, st02), first.sha, 'onFailure pause: the app keeps the release, held');
    const holdingNext = held.pairs.find((p) => p.to === `${name}-va01`);
    assert.notEqual(holdingNext?.state, 'ready', 'the next wave does not take the release');

    const second = await stack.sandbox.scenario.merge(service.pipeline, { message: 'the fix' });
    await eventually(async () => commitOn(stack, st01) === second.sha, 60_000, `the fix on ${st01}`);
    const shown = await status(stack, service);
    const intoHeld = shown.pairs.find((p) => p.to === st02);
    assert.ok(
      intoHeld?.verdicts.some((v) => v.gate === 'allow' && !v.ok && v.reason.startsWith(`${st02} held`)),
      `${st02} is held by its own hold: ${JSON.stringify(intoHeld)}`,
    );
    assert.equal(commitOn(stack, st02), first.sha, `nothing goes into ${st02} while it is held`);
    const nextWave = [`${name}-va01`, `${name}-va02`, `${name}-eu01`];
    assert.equal(
      promotionsOf(stack, service).filter((p) => p.targets.some((t) => nextWave.includes(t.app))).length,
      0,
      'nothing reached the next wave',
    );

    await resumePipeline(stack.client, service.name, 'ana', st02);
    await eventually(
      async () => service.stages.every((app) => commitOn(stack, app) === second.sha),
      60_000,
      'the fix on every app once the app is resumed',
    );
    const after = await status(stack, service);
    assert.equal(after.held, undefined);
    assert.equal(after.resumedBy, 'ana');
  });

  test('with onFailure rollback, a bake failing on one app of a wave rolls that app back and holds it; its sibling keeps the release', async () => {
    const name = uniqueName('waveroll');
    const [st01, st02] = [`${name}-st01`, `${name}-st02`];
    health.controls.setProbe(st02, { status: 200 });
    const service = await stack.launch(name, {
      ...threeWaves(name),
      minAge: '1s',
      checks: {
        [st02]: { urls: { urls: [health.probeUrl(st02)], timeoutMs: 1_000, followRedirects: false }, bakeMs: 3_000 },
      },
    });
    const before = commitOn(stack, st02);
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const held = await bakeFailsUntilHeld(stack, health, service, st02);
    assert.equal(held.paused, null, 'the pipeline as a whole is not paused');
    assert.equal(held.history.find((h) => h.to === st02)?.outcome, 'rolled-back');
    assert.match(held.held![st02].reason, /rolled back to v\d+/);
    await eventually(async () => commitOn(stack, st02) === before, 15_000, `${st02} back on its old release`);
    assert.equal(commitOn(stack, st01), merged.sha, 'its sibling keeps the release');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const nextWave = [`${name}-va01`, `${name}-va02`, `${name}-eu01`];
    assert.equal(
      promotionsOf(stack, service).filter((p) => p.targets.some((t) => nextWave.includes(t.app))).length,
      0,
      'nothing reached the next wave',
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
    // One request for the whole wave (as `promote --to a,b` sends): two would race to two passes.
    const asked = { reason: 'hotfix for the incident', by: 'ana', skipGates: false };
    const outcome = await promoteManually(stack.client, service.name, { ...asked, to: [st01, st02] });
    assert.deepEqual(
      [outcome.started, (outcome.targets ?? []).map((o) => [o.to, o.started, o.skippedGates])],
      [
        true,
        [
          [st01, true, ['age']],
          [st02, true, ['age']],
        ],
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
