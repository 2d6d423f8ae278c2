import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Heroku from 'heroku-client';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { newId } from '../../sandbox/ids';
import { Store, type AppRecord, type ReleaseRecord, type SandboxState } from '../../sandbox/store';
import { FAST, herokuClient, until, type PromotionTarget } from './support';

// The store indexes apps, couplings, releases, webhooks and the like so a look-up does not read every
// record it holds. These tests hold the indexes to what reading every record answers.

/** What the store answered before it had indexes: every record read, in the order stored. */
const scan = (state: SandboxState) => ({
  app: (name: string) => Object.values(state.apps).find((a) => a.name === name),
  releasesOf: (appId: string) =>
    Object.values(state.releases)
      .filter((r) => r.appId === appId)
      .sort((a, b) => a.version - b.version),
  couplingsOf: (pipelineId: string) => Object.values(state.couplings).filter((c) => c.pipelineId === pipelineId),
  couplingOfApp: (appId: string) => Object.values(state.couplings).find((c) => c.appId === appId),
  webhooksOf: (appId: string) => Object.values(state.webhooks).filter((w) => w.appId === appId),
  deliveriesOf: (appId: string) => Object.values(state.webhookDeliveries).filter((d) => d.appId === appId),
  eventsOf: (appId: string) => Object.values(state.webhookEvents).filter((e) => e.appId === appId),
  formationsOf: (appId: string) =>
    Object.values(state.formations)
      .filter((f) => f.appId === appId)
      .sort((a, b) => a.type.localeCompare(b.type)),
  targetsOf: (promotionId: string) =>
    Object.values(state.promotionTargets).filter((t) => t.promotionId === promotionId),
});

const ids = (records: { id: string }[]) => records.map((r) => r.id);
/** The API's lists are ordered by their Range field (id by default), not in the order stored. */
const sortedIds = (records: { id: string }[]) => ids(records).sort();

