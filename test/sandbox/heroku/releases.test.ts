import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Heroku from 'heroku-client';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import { FAST, herokuClient, herokuFailure, seen, settledRelease, type Release } from '../support';

const versions = (releases: Release[]) => releases.map((r) => r.version);
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('releases through heroku-client', () => {
  let sandbox: Sandbox;
  let heroku: Heroku;

  before(async () => {
    sandbox = await startSandbox(FAST);
    heroku = herokuClient(sandbox);
    await sandbox.scenario.createService({ name: 'rel', repo: 'acme/rel', stages: ['rel-qa01', 'rel-st01'] });
    await sandbox.scenario.createService({ name: 'many', repo: 'acme/many', stages: ['many-qa01', 'many-st01'] });
    for (let i = 0; i < 24; i++) await sandbox.scenario.merge('many'); // v1..v25 on many-qa01
  });
  after(async () => sandbox?.stop());

  test('a merged release is pending, then succeeded and current', async () => {
    const merged = await sandbox.scenario.merge('rel');
    const pending: Release = await heroku.get(`/apps/rel-qa01/releases/${merged.releaseId}`);
    assert.equal(pending.status, 'pending');
    assert.equal(pending.current, false);
    const settled = await settledRelease(heroku, 'rel-qa01');
    assert.equal(settled.id, merged.releaseId);
    assert.equal(settled.status, 'succeeded');
    assert.equal(settled.current, true);
    assert.equal(settled.description, `Deploy ${merged.sha.slice(0, 8)}`);
  });

  test('only the newest succeeded release is current', async () => {
    await sandbox.scenario.merge('rel');
    await settledRelease(heroku, 'rel-qa01');
    const all: Release[] = await heroku.get('/apps/rel-qa01/releases', { headers: { Range: 'version ..' } });
    assert.deepEqual(
      all.map((r) => r.current),
      all.map((_, i) => i === all.length - 1),
    );
  });

  test('a failing release phase leaves the release failed and the previous one current', async () => {
    sandbox.scenario.setReleasePhase('rel-st01', { fail: 'Release command failed' });
    const hotfix = await sandbox.scenario.hotfix('rel', 'rel-st01');
    const failed = await settledRelease(heroku, 'rel-st01');
    sandbox.scenario.setReleasePhase('rel-st01', {});
    assert.equal(failed.id, hotfix.releaseId);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.current, false);
    assert.equal(failed.eligible_for_rollback, false);
    const v1: Release = await heroku.get('/apps/rel-st01/releases/1');
    assert.equal(v1.current, true);
    assert.equal(sandbox.scenario.releases('rel-st01').at(-1)?.error, 'Release command failed');
  });

  test('a release is found by version and by id', async () => {
    const byVersion: Release = await heroku.get('/apps/many-qa01/releases/7');
    const byId: Release = await heroku.get(`/apps/many-qa01/releases/${byVersion.id}`);
    assert.equal(byVersion.version, 7);
    assert.equal(byId.version, 7);
  });

  test('Range "version ..; max=1, order=desc" answers the newest release only', async () => {
    const { body, pages } = await seen<Release[]>(heroku, {
      method: 'GET',
      path: '/apps/many-qa01/releases',
      headers: { Range: 'version ..; max=1, order=desc' },
      partial: true,
    });
    assert.deepEqual(versions(body), [25]);
    assert.equal(pages[0].status, 206);
    assert.equal(pages[0].headers['next-range'], 'version ]25..; max=1, order=desc');
  });

  test('a version range is paged in order, and heroku-client follows Next-Range to the last page', async () => {
    const { body, pages } = await seen<Release[]>(heroku, {
      method: 'GET',
      path: '/apps/many-qa01/releases',
      headers: { Range: 'version ..; max=10' },
    });
    assert.deepEqual(versions(body), oneTo(25));
    assert.deepEqual(
      pages.map((p) => p.status),
      [206, 206, 200],
    );
    assert.equal(pages[2].headers['next-range'], undefined);
  });

  test('a descending version range is paged newest first', async () => {
    const { body } = await seen<Release[]>(heroku, {
      method: 'GET',
      path: '/apps/many-qa01/releases',
      headers: { Range: 'version ..; max=10, order=desc' },
    });
    assert.deepEqual(versions(body), oneTo(25).reverse());
  });

  test('a range bounded on both ends answers just those versions', async () => {
    const between: Release[] = await heroku.get('/apps/many-qa01/releases', { headers: { Range: 'version 5..8' } });
    assert.deepEqual(versions(between), [5, 6, 7, 8]);
  });

  test('without a Range header the list is in version order', async () => {
    const response = await fetch(`${sandbox.herokuUrl}/apps/many-qa01/releases`, {
      headers: { Authorization: `Bearer ${sandbox.token}` },
    });
    const body = (await response.json()) as Release[];
    assert.equal(response.status, 200);
    assert.deepEqual(versions(body), oneTo(25));
    assert.equal(response.headers.get('accept-ranges'), 'id, version');
  });

  test("heroku-client's own Range (id ..; max=1000) gets every release of a longer list, each once", async () => {
    await sandbox.scenario.createService({ name: 'long', repo: 'acme/long', stages: ['long-qa01', 'long-st01'] });
    for (let i = 0; i < 1004; i++) await sandbox.scenario.merge('long'); // v1..v1005
    const { body, pages } = await seen<Release[]>(heroku, { method: 'GET', path: '/apps/long-qa01/releases' });
    assert.deepEqual(
      pages.map((p) => p.status),
      [206, 200],
    );
    assert.deepEqual(
      versions(body).sort((a, b) => a - b),
      oneTo(1005),
    );
    // Like Heroku, an id range orders by id (a UUID), not by time: ask for `version ..` to get versions in order.
    const ids = body.map((r) => r.id);
    assert.deepEqual(ids, [...ids].sort());
  });

  test('an unsupported Range is 400 bad_request', async () => {
    const failure = await herokuFailure(heroku.get('/apps/many-qa01/releases', { headers: { Range: 'name ..' } }));
    assert.equal(failure.statusCode, 400);
    assert.equal(failure.body.id, 'bad_request');
  });

  test('a rollback creates a new release running the old slug', async () => {
    const v2: Release = await heroku.get('/apps/many-st01/releases/1');
    await sandbox.scenario.hotfix('many', 'many-st01');
    await settledRelease(heroku, 'many-st01');
    const rollback: Release = await heroku.post('/apps/many-st01/releases', { body: { release: v2.id } });
    assert.equal(rollback.version, 3);
    assert.equal(rollback.slug?.id, v2.slug?.id);
    assert.equal(rollback.description, 'Rollback to v1');
    assert.equal(rollback.status, 'pending');
    const settled = await settledRelease(heroku, 'many-st01');
    assert.equal(settled.id, rollback.id);
    assert.equal(settled.current, true);
  });

  test('a rollback may name the release by version', async () => {
    const rollback: Release = await heroku.post('/apps/many-qa01/releases', { body: { release: '3' } });
    assert.equal(rollback.description, 'Rollback to v3');
  });

  test('a rollback to an unknown release is 404 not_found', async () => {
    const failure = await herokuFailure(
      heroku.post('/apps/many-qa01/releases', { body: { release: '00000000-0000-4000-8000-000000000000' } }),
    );
    assert.equal(failure.statusCode, 404);
    assert.deepEqual(failure.body, { id: 'not_found', message: "Couldn't find that release.", resource: 'release' });
  });

  test('a rollback without a release is 422 invalid_params', async () => {
    const failure = await herokuFailure(heroku.post('/apps/many-qa01/releases', { body: {} }));
    assert.equal(failure.statusCode, 422);
    assert.equal(failure.body.id, 'invalid_params');
  });
});
