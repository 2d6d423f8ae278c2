// `conveyor web`: the one process a platform routes HTTP to (a Heroku web dyno, a container's port,
// a host behind a proxy): the dashboard, Heroku's release webhooks, /healthz and Prometheus metrics
// behind a token, on one port, answering only its own host names.
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { connectClient, type TemporalTarget } from '../client/connection';
import { createLogger, logLevel } from '../worker/logging';
import { ConveyorMetrics } from '../worker/metrics';
import { receiverRoutes, RECEIVER_PATH } from '../worker/receiver';
import { receiverSettings, WEBHOOK_SECRET_ENV } from '../worker/settings';
import { startSubscriptionSweep } from '../worker/subscriptions';
import { apiClients, apiEndpoints } from '../activities/api-clients';
import { BACKGROUND } from '../activities/api-budget';
import { budgetSettings } from '../config/budget-settings';
import { AppDirectory } from '../worker/app-directory';
import { openDashboard } from './main';
import { webSettings, type WebFlags } from './web-settings';

/** The bearer token of a request, compared in constant time. */
export function bearerMatches(token: string, authorization: string | undefined): boolean {
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface WebProcess {
  url: string;
  stop(): Promise<void>;
}

/** Starts the web process from the environment; answers where it listens and how to stop it. */
export async function startWeb(
  target: TemporalTarget & { taskQueue: string },
  flags: WebFlags & { temporalUi?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<WebProcess> {
  const settings = webSettings(env, flags);
  const logger = createLogger({ level: logLevel(env) });
  const metrics = new ConveyorMetrics();
  const routes = new Hono();
  routes.get('/healthz', (c) => c.text('ok\n'));
  routes.get('/metrics', async (c) => {
    if (!settings.metricsToken) return c.text('metrics are off: set CONVEYOR_METRICS_TOKEN\n', 404);
    if (!bearerMatches(settings.metricsToken, c.req.header('authorization'))) {
      logger.warn({ path: '/metrics' }, 'metrics refused: missing or wrong bearer token');
      return c.text('bearer token required (CONVEYOR_METRICS_TOKEN)\n', 401, { 'www-authenticate': 'Bearer' });
    }
    return c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
  });

  // Heroku's webhooks and the metrics' pipeline reader use a client of their own, not the dashboard's.
  const client = await connectClient(target);
  const secret = env[WEBHOOK_SECRET_ENV];
  let stopSweep = () => {};
  if (secret) {
    const directory = new AppDirectory(client, { taskQueue: target.taskQueue });
    // With its public URL (CONVEYOR_RECEIVER_URL) and a Heroku token, it keeps the pipelines told which apps are subscribed.
    const receiver = receiverSettings(env, { required: true });
    if (receiver?.publicUrl && env.HEROKU_API_KEY)
      stopSweep = startSubscriptionSweep({
        client,
        heroku: apiClients(apiEndpoints(env), { budgets: budgetSettings(env), caller: BACKGROUND }).heroku,
        directory,
        url: receiver.publicUrl,
        intervalMs: receiver.sweepIntervalMs,
        log: (level, message, fields) => logger[level](fields, message),
      });
    routes.route(
      '/',
      receiverRoutes({
        client,
        secret,
        taskQueue: target.taskQueue,
        metrics,
        directory,
        log: (level, message, fields) => logger[level](fields, message),
      }),
    );
  } else {
    routes.post(RECEIVER_PATH, (c) => c.json({ error: `webhooks are off: ${WEBHOOK_SECRET_ENV} is not set` }, 404));
  }
  const stopAll = () => {
    stopSweep();
    stopReader();
  };
  const stopReader = settings.metricsToken
    ? metrics.startStatusReader(client, target.taskQueue, 60_000)
    : () => undefined;

  try {
    const dashboard = await openDashboard(
      target,
      { host: settings.host, port: String(settings.port), temporalUi: flags.temporalUi },
      env,
      {
        hostnames: settings.hostnames,
        routes,
        trustProxy: settings.trustProxy,
        log: (line) => logger.info({ component: 'dashboard' }, line),
      },
    );
    logger.info(
      {
        url: dashboard.url,
        hostnames: settings.hostnames,
        webhooks: secret ? RECEIVER_PATH : 'off',
        metrics: settings.metricsToken ? '/metrics' : 'off',
      },
      'web running',
    );
    return {
      url: dashboard.url,
      async stop() {
        stopAll();
        await dashboard.stop();
        await client.connection.close().catch(() => undefined);
      },
    };
  } catch (error) {
    stopAll();
    await client.connection.close().catch(() => undefined);
    throw error;
  }
}

/** Serves until SIGTERM (Heroku's, or Ctrl-C), then stops taking connections and exits. */
export async function runWeb(
  target: TemporalTarget & { taskQueue: string },
  flags: WebFlags & { temporalUi?: string } = {},
): Promise<void> {
  const web = await startWeb(target, flags);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await web.stop();
  process.exit(0);
}
