import { createHmac } from 'node:crypto';
import { releaseJson } from './json';
import { HttpError, jsonBody, type ApiRequest, type Reply } from '../http';
import { newId, timestamp } from '../ids';
import { randomSeed, randomStream } from '../faults/random';
import type { Platform, ReleaseChange } from './platform';
import type { DeliveryAttempt, WebhookDeliveryRecord, WebhookEventRecord, WebhookRecord } from '../store';

/** Heroku's signature of a delivery: base64 HMAC-SHA256 of the raw body, keyed by the webhook's secret. */
export const webhookSignature = (secret: string, body: string): string =>
  createHmac('sha256', secret).update(body).digest('base64');

const DELIVERY_TIMEOUT_MS = 10_000;

/** How deliveries behave; changed by `sandbox.webhooks.configure(...)` (or POST /_sandbox/webhooks with the change). */
export interface DeliverySettings {
  /** Chance (0 to 1) that an attempt never reaches the receiver; it counts as a timeout. 1: every one is lost. */
  lost: number;
  /** Chance (0 to 1) that an attempt the receiver took is sent again: the same delivery twice (at-least-once). */
  duplicated: number;
  /** How long each delivery's first attempt waits: late deliveries, overtaken by later ones. */
  lateMs: number;
  /** The waits between the attempts of a `sync` webhook (Heroku retries for up to 72 h; shortened here). */
  retryDelaysMs: number[];
}

export const DEFAULT_DELIVERY: DeliverySettings = {
  lost: 0,
  duplicated: 0,
  lateMs: 0,
  retryDelaysMs: [1_000, 2_000, 4_000, 8_000, 16_000],
};

export class DeliverySettingsError extends Error {}

const chance = (name: string, value: unknown): number => {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    throw new DeliverySettingsError(`${name}: must be a number from 0 to 1`);
  return value;
};
const wait = (name: string, value: unknown): number => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 3_600_000)
    throw new DeliverySettingsError(`${name}: must be milliseconds from 0 to 3600000`);
  return value;
};

/** A change of the settings, checked: a DeliverySettingsError names the first bad field. */
export function readDeliverySettings(current: DeliverySettings, change: unknown): DeliverySettings {
  if (!change || typeof change !== 'object' || Array.isArray(change))
    throw new DeliverySettingsError('settings: must be an object {lost?, duplicated?, lateMs?, retryDelaysMs?}');
  const known = new Set(['lost', 'duplicated', 'lateMs', 'retryDelaysMs']);
  const unknown = Object.keys(change).find((key) => !known.has(key));
  if (unknown) throw new DeliverySettingsError(`${unknown}: not a setting (lost, duplicated, lateMs, retryDelaysMs)`);
  const c = change as Partial<Record<keyof DeliverySettings, unknown>>;
  const delays = c.retryDelaysMs;
  if (delays !== undefined && (!Array.isArray(delays) || delays.length > 20))
    throw new DeliverySettingsError('retryDelaysMs: must be a list of at most 20 waits');
  return {
    lost: c.lost === undefined ? current.lost : chance('lost', c.lost),
    duplicated: c.duplicated === undefined ? current.duplicated : chance('duplicated', c.duplicated),
    lateMs: c.lateMs === undefined ? current.lateMs : wait('lateMs', c.lateMs),
    retryDelaysMs:
      delays === undefined ? current.retryDelaysMs : (delays as unknown[]).map((d, i) => wait(`retryDelaysMs.${i}`, d)),
  };
}

/**
 * The delivery controls over HTTP (no token), like the scenario API: POST /_sandbox/webhooks with a
 * change of the settings ({} reads them) answers the settings in force; 400 {error} names a bad field.
 */
