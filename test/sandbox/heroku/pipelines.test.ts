import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Heroku from 'heroku-client';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import type { CreatedService } from '../../../sandbox/scenario/scenario';
import { FAST, herokuClient, type Release } from '../support';

interface Coupling {
  id: string;
  app: { id: string };
  pipeline: { id: string };
  stage: string;
}

describe('pipelines, couplings and latest releases through heroku-client', () => {
  let sandbox: Sandbox;
  let heroku: Heroku;
  let service: CreatedService;
  const stages = ['shop-qa01', 'shop-st01', 'shop-va01', 'shop-eu01'];

  before(async () => {
    sandbox = await startSandbox(FAST);
    heroku = herokuClient(sandbox);
    service = await sandbox.scenario.createService({ name: 'shop', repo: 'acme/shop', stages });
  });
  after(async () => sandbox?.stop());

  test('a pipeline is found by name and by id', async () => {
    const byName = await heroku.get('/pipelines/shop');
    const byId = await heroku.get(`/pipelines/${service.pipelineId}`);
    assert.equal(byName.id, service.pipelineId);
    assert.deepEqual(byId, byName);
  });

  test("a pipeline's couplings list every app: the first two staging, the rest production", async () => {
    const couplings: Coupling[] = await heroku.get(`/pipelines/${service.pipelineId}/pipeline-couplings`);
    const stageOf = new Map(couplings.map((c) => [c.app.id, c.stage]));
    assert.deepEqual(
      service.apps.map((app) => stageOf.get(app.id)),
      ['staging', 'staging', 'production', 'production'],
    );
    assert.ok(couplings.every((c) => c.pipeline.id === service.pipelineId));
  });

  test('a two-app pipeline couples staging, then production', async () => {
    const pair = await sandbox.scenario.createService({
      name: 'pair',
      repo: 'acme/pair',
      stages: ['pair-st01', 'pair-eu01'],
    });
    const couplings: Coupling[] = await heroku.get(`/pipelines/${pair.pipelineId}/pipeline-couplings`);
    const stageOf = new Map(couplings.map((c) => [c.app.id, c.stage]));
    assert.deepEqual(
      pair.apps.map((app) => stageOf.get(app.id)),
      ['staging', 'production'],
    );
  });

  test("an app's pipeline-couplings is one object, not a list", async () => {
    const coupling: Coupling = await heroku.get('/apps/shop-va01/pipeline-couplings');
    assert.equal(Array.isArray(coupling), false);
    assert.equal(coupling.app.id, service.apps[2].id);
    assert.equal(coupling.pipeline.id, service.pipelineId);
  });

  test('latest-releases answers the newest release of every coupled app, whatever its status', async () => {
    const merged = await sandbox.scenario.merge('shop');
    const latest: Release[] = await heroku.get(`/pipelines/${service.pipelineId}/latest-releases`);
    assert.deepEqual(latest.map((r) => r.app.name).sort(), [...stages].sort());
    const first = latest.find((r) => r.app.name === stages[0])!;
    assert.equal(first.id, merged.releaseId);
    assert.equal(first.status, 'pending');
    assert.ok(latest.filter((r) => r !== first).every((r) => r.version === 1 && r.status === 'succeeded'));
  });

  test('every app starts on one succeeded release of the same slug, built from the initial commit', async () => {
    const firsts: Release[] = await Promise.all(stages.map((app) => heroku.get(`/apps/${app}/releases/1`)));
    assert.ok(
      firsts.every((r) => r.status === 'succeeded'),
      'every first release succeeded',
    );
    assert.equal(new Set(firsts.map((r) => r.slug!.id)).size, 1);
    const slug = await heroku.get(`/apps/${stages[3]}/slugs/${firsts[0].slug!.id}`);
    assert.equal(slug.commit, service.commit);
  });

  test('an app is found by name and by id', async () => {
    const byName = await heroku.get('/apps/shop-st01');
    const byId = await heroku.get(`/apps/${service.apps[1].id}`);
    assert.equal(byName.id, service.apps[1].id);
    assert.equal(byId.name, 'shop-st01');
  });

  test('ids are UUIDs and timestamps are whole-second UTC, as Heroku writes them', async () => {
    const release: Release = await heroku.get('/apps/shop-qa01/releases/1');
    assert.match(release.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(release.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });
});
