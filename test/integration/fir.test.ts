// Fir pipelines (OCI images) and expired releases, on the real dev server and the sandbox.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHealthSandbox, type HealthSandbox } from '../../sandbox/health';
import { herokuActivities } from '../../activities/heroku';
import { pausePipeline, resumePipeline } from '../../client/pipelines';
import { herokuClient } from '../../activities/api-clients';
import type { PromotionRequest } from '../../domain/promotion';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const names = (base: string) => {
  const id = Math.random().toString(36).slice(2, 6);
  return ['qa01', 'st01', 'eu01'].map((stage) => `${base}-${id}-${stage}`);
};

describe('Fir pipelines', () => {
  let stack: Stack;
  let health: HealthSandbox;
  /** Runs right before the promote activity, e.g. to let Heroku's retention destroy the source meanwhile. */
  const beforePromote = new Map<string, (request: PromotionRequest) => void>();

  before(async () => {
    [stack, health] = await Promise.all([
      startStack({
        wrapActivities: (activities) => ({
          ...activities,
          async promote(request) {
            beforePromote.get(request.sourceReleaseId)?.(request);
            return activities.promote(request);
          },
        }),
      }),
      startHealthSandbox(),
    ]);
  });
  after(async () => Promise.all([stack?.stop(), health?.stop()]));

  /** Counts the POSTs of promotions naming `releaseId` as their source, accepted or refused, until `stop`. */
  function postsOf(releaseId: string): { count: () => number; stop: () => void } {
    let posts = 0;
    const stop = stack.sandbox.onRequest(({ endpoint, body }) => {
      if (endpoint === 'POST /pipeline-promotions' && body.includes(releaseId)) posts++;
    });
    return { count: () => posts, stop };
  }

  test('a merge on a three-app Fir pipeline reaches the last app with one promotion per hop', async () => {
    const service = await stack.launch('fir-flow', {
      stages: names('fir-flow'),
      minAge: '0s',
      tick: '500ms',
      generation: 'fir',
    });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'the image on every stage',
    );
    const promotions = stack.sandbox.scenario.promotions().filter((p) => p.pipeline === service.pipeline);
    assert.deepEqual(
      promotions.map((p) => [p.source, p.targets.map((t) => t.app).join(), p.commit]),
      [
        [service.stages[0], service.stages[1], merged.sha],
        [service.stages[1], service.stages[2], merged.sha],
      ],
    );
    const seen = await status(stack, service);
    assert.equal(seen.generation, 'fir');
    assert.deepEqual(
      seen.stages.map((s) => s.artifact),
      service.stages.map(() => ({ type: 'oci-image', id: merged.ociImageId })),
    );
    assert.ok(
      stack.sandbox.scenario.releases(service.stages[2]).every((r) => r.slugId === null),
      'no slug anywhere',
    );
  });

  test('a Fir target running an image without a commit is not overwritten', async () => {
    const service = await stack.launch('fir-hand', {
      stages: names('fir-hand'),
      minAge: '0s',
      tick: '500ms',
      generation: 'fir',
    });
    const hand = await stack.sandbox.scenario.handDeploy(service.pipeline, service.stages[1], { artifact: 'image' });
    await pause(1_000);
    await stack.sandbox.scenario.merge(service.pipeline);
    const held = await eventually(
      async () => (await status(stack, service)).pairs[0]?.verdicts.find((v) => v.gate === 'forward' && !v.ok),
      30_000,
      'held by forward',
    );
    assert.equal(
      held.reason,
      `${service.stages[1]} runs v${hand.version} whose commit is unknown: promote by hand (--skip-gates) to overwrite it`,
    );
    await pause(2_000);
    assert.equal(stack.sandbox.scenario.promotions().filter((p) => p.source === service.stages[0]).length, 0);
  });

  for (const generation of ['fir', 'cedar'] as const)
    test(`${generation}: a soaked release that expires before its POST is skipped for the newest unexpired soaked one, posted once`, async () => {
      const service = await stack.launch(`${generation}-expire`, {
        stages: names(`${generation}-expire`).slice(0, 2),
        minAge: '8s',
        tick: '300ms',
        generation,
      });
      await pausePipeline(stack.client, service.name, { reason: 'set up', by: 'test' });
      const older = await stack.sandbox.scenario.merge(service.pipeline);
      await pause(9_000);
      const soaked = await stack.sandbox.scenario.merge(service.pipeline);
      await pause(9_000);
      await stack.sandbox.scenario.merge(service.pipeline); // not soaked for another 8 s when the pipeline resumes
      // Heroku's retention destroys the newest soaked slug or image between the observation and the POST.
      beforePromote.set(soaked.releaseId, () =>
        stack.sandbox.scenario.expireRelease(service.stages[0], soaked.version),
      );
      const posts = postsOf(soaked.releaseId);
      await resumePipeline(stack.client, service.name, 'test');
      const refused = await eventually(
        async () => (await status(stack, service)).history.find((h) => h.sourceVersion === soaked.version),
        30_000,
        'the refused promotion in history',
      );
      assert.equal(refused.outcome, 'not-posted', 'a refusal is not a failed release');
      assert.match(refused.error ?? '', new RegExp(`^v${soaked.version} expired on ${service.stages[0]}`));
      const instead = await eventually(
        async () => stack.sandbox.scenario.promotions().find((p) => p.pipeline === service.pipeline),
        30_000,
        'a promotion of another release',
      );
      assert.equal(instead.sourceRelease.version, older.version, 'the newest unexpired soaked release went instead');
      await pause(2_000);
      posts.stop();
      assert.equal(posts.count(), 1, 'the expired release was posted once, never again');
      assert.deepEqual((await status(stack, service)).stages[1].status, 'succeeded');
    });

  test('with every release of the source expired the pair holds saying what to do; a later merge still goes through', async () => {
    const service = await stack.launch('fir-none', {
      stages: names('fir-none').slice(0, 2),
      minAge: '0s',
      tick: '300ms',
      generation: 'fir',
    });
    await pausePipeline(stack.client, service.name, { reason: 'set up', by: 'test' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => stack.sandbox.scenario.releases(service.stages[0]).at(-1)?.status === 'succeeded',
      10_000,
      'the merge released',
    );
    stack.sandbox.scenario.expireRelease(service.stages[0], merged.version);
    await resumePipeline(stack.client, service.name, 'test');
    const held = await eventually(
      async () => (await status(stack, service)).pairs.find((p) => p.state === 'held'),
      30_000,
      'the pair held',
    );
    assert.equal(held.reason, `v${merged.version} expired on ${service.stages[0]}: merge again or promote by hand`);
    await pause(1_500);
    assert.equal(
      stack.sandbox.scenario.promotions().filter((p) => p.pipeline === service.pipeline).length,
      0,
      'nothing posted',
    );
    const next = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => ((await commitsByStage(stack, service))[1] === next.sha ? true : undefined),
      30_000,
      'the next merge on the second stage',
    );
  });

  test('a rollback on Fir puts back the previous image', async () => {
    health.controls.setProbe('fir-bake', { status: 200 });
    const service = await stack.launch('fir-back', {
      stages: names('fir-back').slice(0, 2),
      minAge: '0s',
      generation: 'fir',
      checks: {
        '*': { urls: { urls: [health.probeUrl('fir-bake')], timeoutMs: 1_000, followRedirects: false }, bakeMs: 4_000 },
      },
    });
    const [before] = stack.sandbox.scenario.releases(service.stages[1]);
    await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await status(stack, service)).inFlight.some((p) => p.outcome === 'verifying'),
      30_000,
      'the bake to start',
    );
    health.controls.setProbe('fir-bake', { status: 503 });
    const rolledBack = await eventually(
      async () => (await status(stack, service)).history.find((h) => h.outcome === 'rolled-back'),
      30_000,
      'the rollback',
    );
    assert.equal(rolledBack.previous?.artifactId, before.ociImageId);
    const newest = stack.sandbox.scenario.releases(service.stages[1]).at(-1)!;
    assert.deepEqual([newest.ociImageId, newest.commit], [before.ociImageId, before.commit]);
    assert.match(newest.description, /^Rollback to v1$/);
  });

  test('a rollback to an expired release fails at once, saying so, and is never retried', async () => {
    const service = await stack.prepare('fir-gone', { stages: names('fir-gone').slice(0, 2), generation: 'fir' });
    const [first] = stack.sandbox.scenario.releases(service.stages[1]);
    await stack.sandbox.scenario.handDeploy(service.pipeline, service.stages[1], { artifact: 'image' });
    await eventually(
      async () => stack.sandbox.scenario.releases(service.stages[1]).at(-1)?.status === 'succeeded',
      10_000,
      'the newer release running',
    );
    stack.sandbox.scenario.expireRelease(service.stages[1], first.version);
    const heroku = herokuActivities(herokuClient(stack.sandbox.herokuUrl, stack.sandbox.token));
    await assert.rejects(
      heroku.rollback({ app: service.stages[1], releaseId: first.id, artifactId: first.ociImageId }),
      (error: { type?: string; nonRetryable?: boolean; message: string }) => {
        assert.deepEqual([error.type, error.nonRetryable], ['ReleaseExpired', true]);
        assert.equal(
          error.message,
          `v1 expired on ${service.stages[1]}: Heroku deleted its image, so it cannot be rolled back to`,
        );
        return true;
      },
    );
  });
});