export function webhooksApi(deliveries: WebhookDeliveries): (request: ApiRequest) => Promise<Reply> {
  return async (request) => {
    if (request.path !== '' && request.path !== '/')
      return {
        status: 404,
        body: { error: 'POST /_sandbox/webhooks with {lost?, duplicated?, lateMs?, retryDelaysMs?}' },
      };
    if (request.method !== 'POST') return { status: 405, body: { error: 'use POST' }, headers: { Allow: 'POST' } };
    try {
      const body = jsonBody(request, (message) => new HttpError({ status: 400, body: { error: message } })) ?? {};
      return { status: 200, body: deliveries.configure(body) };
    } catch (error) {
      if (error instanceof HttpError) return error.reply;
      if (error instanceof DeliverySettingsError) return { status: 400, body: { error: error.message } };
      throw error;
    }
  };
}

/**
 * App webhooks for `api:release`: every release created on a subscribed app, and every change of its
 * status, is an event (GET /apps/{app}/webhook-events) delivered to each webhook's URL, signed in
 * `Heroku-Webhook-Hmac-SHA256`, and recorded as a delivery (GET /apps/{app}/webhook-deliveries) with
 * its attempts. A `notify` webhook gets one attempt; a `sync` webhook is retried after each wait of
 * `retryDelaysMs` until its receiver answers 2xx. First attempts to one webhook go out in event order
 * (a late one excepted). Lost, duplicated and late deliveries are drawn from the sandbox's seed.
 */
export class WebhookDeliveries {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  private readonly aborted = new AbortController();
  private readonly random: () => number;
  private settings: DeliverySettings = { ...DEFAULT_DELIVERY };
  private seq = 0;

  constructor(
    private readonly platform: Platform,
    options: { seed?: number } = {},
  ) {
    this.random = randomStream(options.seed ?? randomSeed(), 'webhook-deliveries');
    platform.onRelease((change) => this.releaseChanged(change));
  }

  /** Changes how deliveries behave from now on; answers the settings in force. */
  configure(change: Partial<DeliverySettings>): DeliverySettings {
    this.settings = readDeliverySettings(this.settings, change);
    return this.current();
  }

  current(): DeliverySettings {
    return { ...this.settings, retryDelaysMs: [...this.settings.retryDelaysMs] };
  }

  /** Abandons deliveries in flight and waits until none is left. */
  async stop(): Promise<void> {
    this.aborted.abort();
    await Promise.allSettled([...this.queues.values(), ...this.pending]);
  }

  private releaseChanged(change: ReleaseChange): void {
    const { store } = this.platform;
    const hooks = store.webhooksOf(change.release.appId).filter((w) => w.include.includes('api:release'));
    if (hooks.length === 0) return;
    const now = timestamp();
    const { state } = store;
    const event: WebhookEventRecord = {
      id: newId(),
      appId: change.release.appId,
      include: 'api:release',
      payload: {
        action: change.action,
        actor: { email: state.account.email, id: state.account.id },
        data: releaseJson(store, change.release),
        previous_data: change.previous,
        resource: 'release',
        version: 'application/vnd.heroku+json; version=3',
      },
      createdAt: now,
      updatedAt: now,
    };
    store.put('webhookEvents', event);
    for (const webhook of hooks) {
      const delivery: WebhookDeliveryRecord = {
        id: newId(),
        seq: ++this.seq,
        appId: event.appId,
        webhookId: webhook.id,
        eventId: event.id,
        status: 'pending',
        numAttempts: 0,
        nextAttemptAt: null,
        lastAttempt: null,
        createdAt: now,
        updatedAt: now,
      };
      store.put('webhookDeliveries', delivery);
      this.enqueue(webhook, delivery, event);
    }
  }

  private enqueue(webhook: WebhookRecord, delivery: WebhookDeliveryRecord, event: WebhookEventRecord): void {
    const late = this.settings.lateMs;
    if (late > 0) {
      delivery.status = 'scheduled';
      this.schedule(delivery, late, () => this.attempt(webhook, delivery, event, 0));
      return;
    }
    const before = this.queues.get(webhook.id) ?? Promise.resolve();
    const first = before.then(() => this.attempt(webhook, delivery, event, 0));
    this.queues.set(webhook.id, first);
    void first.finally(() => {
      if (this.queues.get(webhook.id) === first) this.queues.delete(webhook.id);
    });
  }

