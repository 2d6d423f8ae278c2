import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Heroku from 'heroku-client';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import type { CreatedService } from '../../../sandbox/scenario/scenario';
import { FAST, herokuClient, settledRelease } from '../support';

/** One commit built twice: apps built one by one before they were coupled into a pipeline. */
describe('a stage rebuilt from the commit it runs', () => {
  let sandbox: Sandbox;
  let heroku: Heroku;
  let service: CreatedService;
  const [qa, st] = ['again-qa01', 'again-st01'];

  before(async () => {
    sandbox = await startSandbox(FAST);
    heroku = herokuClient(sandbox);
    service = await sandbox.scenario.createService({ name: 'again', repo: 'acme/again', stages: [qa, st] });
  });
  after(async () => sandbox?.stop());

  test('runs a new slug of the same commit, released like a build', async () => {
    const before = sandbox.scenario.releases(st).at(-1)!;
    const rebuilt = await sandbox.scenario.rebuild('again', st);
    assert.equal(rebuilt.sha, service.commit);
    assert.notEqual(rebuilt.slugId, before.slugId);
    const release = await settledRelease(heroku, st);
    assert.deepEqual([release.id, release.status, release.slug?.id], [rebuilt.releaseId, 'succeeded', rebuilt.slugId]);
    const slug = (await heroku.get(`/apps/${st}/slugs/${rebuilt.slugId}`)) as { commit: string };
    assert.equal(slug.commit, service.commit);
    assert.equal(sandbox.scenario.releases(qa).at(-1)!.commit, service.commit, 'the other stage is untouched');
  });

  test('is refused for an app that is not a stage of the service', async () => {
    await assert.rejects(sandbox.scenario.rebuild('again', 'elsewhere'), /no app elsewhere/);
  });
});
