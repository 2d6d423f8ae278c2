import { DEFAULT_ADDRESS } from '../temporal/dev-server';

/** Where the worker connects and the credentials it holds. Secrets come only from the environment. */
export interface WorkerSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  herokuUrl: string;
  herokuToken: string;
  githubUrl: string;
  githubToken: string;
  librato?: { email?: string; token?: string };
  notify?: { slackWebhookUrl?: string; webhookUrl?: string };
}

export const DEFAULT_TASK_QUEUE = 'conveyor';

export class SettingsError extends Error {}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env) {
  return {
    address: env.TEMPORAL_ADDRESS || DEFAULT_ADDRESS,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.CONVEYOR_TASK_QUEUE || DEFAULT_TASK_QUEUE,
  };
}

export function workerSettings(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const missing = ['HEROKU_API_KEY', 'GITHUB_TOKEN'].filter((name) => !env[name]);
  if (missing.length) throw new SettingsError(`${missing.join(' and ')} must be set in the worker's environment`);
  return {
    ...temporalSettings(env),
    herokuUrl: env.HEROKU_API_URL || 'https://api.heroku.com',
    herokuToken: env.HEROKU_API_KEY!,
    githubUrl: env.GITHUB_API_URL || 'https://api.github.com',
    githubToken: env.GITHUB_TOKEN!,
    librato: { email: env.LIBRATO_EMAIL, token: env.LIBRATO_TOKEN },
    notify: { slackWebhookUrl: env.CONVEYOR_SLACK_WEBHOOK_URL, webhookUrl: env.CONVEYOR_NOTIFY_WEBHOOK_URL },
  };
}
