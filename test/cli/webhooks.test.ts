import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from '../../domain/service';
import { herokuClient } from '../../activities/api-clients';
import { startReceiver, type Receiver } from '../../worker/receiver';
import { startStack, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import { anonymousHome, conveyor, tempFile } from './support';

const SECRET = 'cli-webhook-secret';

const servicesJson = (service: Service) =>
  tempFile(
    'services.json',
    JSON.stringify({
      services: [{ name: service.name, pipeline: service.pipeline, stages: service.stages, repo: service.repo }],
    }),
  );

describe('conveyor webhooks install and status', () => {
  let stack: Stack;
  let receiver: Receiver;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    stack = await startStack();
    receiver = await startReceiver({ client: stack.client, secret: SECRET, taskQueue: stack.taskQueue });
    env = {
      ...stack.workerEnv,
      ...anonymousHome(),
      PATH: process.env.PATH,
      CONVEYOR_HEROKU_WEBHOOK_SECRET: SECRET,
      CONVEYOR_RECEIVER_URL: receiver.url,
    };
  });
  after(async () => {
    await receiver?.stop();
    await stack?.stop();
  });

  const subscriptions = async (app: string) =>
    (await herokuClient(stack.sandbox.herokuUrl, stack.sandbox.token).get(`/apps/${app}/webhooks`)) as {
      url: string;
      level: string;
      include: string[];
    }[];

  test('install subscribes every stage app once, however often it runs', async () => {
    const service = await stack.launch('install', { tick: '1h' });
    const file = servicesJson(service);
    const first = await conveyor(env, 'webhooks', 'install', '-f', file, '--json');
    const again = await conveyor(env, 'webhooks', 'install', '-f', file, '--json');
    assert.deepEqual([first.code, again.code], [0, 0], first.stderr + again.stderr);
    assert.deepEqual(
      first.json().apps.map((a: { action: string }) => a.action),
      service.stages.map(() => 'created'),
    );
    assert.deepEqual(
      again.json().apps.map((a: { action: string }) => a.action),
      service.stages.map(() => 'updated'),
    );
    for (const app of service.stages)
      assert.deepEqual(
        (await subscriptions(app)).map((w) => [w.url, w.level, w.include]),
        [[receiver.url, 'sync', ['api:release']]],
      );
    assert.deepEqual(again.json().told, [service.name], 'the running pipeline was told');
  });

  test('status shows each app subscribed and its last delivery', async () => {
    const service = await stack.launch('status', { tick: '1h', minAge: '1h' });
    const file = servicesJson(service);
    assert.equal((await conveyor(env, 'webhooks', 'install', '-f', file)).code, 0);
    await stack.sandbox.scenario.merge(service.pipeline);
    const shown = await eventually(async () => {
      const run = await conveyor(env, 'webhooks', 'status', '-f', file, '--json');
      const first = run.json().apps[0];
      return first?.lastDelivery?.status === 'succeeded' && run;
    });
    const apps = shown.json().apps as { app: string; subscription: { url: string } | null }[];
    assert.deepEqual(
      apps.map((a) => [a.app, a.subscription?.url]),
      service.stages.map((app) => [app, receiver.url]),
    );
    const text = await conveyor(env, 'webhooks', 'status', '-f', file);
    assert.match(
      text.stdout,
      new RegExp(`${service.stages[0]}  sync ${receiver.url}  last delivery .*: succeeded \\(20[02]\\)`),
    );
    assert.match(text.stdout, new RegExp(`${service.stages[3]}  sync .*  no delivery yet`));
  });

  test('install without the secret is a one-line usage error', async () => {
    const service = await stack.prepare('nosecret');
    const run = await conveyor(
      { ...env, CONVEYOR_HEROKU_WEBHOOK_SECRET: '' },
      'webhooks',
      'install',
      '-f',
      servicesJson(service),
    );
    assert.equal(run.code, 2);
    assert.match(run.stderr.trim(), /^conveyor: CONVEYOR_HEROKU_WEBHOOK_SECRET is not set/);
  });
});
