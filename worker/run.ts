// `conveyor worker`: one process, one JSON log stream, a Prometheus endpoint, and a drain on SIGTERM.
import { certificateVariablesWarning } from './certificate-variables';
import { Client, Connection } from '@temporalio/client';
import { Runtime, makeTelemetryFilterString, type Logger } from '@temporalio/worker';
import { describeTarget } from '../temporal/connection-config';
import { freePort } from '../temporal/free-port';
import { createLogger, logLevel, PinoTemporalLogger } from './logging';
import { ConveyorMetrics, serveMetrics } from './metrics';
import { shutdownWindow } from './shutdown';
import { otelMetrics } from './telemetry';
import { productionSettings, type WorkerSettings } from './settings';
import { closeWorkerConnections, createWorker } from './worker';
import { AppDirectory } from './app-directory';
import { apiClients } from '../activities/api-clients';
import { startReceiver, type Receiver, type ReceiverLog } from './receiver';
import { startSubscriptionSweep } from './subscriptions';
import { BACKGROUND } from '../activities/api-budget';
import { budgetSettings, type BudgetPair } from '../config/budget-settings';
import { SettingsError } from '../config/settings-error';

const coreLevels = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' } as const;

/**
 * Installs the SDK Runtime with conveyor's logger (workflow and activity `log.*`, the SDK's and
 * Core's own lines all go to the same pino stream) and, when asked, Core's Prometheus exporter.
 * Once per process, before any connection.
 */
export function installRuntime(env: NodeJS.ProcessEnv = process.env, sdkMetricsAddress?: string): Logger {
  const level = logLevel(env);
  const otel = otelMetrics(env);
  const logger = new PinoTemporalLogger(createLogger({ level }));
  Runtime.install({
    logger,
    telemetryOptions: {
      // Core is chatty at info; its warnings and errors always come through, and everything at debug/trace.
      logging: {
        forward: {},
        filter: makeTelemetryFilterString({
          core: level === 'debug' || level === 'trace' ? coreLevels[level] : 'WARN',
        }),
      },
      // One exporter for the SDK's metrics: pushed to a collector when one is named, else served for scraping.
      ...(otel
        ? {
            metrics: {
              otel: {
                url: otel.url,
                http: otel.http,
                headers: otel.headers,
                metricsExportInterval: otel.intervalMs,
                useSecondsForDurations: true,
              },
            },
          }
        : sdkMetricsAddress
          ? { metrics: { prometheus: { bindAddress: sdkMetricsAddress } } }
          : {}),
    },
  });
  return logger;
}

/**
 * A worker with a token Heroku rejects would start, poll, and block every pipeline on 401s: it does
 * not start, in one line. Heroku out of reach is not the token's fault: the worker starts and retries.
 */
async function refuseRejectedToken(settings: WorkerSettings, budgets: BudgetPair): Promise<void> {
  try {
    await apiClients(settings, { budgets }).heroku.request({ method: 'GET', path: '/account/rate-limits' });
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 401 || status === 403)
      throw new SettingsError(
        `Heroku refused HEROKU_API_KEY (${status}) at ${settings.herokuUrl}: the worker does not start with a token Heroku rejects (heroku authorizations:create makes one)`,
      );
  }
}