  /** Runs `work` after `ms` (or not at all once stopped), recording when the next attempt is due. */
  private schedule(delivery: WebhookDeliveryRecord, ms: number, work: () => Promise<void>): void {
    delivery.nextAttemptAt = timestamp(Date.now() + ms);
    delivery.updatedAt = timestamp();
    const signal = this.aborted.signal;
    const later = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    }).then(() => (signal.aborted ? undefined : work()));
    this.pending.add(later);
    void later.finally(() => this.pending.delete(later));
  }

  /** Attempt number `index` (0 first); a failed attempt of a sync webhook schedules the next. */
  private async attempt(
    webhook: WebhookRecord,
    delivery: WebhookDeliveryRecord,
    event: WebhookEventRecord,
    index: number,
  ): Promise<void> {
    if (this.aborted.signal.aborted) return;
    // Both draws are made for every attempt, so a seed picks the same attempts whatever the receiver answers.
    const lost = this.random() < this.settings.lost;
    const duplicated = this.random() < this.settings.duplicated;
    const attemptId = newId();
    const started = timestamp();
    const body = JSON.stringify(this.envelope(webhook, delivery, event, attemptId));
    let code: number | null = null;
    let errorClass: string | null = null;
    if (lost) errorClass = 'Timeout';
    else {
      try {
        code = await this.post(webhook, body);
        if (code >= 200 && code < 300 && duplicated) await this.post(webhook, body).catch(() => undefined);
      } catch (error) {
        if (this.aborted.signal.aborted) return;
        errorClass = (error as Error)?.name === 'TimeoutError' ? 'Timeout' : 'ConnectionError';
      }
    }
    const ok = code !== null && code >= 200 && code < 300;
    const attempt: DeliveryAttempt = {
      id: attemptId,
      code,
      errorClass,
      status: ok ? 'succeeded' : 'failed',
      createdAt: started,
      updatedAt: timestamp(),
    };
    delivery.numAttempts++;
    delivery.lastAttempt = attempt;
    delivery.updatedAt = attempt.updatedAt;
    delivery.nextAttemptAt = null;
    const delays = webhook.level === 'sync' ? this.settings.retryDelaysMs : [];
    if (ok) delivery.status = 'succeeded';
    else if (index >= delays.length) delivery.status = 'failed';
    else {
      delivery.status = 'retrying';
      this.schedule(delivery, delays[index], () => this.attempt(webhook, delivery, event, index + 1));
    }
  }

  private envelope(
    webhook: WebhookRecord,
    delivery: WebhookDeliveryRecord,
    event: WebhookEventRecord,
    attemptId: string,
  ) {
    const { action, actor, data, previous_data, resource, version } = event.payload;
    return {
      id: event.id,
      action,
      resource,
      data,
      previous_data,
      webhook_metadata: {
        attempt: { id: attemptId },
        delivery: { id: delivery.id },
        event: { id: event.id, include: event.include },
        webhook: { id: webhook.id },
      },
      created_at: event.createdAt,
      updated_at: event.updatedAt,
      actor,
      version,
      published_at: null,
      sequence: null,
    };
  }

  /** One POST to the receiver; answers its status (throws when it does not answer). */
  private async post(webhook: WebhookRecord, body: string): Promise<number> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'Heroku-Webhooks',
      'Heroku-Webhook-Hmac-SHA256': webhookSignature(webhook.secret, body),
    };
    if (webhook.authorization) headers.Authorization = webhook.authorization;
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.any([this.aborted.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
    });
    await response.arrayBuffer();
    return response.status;
  }
}
