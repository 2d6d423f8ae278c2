import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import { EXAMPLE_SCENARIO } from '../../../sandbox/scenario/input';
import { FAST, until } from '../support';

describe('the scenario API', () => {
  let sandbox: Sandbox;

  /** POST /_sandbox/<method>, as a demo script or curl would. */
  const remote = async (method: string, body: unknown = {}) => {
    const response = await fetch(`${sandbox.herokuUrl}/_sandbox/${method}`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    sandbox = await startSandbox(FAST);
  });
  after(async () => sandbox?.stop());

  test('createService answers the pipeline, its apps in stage order and the initial commit every app runs', async () => {
    const created = await sandbox.scenario.createService({
      name: 'svc',
      repo: 'acme/svc',
      stages: ['svc-qa01', 'svc-st01', 'svc-eu01'],
    });
    assert.deepEqual(
      created.apps.map((a) => a.name),
      ['svc-qa01', 'svc-st01', 'svc-eu01'],
    );
    for (const app of created.apps) {
      assert.deepEqual(
        sandbox.scenario.releases(app.name).map((r) => [r.version, r.status, r.current, r.commit]),
        [[1, 'succeeded', true, created.commit]],
      );
    }
  });

  test('createService refuses a name Heroku would refuse, and an app that exists', async () => {
    await assert.rejects(
      sandbox.scenario.createService({ name: 'Bad_Name', repo: 'acme/x', stages: ['x-qa01', 'x-st01'] }),
      /name: must be a Heroku pipeline name/,
    );
    await assert.rejects(
      sandbox.scenario.createService({ name: 'again', repo: 'acme/again', stages: ['svc-qa01', 'again-st01'] }),
      /app svc-qa01 already exists/,
    );
    await assert.rejects(
      sandbox.scenario.createService({ name: 'lonely', repo: 'acme/lonely', stages: ['lonely-qa01'] }),
      /stages: needs at least 2 apps/,
    );
  });

  test('merge releases a new commit on the first stage: pending, then succeeded', async () => {
    const merged = await sandbox.scenario.merge('svc', { message: 'add a feature' });
    assert.deepEqual(sandbox.scenario.releases('svc-qa01').at(-1)?.status, 'pending');
    const release = await until('the merge to settle', () =>
      sandbox.scenario.releases('svc-qa01').find((r) => r.id === merged.releaseId && r.status === 'succeeded'),
    );
    assert.deepEqual([release.version, release.commit, release.slugId], [merged.version, merged.sha, merged.slugId]);
  });

  test('setReleasePhase makes the next releases of an app fail with its message, and {} makes them succeed', async () => {
    sandbox.scenario.setReleasePhase('svc-qa01', { fail: 'migration failed' });
    const failing = await sandbox.scenario.merge('svc');
    sandbox.scenario.setReleasePhase('svc-qa01', {});
    const fine = await sandbox.scenario.merge('svc');
    const outcome = await until('both to settle', () => {
      const releases = sandbox.scenario.releases('svc-qa01');
      const of = (id: string) => releases.find((r) => r.id === id)!;
      return of(fine.releaseId).status !== 'pending' && [of(failing.releaseId), of(fine.releaseId)];
    });
    assert.deepEqual(
      outcome.map((r) => [r.status, r.error]),
      [
        ['failed', 'migration failed'],
        ['succeeded', null],
      ],
    );
  });

  test('unknown services and apps are refused by name', async () => {
    await assert.rejects(sandbox.scenario.merge('nope'), /no service nope/);
    assert.throws(() => sandbox.scenario.releases('nope-qa01'), /no app nope-qa01/);
    await assert.rejects(sandbox.scenario.hotfix('svc', 'nope-qa01'), /no app nope-qa01/);
  });

  test('snapshot is the whole state as plain JSON', async () => {
    const snapshot = sandbox.scenario.snapshot();
    assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot);
    assert.ok(Object.values(snapshot.pipelines).some((p) => p.name === 'svc'));
    assert.ok(snapshot.repos['acme/svc'].branches.main);
    assert.deepEqual(snapshot.timing, FAST);
    assert.deepEqual(snapshot.rateLimit, { bucket: 4500, refillPerMinute: 75 });
  });

  test('load creates every service of a scenario file', async () => {
    const fresh = await startSandbox(FAST);
    try {
      const created = await fresh.scenario.load(EXAMPLE_SCENARIO);
      assert.deepEqual(
        created.map((s) => s.apps.map((a) => a.name)),
        EXAMPLE_SCENARIO.services.map((s) => s.stages),
      );
    } finally {
      await fresh.stop();
    }
  });

  test('over HTTP: POST /_sandbox/<method> takes the arguments as a JSON object and answers the result', async () => {
    const created = await remote('createService', {
      name: 'remote',
      repo: 'acme/remote',
      stages: ['remote-qa01', 'remote-st01'],
    });
    assert.equal(created.status, 200);
    const merged = await remote('merge', { service: 'remote', message: 'from curl' });
    assert.equal(merged.status, 200);
    assert.equal(merged.body.version, 2);
    const releases = await remote('releases', { app: 'remote-qa01' });
    assert.equal((releases.body as unknown as unknown[]).length, 2);
    assert.deepEqual((await remote('setReleasePhase', { app: 'remote-st01', fail: 'boom' })).body, {});
  });

  test('over HTTP: a bad argument is 400 and an unknown method 404, each saying why', async () => {
    assert.deepEqual(await remote('merge', { service: 'nope' }), {
      status: 400,
      body: { error: 'no service nope: createService it first' },
    });
    assert.deepEqual(await remote('merge', {}), {
      status: 400,
      body: { error: 'service: Invalid input: expected string, received undefined' },
    });
    const unknown = await remote('explode');
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.body.error), /no scenario method "explode"/);
  });

  test('stop closes the server', async () => {
    const other = await startSandbox(FAST);
    await other.stop();
    await assert.rejects(fetch(`${other.herokuUrl}/account/rate-limits`));
  });
});
