// `conveyor receiver`: the webhook receiver on its own (the worker runs the same one when
// CONVEYOR_RECEIVER_ADDRESS is set), until Ctrl-C.
import { createLogger, logLevel } from '../worker/logging';
import { startReceiver } from '../worker/receiver';
import { receiverSettings } from '../worker/settings';
import { connectClient, type TemporalTarget } from './connection';
import { UsageError, UserError } from './errors';

export interface ReceiverCommandOptions {
  host?: string;
  port?: number;
}

export async function runReceiver(
  target: TemporalTarget & { taskQueue: string },
  options: ReceiverCommandOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const settings = receiverSettings(env, { required: true, host: options.host, port: options.port })!;
  const client = await connectClient(target);
  const logger = createLogger({ level: logLevel(env) });
  let receiver;
  try {
    receiver = await startReceiver({
      client,
      secret: settings.secret,
      taskQueue: target.taskQueue,
      host: settings.host,
      port: settings.port,
      log: (level, message, fields) => logger[level](fields, message),
    });
  } catch (error) {
    await client.connection.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new UserError(`port ${settings.port} on ${settings.host} is taken (choose another with --port)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new UsageError(`--host: cannot bind to "${settings.host}" on this machine`);
    throw error;
  }
  logger.info({ url: receiver.url, taskQueue: target.taskQueue }, 'webhook receiver running');
  console.error(
    `conveyor receiver at ${receiver.url} (subscribe it with: conveyor webhooks install -f FILE --url <public URL of this endpoint>)`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await receiver.stop();
  await client.connection.close();
  process.exit(0);
}
