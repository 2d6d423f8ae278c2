import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Heroku from 'heroku-client';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import { FAST, herokuClient, herokuFailure } from '../support';

interface Formation {
  type: string;
  quantity: number;
  size: string;
  dyno_size: { name: string };
  command: string;
}

/** What the platform checks read: formation and features on Heroku (the CI side is in test/sandbox/github/ci.test.ts). */
describe('formation and features as the scenario sets them', () => {
  let sandbox: Sandbox;
  let heroku: Heroku;
  const [qa, st, eu] = ['chk-qa01', 'chk-st01', 'chk-eu01'];

  const web = (app: string) => heroku.get(`/apps/${app}/formation/web`) as Promise<Formation>;
  const preboot = async (app: string) =>
    ((await heroku.get(`/apps/${app}/features/preboot`)) as { enabled: boolean }).enabled;
  const remote = async (method: string, body: unknown) => {
    const response = await fetch(`${sandbox.herokuUrl}/_sandbox/${method}`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  before(async () => {
    sandbox = await startSandbox(FAST);
    heroku = herokuClient(sandbox);
    await sandbox.scenario.createService({ name: 'chk', repo: 'acme/chk', stages: [qa, st, eu] });
  });
  after(async () => sandbox?.stop());

  describe('Heroku formation and features', () => {
    test('a staging app starts with 1 Standard-1X web dyno and preboot off', async () => {
      const formation = await web(qa);
      assert.deepEqual(
        [formation.quantity, formation.size, formation.dyno_size.name, formation.command],
        [1, 'Standard-1X', 'Standard-1X', 'npm start'],
      );
      assert.equal(await preboot(qa), false);
    });

    test('a production app starts with 2 Standard-2X web dynos and preboot on', async () => {
      const formation = await web(eu);
      assert.deepEqual([formation.quantity, formation.size], [2, 'Standard-2X']);
      assert.equal(await preboot(eu), true);
    });

    test('setFormation scales the web dynos, down to 0', async () => {
      sandbox.scenario.setFormation(st, { web: 0 });
      assert.equal((await web(st)).quantity, 0);
      sandbox.scenario.setFormation(st, { web: 4 });
      assert.equal((await web(st)).quantity, 4);
    });

    test('a removed process type is 404 formation, as for an app whose slug declares none', async () => {
      sandbox.scenario.setFormation(qa, { web: null });
      const failure = await herokuFailure(heroku.get(`/apps/${qa}/formation/web`));
      assert.deepEqual(
        [failure.statusCode, failure.body],
        [404, { id: 'not_found', message: "Couldn't find that formation.", resource: 'formation' }],
      );
      sandbox.scenario.setFormation(qa, { web: 1 });
    });

    test('setFeature turns preboot on and off', async () => {
      sandbox.scenario.setFeature(st, 'preboot', true);
      assert.equal(await preboot(st), true);
      sandbox.scenario.setFeature(st, 'preboot', false);
      assert.equal(await preboot(st), false);
    });

    test('a feature Heroku does not have is 404 feature, and the scenario refuses it by name', async () => {
      assert.equal((await herokuFailure(heroku.get(`/apps/${qa}/features/warp-drive`))).body.resource, 'feature');
      assert.throws(
        () => sandbox.scenario.setFeature(qa, 'warp-drive', true),
        /^Error: no feature warp-drive \(there are: http-session-affinity, preboot, runtime-dyno-metadata\)$/,
      );
    });

    test('the formation of an unknown app is 404 app', async () => {
      assert.equal((await herokuFailure(heroku.get('/apps/nope-eu01/formation/web'))).body.resource, 'app');
    });

    test('setFormation refuses a negative or fractional quantity', () => {
      assert.throws(() => sandbox.scenario.setFormation(qa, { web: -1 }), /web: must be 0 or more/);
      assert.throws(() => sandbox.scenario.setFormation(qa, { web: 1.5 }), /web: must be a whole number of dynos/);
    });

    test('over HTTP: setFormation takes {app, <type>: quantity} and setFeature {app, feature, enabled}', async () => {
      assert.deepEqual(await remote('setFormation', { app: st, web: 3 }), { status: 200, body: {} });
      assert.deepEqual(await remote('setFeature', { app: st, feature: 'preboot', enabled: true }), {
        status: 200,
        body: {},
      });
      assert.deepEqual([(await web(st)).quantity, await preboot(st)], [3, true]);
      assert.deepEqual(await remote('setFeature', { app: st, feature: 'preboot', enabled: 'yes' }), {
        status: 400,
        body: { error: 'enabled: Invalid input: expected boolean, received string' },
      });
    });
  });
});
