import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { formatStatus } from '../../client/format';
import { AppDirectory } from '../../worker/app-directory';
import { herokuClient } from '../../activities/api-clients';
import { ConveyorMetrics } from '../../worker/metrics';
import { signatureOf, startReceiver, type DeliveryResult, type Receiver } from '../../worker/receiver';
import { sweepSubscriptions } from '../../worker/subscriptions';
import { lookSignal } from '../../workflows/messages';
import { nextArrival } from '../../activities/release-arrivals';
import type { Service } from '../../domain/service';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

const SECRET = 'receiver-test-secret';

/** Heroku's envelope of an api:release event about `app`. */
const releaseEvent = (app: string, eventId = randomUUID()) =>
  JSON.stringify({
    id: eventId,
    action: 'update',
    resource: 'release',
    data: { id: randomUUID(), app: { id: randomUUID(), name: app }, status: 'succeeded', version: 2 },
    previous_data: { status: 'pending' },
    webhook_metadata: {
      attempt: { id: randomUUID() },
      delivery: { id: randomUUID() },
      event: { id: eventId, include: 'api:release' },
      webhook: { id: randomUUID() },
    },
    version: 'application/vnd.heroku+json; version=3',
  });

describe('Heroku release webhooks wake pipelines', () => {
  let stack: Stack;
  let receiver: Receiver;
  let metrics: ConveyorMetrics;
  let directory: AppDirectory;
  let known: Service;

  before(async () => {
    stack = await startStack();
    metrics = new ConveyorMetrics();
    directory = new AppDirectory(stack.client, { taskQueue: stack.taskQueue, minGapMs: 0 });
    receiver = await startReceiver({
      client: stack.client,
      secret: SECRET,
      taskQueue: stack.taskQueue,
      metrics,
      directory,
    });
    known = await stack.launch('hooked', { tick: '1h' });
    await eventually(() => directory.workflowFor({ name: known.stages[0] }), 30_000, 'the pipeline in the directory');
  });
  after(async () => {
    await receiver?.stop();
    await stack?.stop();
  });

  const post = (body: string, signature: string | null = signatureOf(SECRET, body)) =>
    fetch(receiver.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(signature === null ? {} : { 'Heroku-Webhook-Hmac-SHA256': signature }),
      },
      body,
    });
  const counted = async (result: DeliveryResult) =>
    (await metrics.webhookDeliveries.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
  /** `look` signals in the pipeline's history, by source. */
  const looks = async (service: Service, source = 'webhook') => {
    const history = await stack.client.workflow.getHandle(`conveyor/${service.name}`).fetchHistory();
    return (history.events ?? []).filter((event) => {
      const signal = event.workflowExecutionSignaledEventAttributes;
      if (signal?.signalName !== 'look') return false;
      const payload = signal.input?.payloads?.[0]?.data;
      return payload ? JSON.parse(Buffer.from(payload).toString('utf8'))?.source === source : false;
    }).length;
  };
  /**
   * Waits until the history shows `count` looks: a signal that arrives while a workflow task runs is
   * written to history when that task completes.
   */
  const looked = (service: Service, count: number, source = 'webhook') =>
    eventually(async () => (await looks(service, source)) === count, 30_000, `${count} look signals (${source})`);
  const subscribe = async (service: Service, url: string) => {
    const heroku = herokuClient(stack.sandbox.herokuUrl, stack.sandbox.token);
    for (const app of service.stages)
      await heroku.post(`/apps/${app}/webhooks`, {
        body: { include: ['api:release'], level: 'notify', url, secret: SECRET },
      });
  };
  const confirmSubscription = (service: Service) =>
    stack.client.workflow.getHandle(`conveyor/${service.name}`).signal(lookSignal, { source: 'subscription' });

  test('a delivery with a bad signature is refused with 401, counted, and signals nothing', async () => {
    const body = releaseEvent(known.stages[0]);
    const before = await counted('bad-signature');
    const wrong = await post(body, signatureOf('another secret', body));
    const missing = await post(body, null);
    assert.deepEqual([wrong.status, missing.status], [401, 401]);
    assert.equal((await counted('bad-signature')) - before, 2);
    assert.equal(await looks(known), 0);
  });

  test('a signed body that is not a release event is refused with 400, counted, and signals nothing', async () => {
    const before = await counted('malformed');
    const notJson = await post('{"resource": "release", ');
    const noApp = await post(JSON.stringify({ id: randomUUID(), resource: 'release', data: {} }));
    assert.deepEqual([notJson.status, noApp.status], [400, 400]);
    assert.match(((await noApp.json()) as { error: string }).error, /no app/);
    assert.equal((await counted('malformed')) - before, 2);
    assert.equal(await looks(known), 0);
  });

  test('a delivery for an app no pipeline runs is answered 202, counted, and signals nothing', async () => {
    const before = await counted('unknown-app');
    const answer = await post(releaseEvent('nobody-runs-this-app'));
    assert.equal(answer.status, 202);
    assert.match(((await answer.json()) as { unknown: string }).unknown, /no running pipeline has app nobody-runs/);
    assert.equal((await counted('unknown-app')) - before, 1);
    assert.equal(await looks(known), 0);
  });

  test('a delivery ends the wait of a promotion or release phase this worker polls for that app, and no other', async () => {
    const mine = nextArrival([known.stages[1]]);
    const other = nextArrival(['an-app-nobody-released']);
    let otherWoken = false;
    void other.arrived.then(() => (otherWoken = true));
    const answer = await post(releaseEvent(known.stages[1]));
    assert.equal(answer.status, 200);
    const woken = await Promise.race([
      mine.arrived.then(() => 'woken'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 10_000)),
    ]);
    mine.stop();
    other.stop();
    assert.equal(woken, 'woken');
    assert.equal(otherWoken, false);
  });

  test('a delivery sent twice signals its pipeline once', async () => {
    const service = await stack.launch('twice', { tick: '1h' });
    await eventually(() => directory.workflowFor({ name: service.stages[1] }), 30_000, 'the pipeline in the directory');
    const body = releaseEvent(service.stages[1]);
    const first = await post(body);
    const again = await post(body);
    assert.deepEqual([first.status, again.status], [200, 200]);
    assert.deepEqual(await again.json(), { duplicate: JSON.parse(body).id });
    await looked(service, 1);
  });

  test('a release webhook wakes a pipeline whose poll has slowed, and the merge is promoted', async () => {
    const service = await stack.launch('woken', { tick: '2s', minAge: '1s' });
    await subscribe(service, receiver.url);
    await confirmSubscription(service);
    // Webhooks reach it: the next look is the slow fallback poll (10 minutes), not the 2 s tick.
    await eventually(
      async () => {
        const s = await status(stack, service);
        return s.nextCheckAt && s.observedAt && Date.parse(s.nextCheckAt) - Date.parse(s.observedAt) > 5 * 60_000;
      },
      30_000,
      'the slow fallback poll',
    );
    const shown = await status(stack, service);
    assert.deepEqual(shown.webhooks && [shown.webhooks.on, shown.webhooks.fallbackPollMs], [true, 10 * 60_000]);
    assert.match(formatStatus(shown), /webhooks on \(last heard .*\): a release wakes it, fallback poll every 10m/);
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(stack, service))[1] === merged.sha,
      60_000,
      'the merge promoted into the second stage',
    );
    assert.ok(await eventually(async () => (await looks(service)) >= 1), 'woken by a webhook');
  });

  test('a lost delivery is caught by the fallback poll', async () => {
    const service = await stack.launch('lost', { tick: '1s', minAge: '1s', webhookTickMs: 3_000 });
    await subscribe(service, receiver.url);
    await confirmSubscription(service);
    await eventually(
      async () => {
        const s = await status(stack, service);
        return s.nextCheckAt && s.observedAt && Date.parse(s.nextCheckAt) - Date.parse(s.observedAt) > 2_000;
      },
      30_000,
      'the slow fallback poll',
    );
    // Every delivery is lost on the way (the sandbox's seeded fault; notify level: one attempt).
    stack.sandbox.webhooks.configure({ lost: 1 });
    try {
      const merged = await stack.sandbox.scenario.merge(service.pipeline);
      await eventually(
        async () => (await commitsByStage(stack, service))[1] === merged.sha,
        60_000,
        'the merge promoted by the fallback poll',
      );
    } finally {
      stack.sandbox.webhooks.configure({ lost: 0 });
    }
    assert.equal(await looks(service), 0, 'no delivery arrived');
  });

  test('Heroku delivering every event twice wakes the pipeline once per event', async () => {
    const service = await stack.launch('doubled', { tick: '1h', minAge: '1h' });
    await eventually(() => directory.workflowFor({ name: service.stages[0] }), 30_000, 'the pipeline in the directory');
    await subscribe(service, receiver.url);
    const heroku = herokuClient(stack.sandbox.herokuUrl, stack.sandbox.token);
    const duplicates = await counted('duplicate');
    stack.sandbox.webhooks.configure({ duplicated: 1 });
    try {
      await stack.sandbox.scenario.merge(service.pipeline);
      // A merge is two events on the first app: the release created, and its release phase done.
      await eventually(
        async () => (await counted('duplicate')) - duplicates >= 2,
        30_000,
        'both events delivered twice',
      );
    } finally {
      stack.sandbox.webhooks.configure({ duplicated: 0 });
    }
    const events = (await heroku.get(`/apps/${service.stages[0]}/webhook-events`)) as unknown[];
    assert.equal(events.length, 2);
    await looked(service, 2);
  });

  test('the receiver confirms the pipelines whose every app is subscribed to it, and no other', async () => {
    const url = `${receiver.url}?confirm`;
    const whole = await stack.launch('whole', { tick: '1h' });
    const partial = await stack.launch('partial', { tick: '1h' });
    await subscribe(whole, url);
    const heroku = herokuClient(stack.sandbox.herokuUrl, stack.sandbox.token);
    await heroku.post(`/apps/${partial.stages[0]}/webhooks`, {
      body: { include: ['api:release'], level: 'notify', url, secret: SECRET },
    });
    await eventually(() => directory.workflowFor({ name: partial.stages[0] }), 30_000, 'both in the directory');
    const told = await sweepSubscriptions({ client: stack.client, heroku, directory, url });
    assert.ok(told.includes(`conveyor/${whole.name}`));
    assert.ok(!told.includes(`conveyor/${partial.name}`));
    await looked(whole, 1, 'subscription');
    assert.equal(await looks(partial, 'subscription'), 0);
  });
});
