import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Heroku from 'heroku-client';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import { DEFAULT_DELIVERY } from '../../../sandbox/heroku/webhooks';
import { FAST, herokuClient, herokuFailure, until } from '../support';

interface Webhook {
  id: string;
  url: string;
  level: string;
  include: string[];
}

interface Delivery {
  id: string;
  status: string;
  num_attempts: number;
  next_attempt_at: string | null;
  event: { id: string; include: string };
  webhook: { id: string; level: string };
  last_attempt: { code: number | null; error_class: string | null; status: string } | null;
}

/** A receiver that answers each POST with the next status of `answers` (the last one for ever), keeping the bodies. */
async function receiver(): Promise<{ url: string; bodies: string[]; answers: number[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const answers = [204];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      bodies.push(raw);
      res.writeHead(answers.length > 1 ? answers.shift()! : answers[0]).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    bodies,
    answers,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('app webhooks: subscriptions, deliveries and their faults', () => {
  let sandbox: Sandbox;
  let heroku: Heroku;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  let n = 0;

  before(async () => {
    sandbox = await startSandbox({ ...FAST, seed: 7 });
    heroku = herokuClient(sandbox);
    hooks = await receiver();
  });
  afterEach(() => {
    sandbox.webhooks.configure(DEFAULT_DELIVERY);
    hooks.answers.splice(0, hooks.answers.length, 204);
  });
  after(async () => {
    await sandbox?.stop();
    await hooks?.close();
  });

  /** A fresh service whose first app is subscribed; answers the app and its webhook. */
  async function subscribed(level: 'notify' | 'sync' = 'notify') {
    const name = `wd${++n}`;
    await sandbox.scenario.createService({ name, repo: `acme/${name}`, stages: [`${name}-qa01`, `${name}-st01`] });
    const app = `${name}-qa01`;
    const webhook = (await heroku.post(`/apps/${app}/webhooks`, {
      body: { include: ['api:release'], level, url: hooks.url, secret: 'shh' },
    })) as Webhook;
    return { name, app, webhook };
  }
  const deliveries = (app: string) => heroku.get(`/apps/${app}/webhook-deliveries`) as Promise<Delivery[]>;

  test('a webhook is listed, shown, changed by PATCH and removed by DELETE', async () => {
    const { app, webhook } = await subscribed();
    assert.deepEqual(
      ((await heroku.get(`/apps/${app}/webhooks`)) as Webhook[]).map((w) => w.id),
      [webhook.id],
    );
    const changed = (await heroku.patch(`/apps/${app}/webhooks/${webhook.id}`, {
      body: { level: 'sync', url: `${hooks.url}/v2` },
    })) as Webhook;
    assert.deepEqual([changed.level, changed.url], ['sync', `${hooks.url}/v2`]);
    assert.equal(((await heroku.get(`/apps/${app}/webhooks/${webhook.id}`)) as Webhook).level, 'sync');
    await heroku.delete(`/apps/${app}/webhooks/${webhook.id}`);
    assert.deepEqual(await heroku.get(`/apps/${app}/webhooks`), []);
    const gone = await herokuFailure(heroku.get(`/apps/${app}/webhooks/${webhook.id}`));
    assert.deepEqual([gone.statusCode, gone.body.id], [404, 'not_found']);
  });

  test('a PATCH to a URL outside loopback is refused with 422 and changes nothing', async () => {
    const { app, webhook } = await subscribed();
    const refused = await herokuFailure(
      heroku.patch(`/apps/${app}/webhooks/${webhook.id}`, { body: { url: 'https://hooks.example.com/x' } }),
    );
    assert.equal(refused.statusCode, 422);
    assert.equal(((await heroku.get(`/apps/${app}/webhooks/${webhook.id}`)) as Webhook).url, hooks.url);
  });

  test('each delivery is recorded with its event and its last attempt', async () => {
    const { name, app, webhook } = await subscribed();
    await sandbox.scenario.merge(name);
    const done = await until('two succeeded deliveries', async () => {
      const list = await deliveries(app);
      return list.length === 2 && list.every((d) => d.status === 'succeeded') && list;
    });
    for (const delivery of done) {
      assert.deepEqual(delivery.webhook, { id: webhook.id, level: 'notify' });
      assert.equal(delivery.num_attempts, 1);
      assert.deepEqual([delivery.last_attempt?.code, delivery.last_attempt?.status], [204, 'succeeded']);
      const event = (await heroku.get(`/apps/${app}/webhook-events/${delivery.event.id}`)) as {
        payload: { resource: string };
      };
      assert.equal(event.payload.resource, 'release');
    }
  });

  test('a sync webhook is retried until its receiver answers 2xx', async () => {
    sandbox.webhooks.configure({ retryDelaysMs: [50, 50, 50] });
    hooks.answers.splice(0, hooks.answers.length, 500, 503, 204);
    const { name, app } = await subscribed('sync');
    await sandbox.scenario.hotfix(name, app);
    const delivered = await until('a delivery that succeeded', async () =>
      (await deliveries(app)).find((d) => d.status === 'succeeded'),
    );
    assert.equal(delivered.num_attempts, 3);
  });

  test('a notify webhook whose receiver fails is attempted once and recorded failed', async () => {
    hooks.answers.splice(0, hooks.answers.length, 500);
    const { name, app } = await subscribed('notify');
    await sandbox.scenario.hotfix(name, app);
    const failed = await until('a failed delivery', async () =>
      (await deliveries(app)).find((d) => d.status === 'failed'),
    );
    assert.deepEqual([failed.num_attempts, failed.last_attempt?.code], [1, 500]);
  });

  test('lost deliveries never reach the receiver', async () => {
    sandbox.webhooks.configure({ lost: 1 });
    const before = hooks.bodies.length;
    const { name, app } = await subscribed();
    await sandbox.scenario.hotfix(name, app);
    const lost = await until('lost deliveries recorded', async () => {
      const list = await deliveries(app);
      return list.length >= 1 && list.every((d) => d.status === 'failed') && list;
    });
    assert.deepEqual(
      lost.map((d) => d.last_attempt?.error_class),
      lost.map(() => 'Timeout'),
    );
    assert.equal(hooks.bodies.length, before);
  });

  test('a duplicated delivery reaches the receiver twice, the same delivery', async () => {
    sandbox.webhooks.configure({ duplicated: 1 });
    const { name, app } = await subscribed();
    const before = hooks.bodies.length;
    await sandbox.scenario.hotfix(name, app);
    const [first, second] = await until(
      'a delivery twice',
      () => hooks.bodies.length >= before + 2 && hooks.bodies.slice(before),
    );
    assert.equal(first, second);
  });

  test('a late delivery is scheduled, then delivered', async () => {
    sandbox.webhooks.configure({ lateMs: 300 });
    const { name, app } = await subscribed();
    await sandbox.scenario.hotfix(name, app);
    const scheduled = await until('a scheduled delivery', async () =>
      (await deliveries(app)).find((d) => d.status === 'scheduled'),
    );
    assert.ok(scheduled.next_attempt_at, 'it says when it is attempted');
    await until('delivered', async () =>
      (await deliveries(app)).find((d) => d.id === scheduled.id && d.status === 'succeeded'),
    );
  });

  test('the same seed loses the same deliveries', async () => {
    const outcomes = async (seed: number) => {
      const own = await startSandbox({ ...FAST, seed });
      try {
        own.webhooks.configure({ lost: 0.5 });
        const client = herokuClient(own);
        await own.scenario.createService({
          name: 'seeded',
          repo: 'acme/seeded',
          stages: ['seeded-qa01', 'seeded-st01'],
        });
        await client.post('/apps/seeded-qa01/webhooks', {
          body: { include: ['api:release'], level: 'notify', url: hooks.url, secret: 'shh' },
        });
        for (let i = 0; i < 4; i++) await own.scenario.hotfix('seeded', 'seeded-qa01');
        const list = await until('every delivery settled', async () => {
          const all = (await client.get('/apps/seeded-qa01/webhook-deliveries', {
            headers: { Range: 'seq ..; order=asc' },
          })) as Delivery[];
          return all.length === 8 && all.every((d) => d.status !== 'pending' && d.status !== 'scheduled') && all;
        });
        return list.map((d) => d.status);
      } finally {
        await own.stop();
      }
    };
    const first = await outcomes(11);
    assert.deepEqual(await outcomes(11), first);
    assert.deepEqual(new Set(first), new Set(['failed', 'succeeded']), 'some lost, some delivered');
  });

  test('a bad delivery setting is refused naming it', () => {
    assert.throws(() => sandbox.webhooks.configure({ lost: 2 }), /lost: must be a number from 0 to 1/);
  });
});
