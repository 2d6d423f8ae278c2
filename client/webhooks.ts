// `conveyor webhooks install` and `status`: each stage app's `api:release` subscription to the
// receiver, through heroku-client (GET/POST/PATCH /apps/{app}/webhooks, GET /apps/{app}/webhook-deliveries).
import type { Client } from '@temporalio/client';
import type Heroku from 'heroku-client';
import { workflowIdFor, type Service } from '../domain/service';
import { apiClients, apiEndpoints } from '../activities/api-clients';
import { budgetSettings } from '../config/budget-settings';
import { WEBHOOK_SECRET_ENV } from '../worker/settings';
import { lookSignal } from '../workflows/messages';
import { UnreachableError, UsageError } from './errors';

export const RECEIVER_URL_ENV = 'CONVEYOR_RECEIVER_URL';
const INCLUDE = ['api:release'];

/** Heroku's webhook subscription, as GET /apps/{app}/webhooks answers it. */
interface HerokuWebhook {
  id: string;
  url: string;
  include: string[];
  level: 'notify' | 'sync';
  created_at: string;
  updated_at: string;
}

/** Heroku's delivery record, as GET /apps/{app}/webhook-deliveries answers it. */
interface HerokuDelivery {
  id: string;
  created_at: string;
  status: string;
  num_attempts: number;
  next_attempt_at: string | null;
  event: { id: string; include: string };
  webhook: { id: string; level: string };
  last_attempt: { code: number | null; error_class: string | null; status: string; updated_at: string } | null;
}

export interface Installed {
  service: string;
  app: string;
  webhook: string;
  action: 'created' | 'updated';
}

export interface InstallResult {
  url: string;
  apps: Installed[];
  /** Pipelines told their apps are subscribed (their fallback poll slows down). */
  told: string[];
  problems: string[];
}

export interface AppWebhookStatus {
  service: string;
  app: string;
  /** The app's subscription to this receiver (or the one for api:release), null when none. */
  subscription: { id: string; url: string; level: string; include: string[]; updatedAt: string } | null;
  /** Its newest delivery, null when Heroku has none. */
  lastDelivery: {
    id: string;
    at: string;
    status: string;
    attempts: number;
    code: number | null;
    error: string | null;
    nextAttemptAt: string | null;
  } | null;
  /** Why the app could not be read, when it could not. */
  problem?: string;
}

/** The receiver URL from --url or CONVEYOR_RECEIVER_URL, or a one-line error. */
export function receiverUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const text = flag ?? env[RECEIVER_URL_ENV];
  if (!text)
    throw new UsageError(
      `--url (or ${RECEIVER_URL_ENV}) must name the receiver, e.g. https://conveyor.example.com/webhooks/heroku`,
    );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url: "${text}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`--url: "${text}" is not an http(s) URL`);
  return url.toString();
}

function heroku(env: NodeJS.ProcessEnv): { client: Heroku; url: string } {
  if (!env.HEROKU_API_KEY)
    throw new UsageError("HEROKU_API_KEY is not set: it is needed to read and change the apps' webhooks");
  const endpoints = apiEndpoints(env);
  // The token's budget, as a person's command (see docs, API budget).
  return { client: apiClients(endpoints, { budgets: budgetSettings(env) }).heroku, url: endpoints.herokuUrl };
}

const statusOf = (error: unknown) => (error as { statusCode?: number })?.statusCode;
const messageOf = (error: unknown) => {
  const body = (error as { body?: { message?: string } })?.body;
  return body?.message ?? String((error as Error)?.message ?? error).split('\n')[0];
};

/** A refused token or an unreachable Heroku is one answer for every app: exit 3 at once. */
function fatal(error: unknown, url: string): UnreachableError | undefined {
  const status = statusOf(error);
  if (status === 401 || status === 403)
    return new UnreachableError(`Heroku at ${url} refused HEROKU_API_KEY (${status}): check the token`);
  if (status === undefined) return new UnreachableError(`cannot reach Heroku at ${url}: ${messageOf(error)}`);
  return undefined;
}

const sameUrl = (a: string, b: string) => {
  try {
    return new URL(a).toString() === new URL(b).toString();
  } catch {
    return a === b;
  }
};

/**
 * Subscribes every stage app to `api:release` at `url` (level `sync`: Heroku retries failed
 * deliveries), signed with CONVEYOR_HEROKU_WEBHOOK_SECRET. Idempotent: an app already subscribed to
 * `url` has that subscription updated, never a second one added.
 */
