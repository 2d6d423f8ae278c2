import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Heroku from 'heroku-client';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import type { CreatedService } from '../../../sandbox/scenario/scenario';
import { FAST, herokuClient, herokuFailure, settledRelease, until, type Release } from '../support';

type FirRelease = Release & { artifacts: { type: string; id: string }[] };
interface OciImage {
  id: string;
  commit: string;
  digest: string;
  deleted_at: string | null;
}

const SDK = { Accept: 'application/vnd.heroku+json; version=3.sdk' };

/** Heroku's Fir generation: OCI images instead of slugs, one generation per pipeline, artifact retention. */
describe('Fir pipelines, OCI images and expired releases', () => {
  let sandbox: Sandbox;
  let heroku: Heroku;
  let service: CreatedService;
  const [qa, st, eu] = ['fir-qa01', 'fir-st01', 'fir-eu01'];

  const release = async (app: string, id: string) => (await heroku.get(`/apps/${app}/releases/${id}`)) as FirRelease;
  const image = async (app: string, id: string) =>
    ((await heroku.get(`/apps/${app}/oci-images/${id}`)) as OciImage[])[0];
  async function promote(sourceReleaseId: string, to: number) {
    return (await heroku.post('/pipeline-promotions', {
      body: {
        pipeline: { id: service.pipelineId },
        source: { app: { id: service.apps[0].id }, release: { id: sourceReleaseId } },
        targets: [{ app: { id: service.apps[to].id } }],
      },
    })) as { id: string };
  }

  before(async () => {
    sandbox = await startSandbox(FAST);
    heroku = herokuClient(sandbox);
    service = await sandbox.scenario.createService({
      name: 'fir',
      repo: 'acme/fir',
      stages: [qa, st, eu],
      generation: 'fir',
    });
  });
  after(async () => sandbox?.stop());

  test('the pipeline and its apps are of the fir generation', async () => {
    const pipeline = (await heroku.get('/pipelines/fir')) as { generation: { name: string } };
    const app = (await heroku.get(`/apps/${st}`)) as { generation: { name: string } };
    assert.deepEqual([pipeline.generation.name, app.generation.name], ['fir', 'fir']);
    const cedar = await sandbox.scenario.createService({
      name: 'cedar',
      repo: 'acme/cedar',
      stages: ['cedar-qa01', 'cedar-st01'],
    });
    assert.equal(
      ((await heroku.get(`/pipelines/${cedar.pipelineId}`)) as { generation: { name: string } }).generation.name,
      'cedar',
    );
  });

  test('a merge releases an OCI image: no slug, one oci-image artifact whose [0].commit is the merged sha', async () => {
    const merged = await sandbox.scenario.merge('fir');
    await settledRelease(heroku, qa);
    const found = await release(qa, merged.releaseId);
    assert.deepEqual([found.slug, found.artifacts], [null, [{ type: 'oci-image', id: merged.ociImageId }]]);
    const built = await image(qa, merged.ociImageId!);
    assert.equal(built.commit, merged.sha);
    assert.equal((await image(qa, built.digest)).id, built.id, 'found by digest too');
    assert.equal((await herokuFailure(heroku.get(`/apps/${qa}/oci-images/${service.apps[0].id}`))).statusCode, 404);
  });

  test('a promotion runs the very same image on the target', async () => {
    const source = await settledRelease(heroku, qa);
    const promotion = await promote(source.id, 1);
    const target = await until('the target release', async () => {
      const [t] = (await heroku.get(`/pipeline-promotions/${promotion.id}/promotion-targets`)) as {
        status: string;
        release: { id: string } | null;
      }[];
      return (t.status === 'succeeded' && t.release) || undefined;
    });
    const promoted = await release(st, target.id);
    assert.deepEqual(promoted.artifacts, (await release(qa, source.id)).artifacts);
    assert.equal((await image(st, promoted.artifacts[0].id)).commit.length, 40, 'the target sees the image too');
  });

  test('coupling an app of the other generation is refused; one of the same generation is coupled', async () => {
    const cedarApp = sandbox.scenario.createApp('lone-cedar');
    const refused = await herokuFailure(
      heroku.post('/pipeline-couplings', {
        body: { app: cedarApp.id, pipeline: service.pipelineId, stage: 'production' },
      }),
    );
    assert.equal(refused.statusCode, 422);
    assert.match(refused.body.message, /same generation/);
    const firApp = sandbox.scenario.createApp('lone-fir', 'fir');
    const coupled = (await heroku.post('/pipeline-couplings', {
      body: { app: firApp.name, pipeline: service.pipelineId, stage: 'production' },
    })) as { stage: string };
    assert.equal(coupled.stage, 'production');
  });

  test('an image pushed by hand has an empty commit; a tarball slug cannot be deployed on Fir', async () => {
    const deployed = await sandbox.scenario.handDeploy('fir', eu, { artifact: 'image' });
    await settledRelease(heroku, eu);
    assert.equal((await image(eu, deployed.ociImageId!)).commit, '');
    await assert.rejects(sandbox.scenario.handDeploy('fir', eu, { artifact: 'tarball' }), /runs OCI images/);
  });

  test('rollback puts the earlier image back', async () => {
    const [before] = sandbox.scenario.releases(eu).filter((r) => r.version === 1);
    const back = (await heroku.post(`/apps/${eu}/releases`, { body: { release: before.id } })) as FirRelease;
    assert.deepEqual(back.artifacts, [{ type: 'oci-image', id: before.ociImageId }]);
    assert.equal(back.description, 'Rollback to v1');
  });

  test('an expired release shows expired, cannot be promoted by id nor rolled back to, and keeps running', async () => {
    const merged = await sandbox.scenario.merge('fir');
    await settledRelease(heroku, qa);
    const older = sandbox.scenario.releases(qa).find((r) => r.version === merged.version - 1)!;
    sandbox.scenario.expireRelease(qa, older.version);
    sandbox.scenario.expireRelease(qa, merged.version);
    const expired = await release(qa, merged.releaseId);
    assert.deepEqual([expired.status, expired.current, expired.eligible_for_rollback], ['expired', true, false]);
    assert.notEqual((await image(qa, merged.ociImageId!)).deleted_at, null);
    const promotion = await herokuFailure(promote(merged.releaseId, 1));
    assert.equal(promotion.statusCode, 422);
    assert.match(promotion.body.message, /expired/);
    const rollback = await herokuFailure(heroku.post(`/apps/${qa}/releases`, { body: { release: older.id } }));
    assert.equal(rollback.statusCode, 422);
    assert.match(rollback.body.message, /expired/);
  });

  test('GET /generations/{name} with the 3.sdk variant tells what Fir does not support', async () => {
    const fir = (await heroku.request({ method: 'GET', path: '/generations/fir', headers: SDK })) as {
      unsupported_features: string[];
    };
    assert.ok(fir.unsupported_features.includes('preboot'));
    const cedar = (await heroku.request({ method: 'GET', path: '/generations/cedar', headers: SDK })) as {
      unsupported_features: string[];
    };
    assert.deepEqual(cedar.unsupported_features, []);
    assert.equal('unsupported_features' in ((await heroku.get('/generations/fir')) as object), false);
    assert.equal((await herokuFailure(heroku.get('/generations/aspen'))).statusCode, 404);
  });
});
