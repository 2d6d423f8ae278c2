import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Heroku from 'heroku-client';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import type { CreatedService } from '../../../sandbox/scenario/scenario';
import { PlatformSchema } from './platform-schema';
import {
  FAST,
  herokuClient,
  personalToken,
  settledRelease,
  until,
  type PromotionTarget,
  type Release,
} from '../support';

/**
 * Every Heroku endpoint the sandbox serves answers what Heroku's published schema describes. A
 * failure here is a sandbox bug: fix the sandbox, never the schema.
 */
describe('every Heroku answer conforms to the published Platform API schema', () => {
  const schema = new PlatformSchema();
  let sandbox: Sandbox;
  let heroku: Heroku;
  let service: CreatedService;
  const [qa, st, va] = ['conform-qa01', 'conform-st01', 'conform-va01'];

  /** GETs or POSTs through heroku-client and asserts the answer conforms; answers the body. */
  async function conforming<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const answer = (await heroku.request({ method, path, body })) as T;
    assert.deepEqual(
      schema.problems(method, path, answer),
      [],
      `${method} ${path} answered ${JSON.stringify(answer, null, 2)}`,
    );
    return answer;
  }

  before(async () => {
    sandbox = await startSandbox(FAST);
    heroku = herokuClient(sandbox);
    service = await sandbox.scenario.createService({ name: 'conform', repo: 'acme/conform', stages: [qa, st, va] });
    await sandbox.scenario.merge('conform');
    await settledRelease(heroku, qa);
  });
  after(async () => sandbox?.stop());

  test('GET /account/rate-limits', async () => {
    await conforming('GET', '/account/rate-limits');
  });

  test('GET /apps/{app}, by name and by id', async () => {
    await conforming('GET', `/apps/${qa}`);
    await conforming('GET', `/apps/${service.apps[0].id}`);
  });

  test('GET /apps/{app}/pipeline-couplings', async () => {
    await conforming('GET', `/apps/${st}/pipeline-couplings`);
  });

  test('GET /pipelines/{id_or_name}, by name and by id', async () => {
    await conforming('GET', '/pipelines/conform');
    await conforming('GET', `/pipelines/${service.pipelineId}`);
  });

  test('GET /pipelines/{id}/pipeline-couplings', async () => {
    const couplings = await conforming<unknown[]>('GET', `/pipelines/${service.pipelineId}/pipeline-couplings`);
    assert.equal(couplings.length, 3);
  });

  test('GET /pipelines/{id}/latest-releases', async () => {
    const latest = await conforming<unknown[]>('GET', `/pipelines/${service.pipelineId}/latest-releases`);
    assert.equal(latest.length, 3);
  });

  test('GET /apps/{app}/releases, a pending release among them', async () => {
    await sandbox.scenario.merge('conform');
    const releases = await conforming<Release[]>('GET', `/apps/${qa}/releases`);
    assert.ok(releases.some((r) => r.status === 'pending'));
  });

  test('GET /apps/{app}/releases/{id_or_version}, by version and by id', async () => {
    const release = await conforming<Release>('GET', `/apps/${qa}/releases/1`);
    await conforming('GET', `/apps/${qa}/releases/${release.id}`);
  });

  test('GET /apps/{app}/slugs/{id}', async () => {
    const release = await conforming<Release>('GET', `/apps/${qa}/releases/1`);
    await conforming('GET', `/apps/${qa}/slugs/${release.slug!.id}`);
  });

  test('GET /apps/{app}/releases with hand-made releases: a tarball slug with no commit, an image with no slug', async () => {
    const hand = await sandbox.scenario.createService({
      name: 'conform-hand',
      repo: 'acme/conform-hand',
      stages: ['conform-hand-qa01', 'conform-hand-st01'],
    });
    const app = 'conform-hand-st01';
    const tarball = await sandbox.scenario.handDeploy('conform-hand', app, { artifact: 'tarball' });
    await sandbox.scenario.handDeploy('conform-hand', app, { artifact: 'image' });
    await settledRelease(heroku, app);
    const releases = await conforming<Release[]>('GET', `/apps/${app}/releases`);
    const image = releases.find((r) => r.slug === null);
    assert.ok(image, 'the image release has no slug');
    await conforming('GET', `/apps/${app}/releases/${image.id}`);
    await conforming('GET', `/apps/${app}/slugs/${tarball.slugId}`);
    await conforming('GET', `/pipelines/${hand.pipelineId}/latest-releases`);
  });

  test('POST /apps/{app}/releases (rollback)', async () => {
    await conforming('POST', `/apps/${va}/releases`, {
      release: (await conforming<Release>('GET', `/apps/${va}/releases/1`)).id,
    });
  });

  test('POST /apps/{app}/webhooks', async () => {
    await conforming('POST', `/apps/${qa}/webhooks`, {
      include: ['api:release'],
      level: 'notify',
      url: 'http://127.0.0.1:9/hooks',
      secret: 'shh',
    });
  });

  test('GET, PATCH and DELETE /apps/{app}/webhooks[/{id}]', async () => {
    const { id } = await conforming<{ id: string }>('POST', `/apps/${va}/webhooks`, {
      include: ['api:release'],
      level: 'notify',
      url: 'http://127.0.0.1:9/other',
    });
    await conforming('GET', `/apps/${va}/webhooks`);
    await conforming('GET', `/apps/${va}/webhooks/${id}`);
    await conforming('PATCH', `/apps/${va}/webhooks/${id}`, { level: 'sync', secret: 'new' });
    await conforming('DELETE', `/apps/${va}/webhooks/${id}`);
  });

  test('GET /apps/{app}/webhook-deliveries and webhook-events, listed and one by id, attempted or not', async () => {
    sandbox.webhooks.configure({ lateMs: 60_000 });
    try {
      await heroku.post(`/apps/${va}/webhooks`, {
        body: { include: ['api:release'], level: 'sync', url: 'http://127.0.0.1:9/nobody' },
      });
      await sandbox.scenario.hotfix('conform', va);
      const [scheduled] = await conforming<{ id: string; event: { id: string } }[]>(
        'GET',
        `/apps/${va}/webhook-deliveries`,
      );
      await conforming('GET', `/apps/${va}/webhook-deliveries/${scheduled.id}`);
      await conforming('GET', `/apps/${va}/webhook-events`);
      await conforming('GET', `/apps/${va}/webhook-events/${scheduled.event.id}`);
    } finally {
      sandbox.webhooks.configure({ lateMs: 0 });
    }
    // Attempted: the receiver on port 9 does not answer, so the delivery is retrying with its failed attempt.
    await sandbox.scenario.hotfix('conform', va);
    const attempted = await until('an attempted delivery', async () => {
      const list = (await heroku.get(`/apps/${va}/webhook-deliveries`)) as { id: string; num_attempts: number }[];
      return list.find((d) => d.num_attempts > 0);
    });
    await conforming('GET', `/apps/${va}/webhook-deliveries/${attempted.id}`);
  });

  test('GET /apps/{app}/formation, and one process type by type and by id', async () => {
    sandbox.scenario.setFormation(qa, { worker: 3 });
    const formation = await conforming<{ id: string; type: string }[]>('GET', `/apps/${qa}/formation`);
    assert.deepEqual(formation.map((f) => f.type).sort(), ['web', 'worker']);
    await conforming('GET', `/apps/${qa}/formation/web`);
    await conforming('GET', `/apps/${qa}/formation/${formation.find((f) => f.type === 'worker')!.id}`);
  });

  test('GET /apps/{app}/features, and one feature by name and by id', async () => {
    sandbox.scenario.setFeature(st, 'preboot', true);
    const features = await conforming<{ id: string; name: string }[]>('GET', `/apps/${st}/features`);
    await conforming('GET', `/apps/${st}/features/preboot`);
    await conforming('GET', `/apps/${st}/features/${features[0].id}`);
  });

  test('POST /pipeline-promotions, GET /pipeline-promotions/{id} and its promotion-targets while pending and once done', async () => {
    const source = await settledRelease(heroku, qa);
    const body = {
      pipeline: { id: service.pipelineId },
      source: { app: { id: service.apps[0].id }, release: { id: source.id } },
      targets: [{ app: { id: service.apps[1].id } }],
    };
    const promotion = await conforming<{ id: string }>('POST', '/pipeline-promotions', body);
    const pending = await conforming<PromotionTarget[]>(
      'GET',
      `/pipeline-promotions/${promotion.id}/promotion-targets`,
    );
    assert.equal(pending[0].release, null);
    await until(
      'the target to succeed',
      async () =>
        (await heroku.get(`/pipeline-promotions/${promotion.id}/promotion-targets`))[0].status === 'succeeded',
    );
    await conforming('GET', `/pipeline-promotions/${promotion.id}`);
    await conforming('GET', `/pipeline-promotions/${promotion.id}/promotion-targets`);
  });

  test('a failed promotion target (failed release phase)', async () => {
    sandbox.scenario.setReleasePhase(va, { fail: 'Release command failed' });
    const source = await settledRelease(heroku, qa);
    const promotion = (await heroku.post('/pipeline-promotions', {
      body: {
        pipeline: { id: service.pipelineId },
        source: { app: { id: service.apps[0].id }, release: { id: source.id } },
        targets: [{ app: { id: service.apps[2].id } }],
      },
    })) as { id: string };
    await until(
      'the target to fail',
      async () => (await heroku.get(`/pipeline-promotions/${promotion.id}/promotion-targets`))[0].status === 'failed',
    );
    const [target] = await conforming<PromotionTarget[]>(
      'GET',
      `/pipeline-promotions/${promotion.id}/promotion-targets`,
    );
    await conforming('GET', `/apps/${va}/releases/${target.release!.id}`);
  });

  test('Fir: GET /pipelines, /apps, releases with OCI image artifacts, /oci-images/{id} (an array), an expired release', async () => {
    const fir = await sandbox.scenario.createService({
      name: 'conform-fir',
      repo: 'acme/conform-fir',
      stages: ['conform-fir-qa01', 'conform-fir-st01'],
      generation: 'fir',
    });
    const app = 'conform-fir-qa01';
    const pipeline = await conforming<{ generation: { name: string } }>('GET', `/pipelines/${fir.pipelineId}`);
    assert.equal(pipeline.generation.name, 'fir');
    assert.equal((await conforming<{ generation: { name: string } }>('GET', `/apps/${app}`)).generation.name, 'fir');
    const merged = await sandbox.scenario.merge('conform-fir');
    await settledRelease(heroku, app);
    const release = await conforming<Release & { artifacts: { type: string; id: string }[] }>(
      'GET',
      `/apps/${app}/releases/${merged.releaseId}`,
    );
    assert.deepEqual([release.slug, release.artifacts], [null, [{ type: 'oci-image', id: merged.ociImageId }]]);
    const [image] = await conforming<{ commit: string }[]>('GET', `/apps/${app}/oci-images/${merged.ociImageId}`);
    assert.equal(image.commit, merged.sha);
    await conforming('GET', `/pipelines/${fir.pipelineId}/latest-releases`);
    sandbox.scenario.expireRelease(app, 1);
    assert.equal((await conforming<Release>('GET', `/apps/${app}/releases/1`)).status, 'expired');
    await conforming('GET', `/apps/${app}/releases`);
  });

  test('POST /pipeline-couplings', async () => {
    const spare = sandbox.scenario.createApp('conform-spare-eu01');
    await conforming('POST', '/pipeline-couplings', {
      app: spare.id,
      pipeline: service.pipelineId,
      stage: 'production',
    });
  });

  test("GET /generations/{name}: the plain answer is the schema's; the 3.sdk variant adds unsupported_features", async () => {
    await conforming('GET', '/generations/fir');
    await conforming('GET', '/generations/cedar');
    const sdk = (await heroku.request({
      method: 'GET',
      path: '/generations/fir',
      headers: { Accept: 'application/vnd.heroku+json; version=3.sdk' },
    })) as { unsupported_features: unknown };
    // The published v3 schema does not list the 3.sdk field; the rest of the answer must still conform.
    const { unsupported_features: unsupported, ...plain } = sdk;
    assert.deepEqual(schema.problems('GET', '/generations/fir', plain), []);
    assert.ok(Array.isArray(unsupported) && unsupported.every((feature) => typeof feature === 'string'));
  });

  test("GET /account: the sandbox's own account, and a person's through their OAuth token", async () => {
    await conforming('GET', '/account');
    sandbox.scenario.addPerson('dee@acme.com', 'Dee');
    const token = await personalToken(sandbox, 'dee@acme.com');
    const account = (await herokuClient(sandbox, 'bearer', token).get('/account')) as { email: string };
    assert.deepEqual(schema.problems('GET', '/account', account), []);
    assert.equal(account.email, 'dee@acme.com');
  });

  test('GET /apps/{app}/collaborators of a personal app, and /teams/apps/{app}/collaborators of a team app', async () => {
    sandbox.scenario.addPerson('eve@acme.com');
    sandbox.scenario.addCollaborator(qa, 'eve@acme.com');
    const personal = await conforming<{ role: string; user: { email: string } }[]>('GET', `/apps/${qa}/collaborators`);
    assert.deepEqual(
      personal.map((c) => [c.user.email, c.role]),
      [
        ['sandbox@example.com', 'owner'],
        ['eve@acme.com', 'collaborator'],
      ],
    );
    sandbox.scenario.moveAppToTeam(va, 'acme');
    sandbox.scenario.addCollaborator(va, 'eve@acme.com', { permissions: ['view', 'deploy'] });
    const team = await conforming<{ permissions: { name: string }[] }[]>('GET', `/teams/apps/${va}/collaborators`);
    assert.deepEqual(
      team.map((c) => c.permissions.map((p) => p.name)),
      [['view', 'deploy']],
    );
    await conforming('GET', `/apps/${va}/collaborators`);
    await conforming('GET', `/apps/${va}`);
    // "/teams/permissions" also matches the schema's "/teams/{team}": each item is checked by its definition.
    const permissions = (await heroku.get('/teams/permissions')) as unknown[];
    for (const permission of permissions)
      assert.deepEqual(schema.definitionProblems('team-app-permission', permission), []);
  });

  test("a webhook delivery's data is a release as the schema describes it", async () => {
    const received: unknown[] = [];
    const receiver: Server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        received.push(JSON.parse(text));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      await heroku.post(`/apps/${st}/webhooks`, { body: { include: ['api:release'], level: 'notify', url } });
      await sandbox.scenario.hotfix('conform', st);
      const events = await until(
        'create and update deliveries',
        () => received.length >= 2 && (received as { data: unknown }[]),
      );
      for (const event of events) assert.deepEqual(schema.definitionProblems('release', event.data), []);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
