import { parseDuration } from '../domain/duration';
import { workerMemory, type WorkerMemory } from './memory';
import { SettingsError } from '../config/settings-error';
import {
  ConnectionConfigError,
  resolveTemporalTarget,
  type ConnectionFlags,
  type TemporalTarget,
} from '../temporal/connection-config';

/** Where the worker connects and the credentials it holds. Secrets come only from the environment. */
export interface WorkerSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  /** TLS, API key, gRPC metadata (see temporal/connection-config.ts); plain `address` when absent. */
  connectionOptions?: TemporalTarget['connectionOptions'];
  tls?: TemporalTarget['tls'];
  apiKey?: boolean;
  herokuUrl: string;
  herokuToken: string;
  githubUrl: string;
  githubToken: string;
  librato?: { email?: string; token?: string };
  notify?: { slackWebhookUrl?: string; webhookUrl?: string };
  /** Production options (see productionSettings); absent in tests and the demo. */
  production?: ProductionSettings;
  /** The Heroku webhook receiver, run in the worker process when CONVEYOR_RECEIVER_ADDRESS is set. */
  receiver?: ReceiverSettings;
}

/** Where the webhook receiver listens and the secret Heroku signs its deliveries with. */
export interface ReceiverSettings {
  host: string;
  port: number;
  /** CONVEYOR_HEROKU_WEBHOOK_SECRET; never logged. */
  secret: string;
  /** CONVEYOR_RECEIVER_URL, the URL Heroku delivers to: with it the worker sweeps the subscriptions every `sweepIntervalMs`. */
  publicUrl?: string;
  /** CONVEYOR_WEBHOOKS_SWEEP_INTERVAL (6h). */
  sweepIntervalMs: number;
}

export const DEFAULT_RECEIVER_PORT = 8235;
export const WEBHOOK_SECRET_ENV = 'CONVEYOR_HEROKU_WEBHOOK_SECRET';

export type Versioning = 'off' | 'pinned' | 'auto-upgrade';

/** How the worker runs in production: metrics, logs, shutdown, Worker Deployment version. */
export interface ProductionSettings {
  /** CONVEYOR_METRICS_ADDRESS (host:port) for the Prometheus endpoint; none when unset. */
  metricsAddress?: string;
  /** CONVEYOR_METRICS_STATUS_INTERVAL: how often the metrics reader asks each pipeline's status. */
  statusIntervalMs: number;
  /** CONVEYOR_SHUTDOWN_GRACE (25s, inside Heroku's 30 s): the worker exits within it after SIGTERM (see worker/shutdown.ts). */
  shutdownGraceMs: number;
  /** CONVEYOR_DEPLOYMENT_NAME (default conveyor). */
  deploymentName: string;
  /** CONVEYOR_BUILD_ID; by default derived from the workflow bundle's code. */
  buildId?: string;
  /** The workflow cache's size from the memory the worker has (see worker/memory.ts). */
  memory: WorkerMemory;
  /** CONVEYOR_VERSIONING: off (default: the version is announced, every worker takes every task), pinned, auto-upgrade. */
  versioning: Versioning;
  /** CONVEYOR_WORKFLOW_TASK_SLOTS: workflow tasks run at once (the SDK's 40 when unset). */
  workflowTaskSlots?: number;
}

export const DEFAULT_TASK_QUEUE = 'conveyor';

function durationSetting(env: NodeJS.ProcessEnv, name: string, fallback: string): number {
  const text = env[name] || fallback;
  const ms = parseDuration(text);
  if (ms === undefined) throw new SettingsError(`${name} '${text}' is not a duration (e.g. 30s, 5m)`);
  return ms;
}

/**
 * CONVEYOR_WORKFLOW_TASK_SLOTS: how many workflow tasks the worker runs at once (the SDK's
 * maxConcurrentWorkflowTaskExecutions, 40 by default). A pipeline's reads run as local activities
 * inside its workflow task and hold its slot while they wait on Heroku; undefined when unset.
 */
export function workflowTaskSlots(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.CONVEYOR_WORKFLOW_TASK_SLOTS;
  if (!text) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 2)
    throw new SettingsError(`CONVEYOR_WORKFLOW_TASK_SLOTS '${text}' is not a whole number of at least 2`);
  return n;
}

