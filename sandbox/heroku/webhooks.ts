import { createHmac } from 'node:crypto';
import { releaseJson } from './json';
import { newId, timestamp } from '../ids';
import type { Platform, ReleaseChange } from './platform';
import type { WebhookRecord } from '../store';

/** Heroku's signature of a delivery: base64 HMAC-SHA256 of the raw body, keyed by the webhook's secret. */
export const webhookSignature = (secret: string, body: string): string =>
  createHmac('sha256', secret).update(body).digest('base64');

const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * App webhooks for `api:release`: every release created on a subscribed app, and every change of its
 * status, is POSTed to the webhook's URL, signed in `Heroku-Webhook-Hmac-SHA256`. Deliveries to one
 * webhook go out one at a time in event order; each is one attempt (Heroku's `notify` level; `sync`
 * retries are not modelled).
 */
export class WebhookDeliveries {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly aborted = new AbortController();

  constructor(private readonly platform: Platform) {
    platform.onRelease((change) => this.releaseChanged(change));
  }

  /** Abandons deliveries in flight and waits until none is left. */
  async stop(): Promise<void> {
    this.aborted.abort();
    await Promise.allSettled(this.queues.values());
  }

  private releaseChanged(change: ReleaseChange): void {
    const { store } = this.platform;
    for (const webhook of store.webhooksOf(change.release.appId)) {
      if (webhook.include.includes('api:release')) this.enqueue(webhook, JSON.stringify(this.event(webhook, change)));
    }
  }

  private event(webhook: WebhookRecord, change: ReleaseChange) {
    const { state } = this.platform.store;
    const now = timestamp();
    const id = newId();
    return {
      id,
      action: change.action,
      resource: 'release',
      data: releaseJson(this.platform.store, change.release),
      previous_data: change.previous,
      webhook_metadata: {
        attempt: { id: newId() },
        delivery: { id: newId() },
        event: { id, include: 'api:release' },
        webhook: { id: webhook.id },
      },
      created_at: now,
      updated_at: now,
      actor: { email: state.account.email, id: state.account.id },
      version: 'application/vnd.heroku+json; version=3',
      published_at: null,
      sequence: null,
    };
  }

  private enqueue(webhook: WebhookRecord, body: string): void {
    const before = this.queues.get(webhook.id) ?? Promise.resolve();
    const delivered = before.then(() => this.deliver(webhook, body));
    this.queues.set(webhook.id, delivered);
    void delivered.finally(() => {
      if (this.queues.get(webhook.id) === delivered) this.queues.delete(webhook.id);
    });
  }

  private async deliver(webhook: WebhookRecord, body: string): Promise<void> {
    if (this.aborted.signal.aborted) return;
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'Heroku-Webhooks',
      'Heroku-Webhook-Hmac-SHA256': webhookSignature(webhook.secret, body),
    };
    if (webhook.authorization) headers.Authorization = webhook.authorization;
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([this.aborted.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
      });
      await response.arrayBuffer();
    } catch {
      // A notify-level delivery is attempted once; a receiver that is down misses it, as with Heroku.
    }
  }
}
