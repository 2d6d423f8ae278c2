import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Heroku from 'heroku-client';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import { FAST, herokuClient, herokuFailure, seen, until } from '../support';

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
}

interface ReleaseEvent {
  id: string;
  action: 'create' | 'update';
  resource: string;
  data: { id: string; status: string; version: number; app: { name: string } };
  previous_data: Record<string, unknown>;
  webhook_metadata: { webhook: { id: string }; event: { id: string; include: string }; delivery: { id: string } };
  version: string;
  actor: { id: string; email: string };
  sequence: null;
}

/** A local webhook receiver that keeps every request it gets, raw. */
async function receiver(): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ path: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deliveries,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const hmac = (secret: string, raw: string) => createHmac('sha256', secret).update(raw).digest('base64');

describe('app webhooks for api:release', () => {
  let sandbox: Sandbox;
  let heroku: Heroku;
  let hooks: Awaited<ReturnType<typeof receiver>>;

  before(async () => {
    sandbox = await startSandbox(FAST);
    heroku = herokuClient(sandbox);
    hooks = await receiver();
    await sandbox.scenario.createService({
      name: 'hooked',
      repo: 'acme/hooked',
      stages: ['hooked-qa01', 'hooked-st01'],
    });
  });
  after(async () => {
    await sandbox?.stop();
    await hooks?.close();
  });

  test("a release's creation and its status change are delivered, signed with the webhook's secret", async () => {
    const webhook = await heroku.post('/apps/hooked-qa01/webhooks', {
      body: { include: ['api:release'], level: 'notify', url: `${hooks.url}/signed`, secret: 'sssh-its-a-secret' },
    });
    const merged = await sandbox.scenario.merge('hooked');
    const deliveries = await until('two deliveries', () => {
      const mine = hooks.deliveries.filter((d) => d.path === '/signed');
      return mine.length >= 2 && mine;
    });
    for (const delivery of deliveries)
      assert.equal(delivery.headers['heroku-webhook-hmac-sha256'], hmac('sssh-its-a-secret', delivery.raw));
    const [created, updated] = deliveries.map((d) => JSON.parse(d.raw) as ReleaseEvent);
    assert.deepEqual([created.action, created.data.status, created.data.id], ['create', 'pending', merged.releaseId]);
    assert.deepEqual(
      [updated.action, updated.data.status, updated.previous_data],
      ['update', 'succeeded', { status: 'pending' }],
    );
    assert.equal(created.resource, 'release');
    assert.equal(created.version, 'application/vnd.heroku+json; version=3');
    assert.equal(created.webhook_metadata.webhook.id, webhook.id);
    assert.equal(created.webhook_metadata.event.include, 'api:release');
    assert.equal(created.sequence, null);
  });

  test('without a secret, Heroku-Webhook-Secret tells the generated one once, and deliveries verify with it', async () => {
    const { pages } = await seen(heroku, {
      method: 'POST',
      path: '/apps/hooked-st01/webhooks',
      body: { include: ['api:release'], level: 'notify', url: `${hooks.url}/generated` },
    });
    const secret = pages[0].headers['heroku-webhook-secret'] as string;
    assert.match(secret, /^[0-9a-f]{60}$/);
    await sandbox.scenario.hotfix('hooked', 'hooked-st01');
    const delivery = await until('a delivery', () => hooks.deliveries.find((d) => d.path === '/generated'));
    assert.equal(delivery.headers['heroku-webhook-hmac-sha256'], hmac(secret, delivery.raw));
  });

  test("the webhook's authorization is sent as the deliveries' Authorization header", async () => {
    await heroku.post('/apps/hooked-qa01/webhooks', {
      body: {
        include: ['api:release'],
        level: 'notify',
        url: `${hooks.url}/authorized`,
        authorization: 'Bearer receiver-token',
      },
    });
    await sandbox.scenario.merge('hooked');
    const delivery = await until('a delivery', () => hooks.deliveries.find((d) => d.path === '/authorized'));
    assert.equal(delivery.headers.authorization, 'Bearer receiver-token');
  });

  test('a webhook outside loopback is refused with 422 invalid_params', async () => {
    const failure = await herokuFailure(
      heroku.post('/apps/hooked-qa01/webhooks', {
        body: { include: ['api:release'], level: 'notify', url: 'https://hooks.example.com/x' },
      }),
    );
    assert.equal(failure.statusCode, 422);
    assert.equal(failure.body.id, 'invalid_params');
  });
});
