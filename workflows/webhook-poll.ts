import type { PipelineStatus } from '../domain/status';
import type { PipelineState } from './pipeline-state';
import type { Run } from './operations';

/** The fallback poll while webhooks reach the pipeline, unless the service sets `webhookTickMs`. */
const WEBHOOK_TICK_MS = 10 * 60_000;
/** How long a delivery or a confirmed subscription counts as "webhooks reach conveyor". */
const WEBHOOK_TRUST_MS = 24 * 60 * 60_000;

/**
 * Whether Heroku's release webhooks reach the pipeline (a delivery or a confirmed subscription
 * within `trustMs`), and the slow fallback poll that is then enough: a release wakes it by signal.
 */
export class WebhookPoll {
  constructor(
    private readonly state: PipelineState,
    private readonly run: Run,
    private readonly trustMs = WEBHOOK_TRUST_MS,
  ) {}

  on(now: number): boolean {
    return this.run.webhookSeenAt !== undefined && now - this.run.webhookSeenAt < this.trustMs;
  }

  get fallbackPollMs(): number {
    return Math.max(this.state.service.tickMs, this.state.service.webhookTickMs ?? WEBHOOK_TICK_MS);
  }

  /** The status with what webhooks do for this pipeline, once one was seen. */
  status(status: PipelineStatus): PipelineStatus {
    if (this.run.webhookSeenAt === undefined) return status;
    const webhooks = {
      on: this.on(Date.now()),
      seenAt: new Date(this.run.webhookSeenAt).toISOString(),
      fallbackPollMs: this.fallbackPollMs,
    };
    return { ...status, webhooks };
  }
}
