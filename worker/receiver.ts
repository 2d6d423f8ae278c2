// The webhook receiver: Heroku's app webhooks (`api:release`) wake the pipeline that runs the app.
// Hono on node:http, as the dashboard. One POST endpoint; each delivery is verified (base64
// HMAC-SHA256 of the raw body, `Heroku-Webhook-Hmac-SHA256`), read, de-duplicated (Heroku retries
// a delivery for up to 72 h), mapped to its pipeline and signalled `look`. Nothing of the body or
// the secret is logged; every answer is counted in conveyor_webhook_deliveries_total{result}.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { lookSignal } from '../workflows/messages';
import { releaseArrived } from '../activities/release-arrivals';
import { AppDirectory, type AppRef } from './app-directory';
import type { ConveyorMetrics } from './metrics';

export const RECEIVER_PATH = '/webhooks/heroku';
export const SIGNATURE_HEADER = 'Heroku-Webhook-Hmac-SHA256';
/** Heroku retries a failing delivery for up to 72 hours: remember events a little longer. */
const SEEN_TTL_MS = 73 * 60 * 60_000;
const SEEN_LIMIT = 50_000;
const BODY_LIMIT = 1024 * 1024;

/** What the receiver answered a delivery; the label of conveyor_webhook_deliveries_total. */
export type DeliveryResult =
  'signalled' | 'duplicate' | 'bad-signature' | 'malformed' | 'unknown-app' | 'ignored' | 'failed' | 'too-large';

export type ReceiverLog = (level: 'info' | 'warn' | 'debug', message: string, fields: Record<string, unknown>) => void;

export interface ReceiverOptions {
  client: Client;
  /** The HMAC key Heroku signs with (CONVEYOR_HEROKU_WEBHOOK_SECRET); never logged. */
  secret: string;
  /** Only pipelines on this task queue are signalled (all when absent). */
  taskQueue?: string;
  /** 127.0.0.1 unless told otherwise. */
  host?: string;
  /** 0 = any free port. */
  port?: number;
  metrics?: ConveyorMetrics;
  log?: ReceiverLog;
  /** Bounds of the de-duplication memory (tests make it small). */
  seen?: { limit?: number; ttlMs?: number };
  directory?: AppDirectory;
}

export interface Receiver {
  /** The endpoint to subscribe, e.g. http://127.0.0.1:8235/webhooks/heroku. */
  url: string;
  stop(): Promise<void>;
}

/** Event ids seen lately: bounded (oldest out first) and expiring. */
export class SeenEvents {
  private readonly entries = new Map<string, number>();
  constructor(
    private readonly limit = SEEN_LIMIT,
    private readonly ttlMs = SEEN_TTL_MS,
  ) {}

  has(id: string, now = Date.now()): boolean {
    const at = this.entries.get(id);
    if (at === undefined) return false;
    if (now - at < this.ttlMs) return true;
    this.entries.delete(id);
    return false;
  }