describe('the sandbox store', () => {
  const app = (name: string): AppRecord => ({
    id: newId(),
    name,
    webSuffix: 'abc123',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  });
  const release = (appId: string, version: number): ReleaseRecord => ({
    id: newId(),
    appId,
    version,
    slugId: null,
    description: `v${version}`,
    status: 'succeeded',
    phaseError: null,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  });

  test('finds an app by name, and by name no more once it is stored under another', () => {
    const store = new Store();
    const first = app('api-qa01');
    store.put('apps', first);
    store.put('apps', app('api-st01'));
    assert.equal(store.app('api-qa01'), first);
    const renamed = { ...first, name: 'api-qa02' };
    store.put('apps', renamed);
    assert.equal(store.app('api-qa01'), undefined);
    assert.equal(store.app('api-qa02'), renamed);
    assert.equal(store.app(first.id), renamed);
  });

  test("lists an app's releases as reading them all does, through stores, removals and stores again", () => {
    const store = new Store();
    const a = app('a-qa01');
    const b = app('b-qa01');
    store.put('apps', a);
    store.put('apps', b);
    const made = [release(a.id, 2), release(b.id, 1), release(a.id, 1), release(a.id, 3)];
    for (const r of made) store.put('releases', r);
    store.remove('releases', made[0].id);
    store.put('releases', made[0]);
    store.put('releases', { ...made[2], description: 'again' });
    store.remove('releases', newId());
    const reference = scan(store.state);
    for (const appId of [a.id, b.id, newId()]) assert.deepEqual(store.releasesOf(appId), reference.releasesOf(appId));
    assert.equal(store.latestRelease(a.id)?.version, 3);
    assert.equal(store.releasesOf(a.id).find((r) => r.version === 1)?.description, 'again');
  });

  test('a store made from a state answers as the store the state came from', () => {
    const store = new Store();
    const a = app('a-qa01');
    store.put('apps', a);
    store.put('releases', release(a.id, 1));
    store.put('releases', release(a.id, 2));
    const again = new Store(structuredClone(store.state));
    assert.deepEqual(again.app('a-qa01'), a);
    assert.deepEqual(ids(again.releasesOf(a.id)), ids(store.releasesOf(a.id)));
  });

  describe('behind the Platform API, after services, subscriptions, deliveries, promotions and a recreated pipeline', () => {
    let sandbox: Sandbox;
    let heroku: Heroku;

    before(async () => {
      sandbox = await startSandbox(FAST);
      heroku = herokuClient(sandbox);
      const one = await sandbox.scenario.createService({
        name: 'one',
        repo: 'acme/one',
        stages: ['one-qa01', 'one-st01', 'one-eu01'],
      });
      await sandbox.scenario.createService({ name: 'two', repo: 'acme/two', stages: ['two-qa01', 'two-eu01'] });
      const loose = sandbox.scenario.createApp('loose-app');
      const pipeline: { id: string } = await heroku.get('/pipelines/two');
      await heroku.post('/pipeline-couplings', {
        body: { app: loose.name, pipeline: pipeline.id, stage: 'production' },
      });
      const hook = { include: ['api:release'], level: 'notify', url: 'http://127.0.0.1:9/hooks' };
      const kept: { id: string } = await heroku.post('/apps/one-qa01/webhooks', { body: hook });
      const dropped: { id: string } = await heroku.post('/apps/one-st01/webhooks', { body: hook });
      await heroku.post('/apps/one-st01/webhooks', { body: { ...hook, url: 'http://127.0.0.1:9/other' } });
      await heroku.delete(`/apps/one-st01/webhooks/${dropped.id}`);
      await heroku.patch(`/apps/one-qa01/webhooks/${kept.id}`, { body: { level: 'sync' } });
      sandbox.scenario.setFormation('one-eu01', { worker: 2 });
      sandbox.scenario.setFormation('one-eu01', { worker: null, clock: 1 });
      await sandbox.scenario.merge('one');
      const source = await until('the merge to succeed', () =>
        sandbox.scenario.releases('one-qa01').find((r) => r.version === 2 && r.status === 'succeeded'),
      );
      const promotion: { id: string } = await heroku.post('/pipeline-promotions', {
        body: {
          pipeline: { id: one.pipelineId },
          source: { app: { id: one.apps[0].id }, release: { id: source.id } },
          targets: [{ app: { id: one.apps[1].id } }, { app: { id: one.apps[2].id } }],
        },
      });
      await until('the promotion to settle', async () =>
        ((await heroku.get(`/pipeline-promotions/${promotion.id}/promotion-targets`)) as PromotionTarget[]).every(
          (t) => t.status === 'succeeded',
        ),
      );
      sandbox.scenario.recreatePipeline('one');
    });
    after(async () => sandbox?.stop());

    test('every list the API answers holds the records reading every record finds', async () => {
      const state = sandbox.scenario.snapshot();
      const reference = scan(state);
      assert.ok(Object.keys(state.webhookDeliveries).length > 0, 'the merge and the promotion were delivered');
      for (const found of Object.values(state.apps)) {
        const path = `/apps/${found.name}`;
        assert.equal(((await heroku.get(path)) as { id: string }).id, reference.app(found.name)?.id);
        assert.deepEqual(
          sortedIds(await heroku.get(`${path}/releases`)),
          sortedIds(reference.releasesOf(found.id)),
          path,
        );
        assert.deepEqual(
          sortedIds(await heroku.get(`${path}/webhooks`)),
          sortedIds(reference.webhooksOf(found.id)),
          path,
        );
        assert.deepEqual(
          sortedIds(await heroku.get(`${path}/webhook-deliveries`)),
          sortedIds(reference.deliveriesOf(found.id)),
        );
        assert.deepEqual(
          sortedIds(await heroku.get(`${path}/webhook-events`)),
          sortedIds(reference.eventsOf(found.id)),
          path,
        );
        assert.deepEqual(
          sortedIds(await heroku.get(`${path}/formation`)),
          sortedIds(reference.formationsOf(found.id)),
          path,
        );
        const coupling: { id: string } = await heroku.get(`${path}/pipeline-couplings`);
        assert.equal(coupling.id, reference.couplingOfApp(found.id)?.id, path);
      }
      for (const pipeline of Object.values(state.pipelines)) {
        const couplings = await heroku.get(`/pipelines/${pipeline.id}/pipeline-couplings`);
        assert.deepEqual(sortedIds(couplings), sortedIds(reference.couplingsOf(pipeline.id)), pipeline.name);
      }
      for (const promotion of Object.values(state.promotions)) {
        const targets = await heroku.get(`/pipeline-promotions/${promotion.id}/promotion-targets`);
        assert.deepEqual(sortedIds(targets), sortedIds(reference.targetsOf(promotion.id)));
      }
    });

    test("a recreated pipeline's name finds the new pipeline, and its couplings are the new pipeline's", async () => {
      const state = sandbox.scenario.snapshot();
      const named = Object.values(state.pipelines).filter((p) => p.name === 'one');
      assert.equal(named.length, 1);
      assert.equal(((await heroku.get('/pipelines/one')) as { id: string }).id, named[0].id);
      const coupling: { pipeline: { id: string } } = await heroku.get('/apps/one-qa01/pipeline-couplings');
      assert.equal(coupling.pipeline.id, named[0].id);
    });
  });
});
