// `conveyor worker` with CONVEYOR_RECEIVER_ADDRESS: the receiver runs in the worker process, wakes
// pipelines on Heroku's release webhooks, counts its answers on /metrics, and never logs its secret.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { installWebhooks, tellPipelines } from '../../client/webhooks';
import { freePort } from '../../temporal/free-port';
import { RECEIVER_PATH } from '../../worker/receiver';
import { conveyorWorker, type WorkerProcess } from '../cluster/support';
import { commitsByStage, startStack, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

const SECRET = 'in-worker-receiver-secret-5f1c';

describe('the webhook receiver in the worker process', () => {
  let stack: Stack;
  let worker: WorkerProcess | undefined;
  let receiverUrl: string;
  let metricsUrl: string;

  before(async () => {
    stack = await startStack({ worker: false, promotionDelayMs: 200 });
    const [receiverPort, metricsPort] = [await freePort(), await freePort()];
    receiverUrl = `http://127.0.0.1:${receiverPort}${RECEIVER_PATH}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    worker = await conveyorWorker(stack.workerEnv, {
      CONVEYOR_RECEIVER_ADDRESS: `:${receiverPort}`,
      CONVEYOR_HEROKU_WEBHOOK_SECRET: SECRET,
      CONVEYOR_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
    });
  });
  after(async () => {
    worker?.child.kill('SIGKILL');
    await stack?.stop();
  });

  test('a merge on a pipeline polled once an hour is promoted on its webhooks, counted, and the secret is in no line', async () => {
    const service = await stack.launch('inworker', { tick: '1h', minAge: '1s' });
    const installed = await installWebhooks([service], receiverUrl, {
      ...stack.workerEnv,
      CONVEYOR_HEROKU_WEBHOOK_SECRET: SECRET,
    });
    assert.deepEqual(installed.problems, []);
    await tellPipelines(stack.client, [service], installed.apps);
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(stack, service))[1] === merged.sha,
      60_000,
      'the merge promoted',
    );
    const exposition = await eventually(async () => {
      const text = await (await fetch(metricsUrl)).text();
      return /conveyor_webhook_deliveries_total\{result="signalled"\} [1-9]/.test(text) && text;
    });
    assert.match(exposition, /# HELP conveyor_webhook_deliveries_total /);
    const running = await worker!.waitFor((l) => l.msg === 'worker running');
    assert.equal(running.webhookReceiver, receiverUrl);
    assert.ok(!JSON.stringify(worker!.lines).includes(SECRET), 'the webhook secret is in no log line');
  });
});