  add(id: string, now = Date.now()): void {
    this.entries.delete(id);
    this.entries.set(id, now);
    while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!);
    // Expired entries at the old end go too, so an idle receiver does not hold 72 h of ids for ever.
    for (const [key, at] of this.entries) {
      if (now - at < this.ttlMs) break;
      this.entries.delete(key);
    }
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Heroku's signature of a body: base64 HMAC-SHA256 keyed by the webhook's secret. */
export const signatureOf = (secret: string, body: Buffer | string): string =>
  createHmac('sha256', secret).update(body).digest('base64');

export function signatureMatches(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signatureOf(secret, body));
  const given = Buffer.from(header.trim());
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface Delivery {
  /** The event (the same across Heroku's retries of it). */
  eventId: string;
  resource: string;
  action: string;
  app: AppRef;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() ? value.trim() : undefined;

/** A delivery's envelope, or what is wrong with it. */
export function readDelivery(body: string): Delivery | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'the body is not JSON';
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return 'the body is not a JSON object';
  const envelope = parsed as Record<string, unknown>;
  const metadata = envelope.webhook_metadata as { event?: { id?: unknown } } | undefined;
  const eventId = text(metadata?.event?.id) ?? text(envelope.id);
  if (!eventId) return 'no event id (webhook_metadata.event.id or id)';
  const resource = text(envelope.resource);
  if (!resource) return 'no resource';
  const data = envelope.data as { app?: { id?: unknown; name?: unknown } } | undefined;
  const app: AppRef = {};
  const id = text(data?.app?.id);
  const name = text(data?.app?.name);
  if (id) app.id = id;
  if (name) app.name = name;
  if (!id && !name) return 'no app (data.app.id or data.app.name)';
  return { eventId, resource, action: text(envelope.action) ?? '', app };
}

const isNotFound = (error: unknown) =>
  (error as Error)?.name === 'WorkflowNotFoundError' || /not found/i.test(String((error as Error)?.message));

/** The receiver's routes (`/healthz` and the webhook endpoint), to serve alone or inside `conveyor web`. */
export function receiverRoutes(options: Omit<ReceiverOptions, 'host' | 'port'>): Hono {
  if (!options.secret) throw new Error('the webhook receiver needs a secret (CONVEYOR_HEROKU_WEBHOOK_SECRET)');
  const seen = new SeenEvents(options.seen?.limit, options.seen?.ttlMs);
  const inFlight = new Set<string>();
  const directory = options.directory ?? new AppDirectory(options.client, { taskQueue: options.taskQueue });
  const log: ReceiverLog = options.log ?? (() => {});
  const count = (result: DeliveryResult) => options.metrics?.webhookDeliveries.inc({ result });

  const signal = async (workflowId: string, app: string) =>
    options.client.workflow.getHandle(workflowId).signal(lookSignal, { source: 'webhook', app });

  const app = new Hono();
  app.get('/healthz', (c) => c.text('ok\n'));
  app.post(
    RECEIVER_PATH,
    bodyLimit({
      maxSize: BODY_LIMIT,
      onError: (c) => {
        count('too-large');
        return c.json({ error: 'the body is larger than 1 MB' }, 413);
      },
    }),
    async (c) => {
      const raw = Buffer.from(await c.req.arrayBuffer());
      const from = c.req.header('x-forwarded-for') ?? 'direct';
      if (!signatureMatches(options.secret, raw, c.req.header(SIGNATURE_HEADER))) {
        count('bad-signature');
        log('warn', 'webhook refused: bad or missing signature', { from });
        return c.json({ error: `bad or missing ${SIGNATURE_HEADER}` }, 401);
      }
      const delivery = readDelivery(raw.toString('utf8'));
      if (typeof delivery === 'string') {
        count('malformed');
        log('warn', 'webhook refused: malformed body', { problem: delivery });
        return c.json({ error: `malformed delivery: ${delivery}` }, 400);
      }
      if (delivery.resource !== 'release') {
        count('ignored');
        return c.json({ ignored: `conveyor acts on releases, not ${delivery.resource}` }, 202);
      }
      const { eventId } = delivery;
      if (seen.has(eventId) || inFlight.has(eventId)) {
        count('duplicate');
        return c.json({ duplicate: eventId }, 200);
      }
      inFlight.add(eventId);
      // A promotion or release phase this worker polls for the app looks now, not at its next backoff.
      for (const id of [delivery.app.name, delivery.app.id]) if (id) releaseArrived(id);
      try {
        let workflowId = await directory.workflowFor(delivery.app);
        if (!workflowId) {
          count('unknown-app');
          log('info', 'webhook for an app no running pipeline has', { app: delivery.app.name ?? delivery.app.id });
          return c.json({ unknown: `no running pipeline has app ${delivery.app.name ?? delivery.app.id}` }, 202);
        }
        const appName = delivery.app.name ?? delivery.app.id!;
        try {
          await signal(workflowId, appName);
        } catch (error) {
          if (!isNotFound(error)) throw error;
          // The pipeline was stopped or restarted under another id: read the fleet again, once.
          directory.invalidate();
          workflowId = await directory.workflowFor(delivery.app);
          if (!workflowId) {
            count('unknown-app');
            return c.json({ unknown: `no running pipeline has app ${appName}` }, 202);
          }
          await signal(workflowId, appName);
        }
        seen.add(eventId);
        count('signalled');
        log('debug', 'webhook: pipeline told to look', { app: appName, workflowId, event: eventId });
        return c.json({ signalled: workflowId }, 200);
      } catch (error) {
        // Temporal did not take the signal: a non-2xx makes Heroku (level sync) deliver it again.
        count('failed');
        log('warn', 'webhook could not be passed on; Heroku will retry', {
          error: String((error as Error)?.message ?? error).split('\n')[0],
        });
        return c.json({ error: 'could not signal the pipeline; try again' }, 503);
      } finally {
        inFlight.delete(eventId);
      }
    },
  );
  return app;
}

/** Starts the receiver; answers its URL and how to stop it. */
export async function startReceiver(options: ReceiverOptions): Promise<Receiver> {
  const app = receiverRoutes(options);
  app.all('*', (c) => c.json({ error: `POST Heroku's webhooks to ${RECEIVER_PATH}` }, 404));

  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 0 }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const shownHost =
    address.address === '0.0.0.0' || address.address === '::'
      ? '127.0.0.1'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : address.address;
  return {
    url: `http://${shownHost}:${address.port}${RECEIVER_PATH}`,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
