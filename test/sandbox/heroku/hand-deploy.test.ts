import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Heroku from 'heroku-client';
import { startSandbox, type ArrivedRequest, type Sandbox } from '../../../sandbox/server';
import type { CreatedService } from '../../../sandbox/scenario/scenario';
import { FAST, herokuClient, herokuFailure, settledRelease, until, type Release } from '../support';

/** Releases made by hand whose commit nobody can know (a tarball slug, an OCI image), and watching requests arrive. */
describe('hand-made releases and request arrivals', () => {
  let sandbox: Sandbox;
  let heroku: Heroku;
  let service: CreatedService;
  const [qa, st, eu] = ['hand-qa01', 'hand-st01', 'hand-eu01'];

  before(async () => {
    sandbox = await startSandbox(FAST);
    heroku = herokuClient(sandbox);
    service = await sandbox.scenario.createService({ name: 'hand', repo: 'acme/hand', stages: [qa, st, eu] });
  });
  after(async () => sandbox?.stop());

  test('a tarball deploy runs a slug whose commit and commit description are null', async () => {
    const deployed = await sandbox.scenario.handDeploy('hand', st, { artifact: 'tarball' });
    assert.equal(deployed.sha, null);
    const release = await settledRelease(heroku, st);
    assert.deepEqual(
      [release.id, release.status, release.slug?.id],
      [deployed.releaseId, 'succeeded', deployed.slugId],
    );
    const slug = (await heroku.get(`/apps/${st}/slugs/${deployed.slugId}`)) as {
      commit: string | null;
      commit_description: string | null;
    };
    assert.deepEqual([slug.commit, slug.commit_description], [null, null]);
    const seen = sandbox.scenario.releases(st).at(-1)!;
    assert.deepEqual([seen.version, seen.commit, seen.current], [deployed.version, null, true]);
  });

  test('an image deploy is a release with no slug, whose one artifact is an OCI image', async () => {
    const deployed = await sandbox.scenario.handDeploy('hand', eu, {
      artifact: 'image',
      description: 'hand-built image',
    });
    assert.deepEqual([deployed.sha, deployed.slugId], [null, null]);
    const release = (await settledRelease(heroku, eu)) as Release & { artifacts: { type: string; id: string }[] };
    assert.equal(release.slug, null);
    assert.equal(release.description, 'hand-built image');
    assert.deepEqual(
      release.artifacts.map((a) => a.type),
      ['oci-image'],
    );
    assert.equal(release.eligible_for_rollback, false, 'Heroku rolls back to slugs only');
    assert.equal(sandbox.scenario.releases(eu).at(-1)!.commit, null);
  });

  test('a promotion of an image release is refused: Heroku promotes slugs only', async () => {
    const image = await settledRelease(heroku, eu);
    const failure = await herokuFailure(
      heroku.post('/pipeline-promotions', {
        body: {
          pipeline: { id: service.pipelineId },
          source: { app: { id: service.apps[2].id }, release: { id: image.id } },
          targets: [{ app: { id: service.apps[1].id } }],
        },
      }),
    );
    assert.deepEqual([failure.statusCode, failure.body.id], [422, 'invalid_params']);
    assert.match(failure.body.message, /has no slug/);
  });

  test('handDeploy refuses an app that is not a stage of the service, and an unknown artifact', async () => {
    await sandbox.scenario.createService({
      name: 'hand-two',
      repo: 'acme/hand-two',
      stages: ['hand-two-qa01', 'hand-two-st01'],
    });
    await assert.rejects(
      sandbox.scenario.handDeploy('hand', 'hand-two-qa01', { artifact: 'tarball' }),
      /hand-two-qa01 is not a stage of hand/,
    );
    await assert.rejects(
      sandbox.scenario.handDeploy('hand', st, { artifact: 'zip' as 'tarball' }),
      /artifact: must be tarball or image/,
    );
  });

  test('a stage running a hand-made release cannot be hotfixed: there is no commit to branch from', async () => {
    await assert.rejects(sandbox.scenario.hotfix('hand', st), /hand-st01 runs no commit to hotfix/);
  });

  test('over HTTP: POST /_sandbox/handDeploy', async () => {
    const response = await fetch(`${sandbox.herokuUrl}/_sandbox/handDeploy`, {
      method: 'POST',
      body: JSON.stringify({ service: 'hand', app: qa, artifact: 'tarball' }),
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { sha: null; version: number; slugId: string };
    assert.equal(body.sha, null);
    assert.equal(body.version, sandbox.scenario.releases(qa).at(-1)!.version);
  });

  test('onRequest sees each request as it arrives, a POST before a latency fault delays its handler', async () => {
    const arrived: ArrivedRequest[] = [];
    const stop = sandbox.onRequest((request) => arrived.push(request));
    sandbox.faults.inject({ id: 'slow-post', endpoint: 'POST /pipeline-promotions', kind: 'latency', delayMs: 600 });
    try {
      const source = await settledRelease(heroku, qa);
      const before = sandbox.scenario.promotions().length;
      const body = {
        pipeline: { id: service.pipelineId },
        source: { app: { id: service.apps[0].id }, release: { id: source.id } },
        targets: [{ app: { id: service.apps[1].id } }],
      };
      const sent = Date.now();
      const posting = heroku.post('/pipeline-promotions', { body });
      const post = await until('the POST to arrive', () =>
        arrived.find((r) => r.endpoint === 'POST /pipeline-promotions'),
      );
      assert.ok(post.at - sent < 400, `arrived ${post.at - sent} ms after it was sent`);
      assert.equal(sandbox.scenario.promotions().length, before, 'not created yet: the fault delays the handler');
      await posting;
      const created = sandbox.scenario.promotions().at(-1)!;
      assert.equal(JSON.parse(post.body).source.release.id, created.sourceRelease.id);
      assert.equal(post.path, '/pipeline-promotions');
    } finally {
      sandbox.faults.clear('slow-post');
      stop();
    }
    const count = arrived.length;
    await heroku.get(`/apps/${qa}`);
    assert.equal(arrived.length, count, 'a removed listener hears nothing');
  });
});
