import type { Service } from '../../domain/service';
import type { PipelineStatus } from '../../domain/status';

/** The fallback poll while webhooks reach the pipeline, unless the service sets `webhookTickMs`. */
const WEBHOOK_TICK_MS = 10 * 60_000;
/** How long a delivery or a confirmed subscription counts as "webhooks reach conveyor". */
export const WEBHOOK_TRUST_MS = 24 * 60 * 60_000;

/**
 * Whether Heroku's release webhooks reach the pipeline: a delivery or a confirmed subscription
 * within the trust window. While they do, a release wakes the pipeline by signal and a slow
 * fallback poll is enough.
 */
export class WebhookReach {
  constructor(
    /** When a webhook delivery or a confirmed subscription last showed webhooks reach the pipeline (ms). */
    public seenAt: number | undefined,
    private readonly trustMs = WEBHOOK_TRUST_MS,
  ) {}

  seen(now: number): void {
    this.seenAt = now;
  }

  on(now: number): boolean {
    return this.seenAt !== undefined && now - this.seenAt < this.trustMs;
  }

  fallbackPollMs(service: Service): number {
    return Math.max(service.tickMs, service.webhookTickMs ?? WEBHOOK_TICK_MS);
  }

  /** The status with what webhooks do for this pipeline, once one was seen. */
  status(status: PipelineStatus, service: Service, now: number): PipelineStatus {
    if (this.seenAt === undefined) return status;
    const webhooks = {
      on: this.on(now),
      seenAt: new Date(this.seenAt).toISOString(),
      fallbackPollMs: this.fallbackPollMs(service),
    };
    return { ...status, webhooks };
  }
}
