// The bench's "webhooks" contender: conveyor's worker with its webhook receiver (worker/receiver.ts)
// and every stage app subscribed to api:release, as `conveyor webhooks install` does (client/webhooks.ts).
import { randomBytes } from 'node:crypto';
import { installWebhooks, tellPipelines } from '../client/webhooks';
import type { Service } from '../domain/service';
import { freePort } from '../temporal/free-port';
import type { Stack } from '../test/support/stack';
import { RECEIVER_PATH } from '../worker/receiver';
import { WEBHOOK_SECRET_ENV } from '../worker/settings';

/** What the worker process needs to run the receiver on a free loopback port. */
export async function webhooksEnv(): Promise<NodeJS.ProcessEnv> {
  return {
    CONVEYOR_RECEIVER_ADDRESS: `127.0.0.1:${await freePort()}`,
    [WEBHOOK_SECRET_ENV]: randomBytes(16).toString('hex'),
  };
}

/** Subscribes every stage app to the receiver and tells the pipelines; answers the problems (none when all went). */
export async function installBenchWebhooks(
  stack: Stack,
  services: Service[],
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  const url = `http://${env.CONVEYOR_RECEIVER_ADDRESS}${RECEIVER_PATH}`;
  const result = await installWebhooks(services, url, { ...stack.workerEnv, ...env });
  await tellPipelines(stack.client, services, result.apps);
  return result.problems;
}