export async function installWebhooks(
  services: Service[],
  url: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<InstallResult> {
  const secret = env[WEBHOOK_SECRET_ENV];
  if (!secret)
    throw new UsageError(
      `${WEBHOOK_SECRET_ENV} is not set: it is the secret Heroku signs deliveries with, and the receiver checks`,
    );
  const api = heroku(env);
  const body = { include: INCLUDE, level: 'sync', url, secret };
  const apps: Installed[] = [];
  const problems: string[] = [];
  for (const service of services) {
    for (const app of service.stages) {
      try {
        const existing = ((await api.client.get(`/apps/${encodeURIComponent(app)}/webhooks`)) as HerokuWebhook[]).find(
          (w) => sameUrl(w.url, url),
        );
        const webhook = existing
          ? ((await api.client.patch(`/apps/${encodeURIComponent(app)}/webhooks/${existing.id}`, {
              body,
            })) as HerokuWebhook)
          : ((await api.client.post(`/apps/${encodeURIComponent(app)}/webhooks`, { body })) as HerokuWebhook);
        apps.push({ service: service.name, app, webhook: webhook.id, action: existing ? 'updated' : 'created' });
      } catch (error) {
        const stop = fatal(error, api.url);
        if (stop) throw stop;
        problems.push(`service ${service.name}: app ${app}: ${messageOf(error)} (${statusOf(error)})`);
      }
    }
  }
  return { url, apps, told: [], problems };
}

/**
 * Tells each running pipeline whose every stage is subscribed that webhooks reach it (signal `look`,
 * source `subscription`), so its fallback poll slows at once rather than at its first delivery.
 */
export async function tellPipelines(client: Client, services: Service[], installed: Installed[]): Promise<string[]> {
  const told: string[] = [];
  for (const service of services) {
    const subscribed = new Set(installed.filter((i) => i.service === service.name).map((i) => i.app));
    if (!service.stages.every((app) => subscribed.has(app))) continue;
    try {
      await client.workflow.getHandle(workflowIdFor(service.name)).signal(lookSignal, { source: 'subscription' });
      told.push(service.name);
    } catch (error) {
      if ((error as Error)?.name !== 'WorkflowNotFoundError') throw error;
    }
  }
  return told;
}

/** Each stage app's subscription (to `url` when given) and its newest delivery. */
export async function webhookStatus(
  services: Service[],
  url: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AppWebhookStatus[]> {
  const api = heroku(env);
  const answers: AppWebhookStatus[] = [];
  for (const service of services) {
    for (const app of service.stages) {
      const base = `/apps/${encodeURIComponent(app)}`;
      try {
        const hooks = (await api.client.get(`${base}/webhooks`)) as HerokuWebhook[];
        const hook = url
          ? hooks.find((w) => sameUrl(w.url, url))
          : hooks.find((w) => w.include.some((i) => INCLUDE.includes(i)));
        let lastDelivery: AppWebhookStatus['lastDelivery'] = null;
        if (hook) {
          // Newest first, one page (Heroku's CLI asks the same way).
          const deliveries = (await api.client.get(`${base}/webhook-deliveries`, {
            headers: { Range: 'seq ..; order=desc,max=50' },
            partial: true,
          })) as HerokuDelivery[];
          const last = deliveries
            .filter((d) => d.webhook?.id === hook.id)
            .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))[0];
          if (last)
            lastDelivery = {
              id: last.id,
              at: last.created_at,
              status: last.status,
              attempts: last.num_attempts,
              code: last.last_attempt?.code ?? null,
              error: last.last_attempt?.error_class ?? null,
              nextAttemptAt: last.next_attempt_at,
            };
        }
        answers.push({
          service: service.name,
          app,
          subscription: hook
            ? { id: hook.id, url: hook.url, level: hook.level, include: hook.include, updatedAt: hook.updated_at }
            : null,
          lastDelivery,
        });
      } catch (error) {
        const stop = fatal(error, api.url);
        if (stop) throw stop;
        answers.push({
          service: service.name,
          app,
          subscription: null,
          lastDelivery: null,
          problem: `${messageOf(error)} (${statusOf(error)})`,
        });
      }
    }
  }
  return answers;
}

/** One line per app: its subscription and its last delivery. */
export function formatWebhookStatus(rows: AppWebhookStatus[]): string {
  if (rows.length === 0) return 'no stage apps';
  return rows
    .map((row) => {
      if (row.problem) return `${row.app}  cannot read: ${row.problem}`;
      if (!row.subscription) return `${row.app}  not subscribed (conveyor webhooks install subscribes it)`;
      const sub = `${row.subscription.level} ${row.subscription.url}`;
      const last = row.lastDelivery;
      const delivery = last
        ? `last delivery ${last.at}: ${last.status}${last.code !== null ? ` (${last.code})` : ''}, ${last.attempts} attempt${last.attempts === 1 ? '' : 's'}${last.error ? `, ${last.error}` : ''}${last.nextAttemptAt ? `, next ${last.nextAttemptAt}` : ''}`
        : 'no delivery yet';
      return `${row.app}  ${sub}  ${delivery}`;
    })
    .join('\n');
}
