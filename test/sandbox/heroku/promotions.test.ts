import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Heroku from 'heroku-client';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import type { CreatedService } from '../../../sandbox/scenario/scenario';
import {
  FAST,
  herokuClient,
  herokuFailure,
  settledRelease,
  until,
  type PromotionTarget,
  type Release,
} from '../support';

interface Promotion {
  id: string;
  pipeline: { id: string };
  source: { app: { id: string }; release: { id: string } };
  status: 'pending' | 'completed';
}

describe('pipeline promotions through heroku-client', () => {
  let sandbox: Sandbox;
  let heroku: Heroku;
  let service: CreatedService;
  let other: CreatedService;
  const [qa, st, va] = ['promo-qa01', 'promo-st01', 'promo-va01'];

  const targetsOf = (promotion: Promotion): Promise<PromotionTarget[]> =>
    heroku.get(`/pipeline-promotions/${promotion.id}/promotion-targets`);
  const promote = (source: Release, targets: number[]): Promise<Promotion> =>
    heroku.post('/pipeline-promotions', {
      body: {
        pipeline: { id: service.pipelineId },
        source: { app: { id: source.app.id }, release: { id: source.id } },
        targets: targets.map((i) => ({ app: { id: service.apps[i].id } })),
      },
    });

  before(async () => {
    sandbox = await startSandbox(FAST);
    heroku = herokuClient(sandbox);
    service = await sandbox.scenario.createService({ name: 'promo', repo: 'acme/promo', stages: [qa, st, va] });
    other = await sandbox.scenario.createService({
      name: 'elsewhere',
      repo: 'acme/elsewhere',
      stages: ['elsewhere-qa01', 'elsewhere-st01'],
    });
  });
  after(async () => sandbox?.stop());

  test('a promotion is pending, then completed, and its target runs the source slug in a new release', async () => {
    const merged = await sandbox.scenario.merge('promo');
    const source = await settledRelease(heroku, qa);
    const promotion = await promote(source, [1]);
    assert.equal(promotion.status, 'pending');
    assert.deepEqual(promotion.source, { app: { id: service.apps[0].id }, release: { id: source.id } });
    const [pending] = await targetsOf(promotion);
    assert.deepEqual([pending.status, pending.release, pending.error_message], ['pending', null, null]);

    const [done] = await until('the target to succeed', async () => {
      const targets = await targetsOf(promotion);
      return targets[0].status === 'succeeded' && targets;
    });
    assert.equal((await heroku.get(`/pipeline-promotions/${promotion.id}`)).status, 'completed');
    const release: Release = await heroku.get(`/apps/${st}/releases/${done.release!.id}`);
    assert.equal(release.slug?.id, merged.slugId);
    assert.equal(release.version, 2);
    assert.equal(release.current, true);
    assert.equal(release.description, `Promote ${qa} v${source.version} ${merged.sha.slice(0, 7)}`);
  });

  test("a promotion without a source release promotes the source app's current release", async () => {
    const current = await settledRelease(heroku, qa);
    const promotion: Promotion = await heroku.post('/pipeline-promotions', {
      body: {
        pipeline: { id: service.pipelineId },
        source: { app: { id: service.apps[0].id } },
        targets: [{ app: { id: service.apps[2].id } }],
      },
    });
    assert.equal(promotion.source.release.id, current.id);
    await until('the target to succeed', async () => (await targetsOf(promotion))[0].status === 'succeeded');
  });

  test('a failed release phase fails the promotion target with its error message', async () => {
    sandbox.scenario.setReleasePhase(st, { fail: 'Release command failed' });
    await sandbox.scenario.merge('promo');
    const promotion = await promote(await settledRelease(heroku, qa), [1]);
    const [target] = await until('the target to fail', async () => {
      const targets = await targetsOf(promotion);
      return targets[0].status === 'failed' && targets;
    });
    sandbox.scenario.setReleasePhase(st, {});
    assert.equal(target.error_message, 'Release command failed');
    const release: Release = await heroku.get(`/apps/${st}/releases/${target.release!.id}`);
    assert.equal(release.status, 'failed');
    assert.equal((await heroku.get(`/pipeline-promotions/${promotion.id}`)).status, 'completed');
  });

  test('promotions() tells each posted promotion with app names and target outcomes', async () => {
    const promotions = sandbox.scenario.promotions();
    assert.deepEqual(
      promotions.map((p) => [p.source, p.targets.map((t) => `${t.app}:${t.status}`).join(',')]),
      [
        [qa, `${st}:succeeded`],
        [qa, `${va}:succeeded`],
        [qa, `${st}:failed`],
      ],
    );
    assert.equal(promotions[2].targets[0].errorMessage, 'Release command failed');
  });

  test('a promotion with several targets gives each its own release of the source slug, each settling on its own', async () => {
    // Heroku's model: one promotion may target several apps (the apps of a downstream stage).
    const merged = await sandbox.scenario.merge('promo');
    sandbox.scenario.setReleasePhase(va, { fail: 'Release command failed' });
    const promotion = await promote(await settledRelease(heroku, qa), [1, 2]);
    const targets = await until('both targets to settle', async () => {
      const found = await targetsOf(promotion);
      return found.every((t) => t.status !== 'pending') && found;
    });
    sandbox.scenario.setReleasePhase(va, {});
    const byApp = new Map(targets.map((t) => [t.app.id, t]));
    const [toSt, toVa] = [byApp.get(service.apps[1].id)!, byApp.get(service.apps[2].id)!];
    assert.deepEqual([toSt.status, toVa.status, toVa.error_message], ['succeeded', 'failed', 'Release command failed']);
    assert.notEqual(toSt.release!.id, toVa.release!.id);
    const released: Release = await heroku.get(`/apps/${st}/releases/${toSt.release!.id}`);
    assert.equal(released.slug?.id, merged.slugId);
    assert.equal((await heroku.get(`/apps/${va}/releases/${toVa.release!.id}`)).slug?.id, merged.slugId);
    assert.deepEqual(
      sandbox.scenario
        .promotions()
        .at(-1)!
        .targets.map((t) => `${t.app}:${t.status}`),
      [`${st}:succeeded`, `${va}:failed`],
    );
  });

  test('a promotion naming one target twice is 422 invalid_params', async () => {
    const failure = await herokuFailure(promote(await settledRelease(heroku, qa), [1, 1]));
    assert.equal(failure.statusCode, 422);
    assert.equal(failure.body.id, 'invalid_params');
  });

  test('a promotion without targets is 422 invalid_params', async () => {
    const source = await settledRelease(heroku, qa);
    const failure = await herokuFailure(promote(source, []));
    assert.equal(failure.statusCode, 422);
    assert.equal(failure.body.id, 'invalid_params');
  });

  test("a target outside the promotion's pipeline is 422 invalid_params", async () => {
    const source = await settledRelease(heroku, qa);
    const failure = await herokuFailure(
      heroku.post('/pipeline-promotions', {
        body: {
          pipeline: { id: service.pipelineId },
          source: { app: { id: source.app.id } },
          targets: [{ app: { id: other.apps[1].id } }],
        },
      }),
    );
    assert.equal(failure.statusCode, 422);
    assert.match(failure.body.message, /elsewhere-st01 is not in pipeline promo/);
  });

  test('a source release that has not succeeded is 422 invalid_params', async () => {
    const merged = await sandbox.scenario.merge('promo');
    const pending: Release = await heroku.get(`/apps/${qa}/releases/${merged.releaseId}`);
    const failure = await herokuFailure(promote(pending, [1]));
    assert.equal(failure.statusCode, 422);
    assert.match(failure.body.message, /is pending, not succeeded/);
    await settledRelease(heroku, qa);
  });

  test('a body that is not JSON is 400 bad_request', async () => {
    const response = await fetch(`${sandbox.herokuUrl}/pipeline-promotions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sandbox.token}`, 'Content-Type': 'application/json' },
      body: '{"pipeline":',
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { id: string }).id, 'bad_request');
  });

  test('an unknown promotion is 404 not_found', async () => {
    const failure = await herokuFailure(
      heroku.get('/pipeline-promotions/00000000-0000-4000-8000-000000000000/promotion-targets'),
    );
    assert.equal(failure.statusCode, 404);
    assert.equal(failure.body.id, 'not_found');
  });
});