export async function runWorker(settings: WorkerSettings, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const production = settings.production ?? productionSettings(env);
  // The API budgets' settings, checked before anything starts (a bad one is a one-line error).
  const budgets = budgetSettings(env);
  await refuseRejectedToken(settings, budgets);
  // The SDK's metrics are exported by Core on a private loopback port and served through conveyor's endpoint
  // (unless they are pushed to an OpenTelemetry collector).
  const sdkMetricsAddress =
    production.metricsAddress && !otelMetrics(env) ? `127.0.0.1:${await freePort()}` : undefined;
  const logger = installRuntime(env, sdkMetricsAddress);
  const metrics = production.metricsAddress ? new ConveyorMetrics() : undefined;
  const endpoint =
    metrics && production.metricsAddress
      ? await serveMetrics(
          production.metricsAddress,
          metrics,
          sdkMetricsAddress ? `http://${sdkMetricsAddress}/metrics` : undefined,
        )
      : undefined;

  const worker = await createWorker({ ...settings, production }, { metrics, budgets });
  let stopReader = () => {};
  let readerConnection: Connection | undefined;
  if (metrics) {
    readerConnection = await Connection.connect({ ...settings.connectionOptions?.(), address: settings.address });
    stopReader = metrics.startStatusReader(
      new Client({ connection: readerConnection, namespace: settings.namespace }),
      settings.taskQueue,
      production.statusIntervalMs,
    );
  }
  // Heroku's release webhooks, received in this process when CONVEYOR_RECEIVER_ADDRESS is set.
  let receiver: Receiver | undefined;
  let receiverConnection: Connection | undefined;
  let stopSweep = () => {};
  if (settings.receiver) {
    receiverConnection = await Connection.connect({ ...settings.connectionOptions?.(), address: settings.address });
    const client = new Client({ connection: receiverConnection, namespace: settings.namespace });
    const directory = new AppDirectory(client, { taskQueue: settings.taskQueue });
    const log: ReceiverLog = (level, message, fields) => logger[level](message, fields);
    receiver = await startReceiver({
      client,
      secret: settings.receiver.secret,
      taskQueue: settings.taskQueue,
      host: settings.receiver.host,
      port: settings.receiver.port,
      metrics,
      log,
      directory,
    });
    if (settings.receiver.publicUrl)
      stopSweep = startSubscriptionSweep({
        client,
        // The token's budget, as a routine caller: re-confirming subscriptions never uses the reserve.
        heroku: apiClients(settings, { budgets, observe: (api) => metrics?.http(api), caller: BACKGROUND }).heroku,
        directory,
        url: settings.receiver.publicUrl,
        intervalMs: settings.receiver.sweepIntervalMs,
        log,
      });
  }
  const window = shutdownWindow(production.shutdownGraceMs);
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info('draining: no new tasks; running activities may finish', {
      signal,
      graceSeconds: production.shutdownGraceMs / 1000,
      activitiesSeconds: window.activitiesMs / 1000,
    });
    // Out before the platform's SIGKILL, whatever is left (Heroku: 30 s after SIGTERM).
    setTimeout(() => {
      logger.warn('shutdown window over: exiting', { graceSeconds: production.shutdownGraceMs / 1000 });
      process.exit(process.exitCode ?? 0);
    }, window.exitMs).unref();
  };
  process.once('SIGTERM', onSignal).once('SIGINT', onSignal);

  const target = {
    address: settings.address,
    namespace: settings.namespace,
    tls: settings.tls ?? 'off',
    apiKey: settings.apiKey ?? false,
  };
  const version = worker.options.workerDeploymentOptions?.version;
  logger.info('worker running', {
    temporal: describeTarget(target),
    taskQueue: settings.taskQueue,
    deploymentName: version?.deploymentName,
    buildId: version?.buildId,
    versioning: production.versioning,
    ...production.memory,
    ...(otelMetrics(env) ? { otelMetrics: otelMetrics(env)!.url } : {}),
    ...(endpoint ? { metrics: endpoint.url } : {}),
    ...(receiver ? { webhookReceiver: receiver.url } : {}),
  });
  const certificates = certificateVariablesWarning(env);
  if (certificates) logger.warn(certificates);
  try {
    await worker.run();
  } finally {
    stopReader();
    stopSweep();
    await receiver?.stop();
    await receiverConnection?.close().catch(() => undefined);
    await readerConnection?.close().catch(() => undefined);
    await endpoint?.close();
    await closeWorkerConnections(worker);
    logger.info('worker stopped', { taskQueue: settings.taskQueue });
    // Keep-alive sockets of the HTTP clients must not hold a drained worker up.
    setTimeout(() => process.exit(process.exitCode ?? 0), 2_000).unref();
  }
}
