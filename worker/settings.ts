import { ConnectionConfigError, resolveTemporalTarget, type ConnectionFlags, type TemporalTarget } from '../temporal/connection-config';

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
}

export const DEFAULT_TASK_QUEUE = 'conveyor';

export class SettingsError extends Error {}

/** The Temporal connection (flags, environment, profile file: see resolveTemporalTarget) and the task queue. */
export function temporalSettings(env: NodeJS.ProcessEnv = process.env, flags: ConnectionFlags = {}): TemporalTarget & { taskQueue: string } {
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
  return {
    ...temporalSettings(env, flags),
    herokuUrl: env.HEROKU_API_URL || 'https://api.heroku.com',
    herokuToken: env.HEROKU_API_KEY!,
    githubUrl: env.GITHUB_API_URL || 'https://api.github.com',
    githubToken: env.GITHUB_TOKEN!,
    librato: { email: env.LIBRATO_EMAIL, token: env.LIBRATO_TOKEN },
    notify: { slackWebhookUrl: env.CONVEYOR_SLACK_WEBHOOK_URL, webhookUrl: env.CONVEYOR_NOTIFY_WEBHOOK_URL },
  };
}