export function productionSettings(env: NodeJS.ProcessEnv = process.env): ProductionSettings {
  const metricsAddress = env.CONVEYOR_METRICS_ADDRESS || undefined;
  if (metricsAddress && !/^(\[[0-9a-fA-F:]+\]|[^\s:]*):\d{1,5}$/.test(metricsAddress)) {
    throw new SettingsError(`CONVEYOR_METRICS_ADDRESS '${metricsAddress}' is not host:port (e.g. 0.0.0.0:9464)`);
  }
  const versioning = (env.CONVEYOR_VERSIONING || 'off') as Versioning;
  if (!['off', 'pinned', 'auto-upgrade'].includes(versioning))
    throw new SettingsError(`CONVEYOR_VERSIONING '${versioning}' is not one of off, pinned, auto-upgrade`);
  return {
    metricsAddress,
    statusIntervalMs: durationSetting(env, 'CONVEYOR_METRICS_STATUS_INTERVAL', '60s'),
    shutdownGraceMs: durationSetting(env, 'CONVEYOR_SHUTDOWN_GRACE', '25s'),
    deploymentName: env.CONVEYOR_DEPLOYMENT_NAME || 'conveyor',
    buildId: env.CONVEYOR_BUILD_ID || undefined,
    versioning,
    memory: workerMemory(env),
    ...(workflowTaskSlots(env) !== undefined ? { workflowTaskSlots: workflowTaskSlots(env) } : {}),
  };
}

/** `host:port` (or `:port`, loopback) of CONVEYOR_RECEIVER_ADDRESS, or a one-line error naming it. */
function hostPort(name: string, text: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^\s:]*):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65_535)
    throw new SettingsError(`${name} '${text}' is not host:port (e.g. 127.0.0.1:${DEFAULT_RECEIVER_PORT})`);
  return { host: match[1].replace(/^\[|\]$/g, '') || '127.0.0.1', port };
}

/**
 * The webhook receiver's settings: in the worker only when CONVEYOR_RECEIVER_ADDRESS is set
 * (`required` false answers undefined otherwise); `conveyor receiver` always (127.0.0.1:8235 by default).
 */
export function receiverSettings(
  env: NodeJS.ProcessEnv = process.env,
  options: { required?: boolean; host?: string; port?: number } = {},
): ReceiverSettings | undefined {
  const address = env.CONVEYOR_RECEIVER_ADDRESS || undefined;
  if (!address && !options.required) return undefined;
  const bound = address
    ? hostPort('CONVEYOR_RECEIVER_ADDRESS', address)
    : { host: '127.0.0.1', port: DEFAULT_RECEIVER_PORT };
  const secret = env[WEBHOOK_SECRET_ENV];
  if (!secret)
    throw new SettingsError(
      `${WEBHOOK_SECRET_ENV} must be set for the webhook receiver: it is the secret Heroku signs deliveries with (conveyor webhooks install uses the same)`,
    );
  const publicUrl = env.CONVEYOR_RECEIVER_URL || undefined;
  if (publicUrl && !URL.canParse(publicUrl))
    throw new SettingsError(
      `CONVEYOR_RECEIVER_URL '${publicUrl}' is not a URL (e.g. https://conveyor.example.com/webhooks/heroku)`,
    );
  return {
    host: options.host ?? bound.host,
    port: options.port ?? bound.port,
    secret,
    ...(publicUrl ? { publicUrl } : {}),
    sweepIntervalMs: durationSetting(env, 'CONVEYOR_WEBHOOKS_SWEEP_INTERVAL', '6h'),
  };
}

/** The Temporal connection (flags, environment, profile file: see resolveTemporalTarget) and the task queue. */
export function temporalSettings(
  env: NodeJS.ProcessEnv = process.env,
  flags: ConnectionFlags = {},
): TemporalTarget & { taskQueue: string } {
  try {
    return { ...resolveTemporalTarget(flags, env), taskQueue: env.CONVEYOR_TASK_QUEUE || DEFAULT_TASK_QUEUE };
  } catch (error) {
    if (error instanceof ConnectionConfigError) throw new SettingsError(error.message);
    throw error;
  }
}

export function workerSettings(env: NodeJS.ProcessEnv = process.env, flags: ConnectionFlags = {}): WorkerSettings {
  const missing = ['HEROKU_API_KEY', 'GITHUB_TOKEN'].filter((name) => !env[name]);
  if (missing.length) throw new SettingsError(`${missing.join(' and ')} must be set in the worker's environment`);
  const receiver = receiverSettings(env);
  return {
    ...temporalSettings(env, flags),
    herokuUrl: env.HEROKU_API_URL || 'https://api.heroku.com',
    herokuToken: env.HEROKU_API_KEY!,
    githubUrl: env.GITHUB_API_URL || 'https://api.github.com',
    githubToken: env.GITHUB_TOKEN!,
    librato: { email: env.LIBRATO_EMAIL, token: env.LIBRATO_TOKEN },
    notify: { slackWebhookUrl: env.CONVEYOR_SLACK_WEBHOOK_URL, webhookUrl: env.CONVEYOR_NOTIFY_WEBHOOK_URL },
    production: productionSettings(env),
    ...(receiver ? { receiver } : {}),
  };
}
