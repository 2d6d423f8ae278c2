import { ApplicationFailure, condition, log } from '@temporalio/workflow';
import { readApproval } from '../domain/approval';
import { readFreeze } from '../domain/freeze';
import { pauseScope } from '../domain/pause';
import { readCommit, readManualPromotions, requestedSource, type ManualPromotion } from '../domain/override';
import { readRetry, type Retry } from '../domain/retry';
import type { Service } from '../domain/service';
import type { Approval } from '../domain/approval';
import { releaseWebhookWakes, type ConfirmAnswer, type ConfirmRequest } from '../domain/promotion';
import type {
  ApproveRequest,
  LookRequest,
  ManualPromotionRequest,
  PauseRequest,
  RejectRequest,
  RetryRequest,
} from './messages';
import type { ManualOutcome, TargetOutcome } from '../domain/decision';
import type { PipelineState } from './pipeline-state';
import { validService } from './valid-service';
import { gatherHealth } from './facts';
import { explain } from './activities';
import type { RunScratch } from './run-scratch';

const MANUAL_DECISION_MS = 60_000;

export interface OperationsOptions {
  decisionTtlMs?: number;
  manualDecisionMs?: number;
}

/** A refusal from a validator: the update is rejected before it reaches history. */
const refuse = (problem: string): never => {
  throw new Error(problem);
};

/** Each request read by one parse function, shared by its validator and its handler. */
function parsed<T>(value: T | string): T {
  if (typeof value === 'string') throw ApplicationFailure.nonRetryable(value, 'InvalidRequest');
  return value;
}

/**
 * The pipeline's messages (signals, queries, updates) as methods of one plain object, which the
 * workflow wires with one line each (temporalio/samples-typescript safe-message-handlers). Every
 * method that changes something wakes the loop.
 */
export class Operations {
  constructor(
    private readonly state: PipelineState,
    private readonly run: RunScratch,
    private readonly options: OperationsOptions = {},
  ) {}

  /** A message changed something: its notices are what the status shows changed; the loop looks again. */
  private nudge(): void {
    this.state.noticeChanges();
    this.run.wake = true;
  }

  pause(request?: PauseRequest): void {
    const scope = pauseScope(request, this.state.service.stages.slice(1));
    if (scope.app) this.state.holds.holdApp(scope.app, scope.request, Date.now());
    else this.state.holds.pauseBy(scope.request, Date.now());
    this.nudge();
  }

  /**
   * `look`: a webhook delivery (or a look by hand) wakes the loop at once, unless the delivery is
   * about a target whose promote activity is running (domain/promotion.ts releaseWebhookWakes); a
   * delivery or a confirmed subscription also says webhooks reach conveyor, so the fallback poll may slow down.
   */
  look(request?: LookRequest): void {
    const source = request && typeof request === 'object' ? request.source : undefined;
    if (source === 'webhook' || source === 'subscription') this.state.webhooks.seen(Date.now());
    if (source === 'subscription') return;
    const app = typeof request?.app === 'string' ? request.app : undefined;
    // A release of a target whose promote activity runs: that activity's end wakes the loop.
    if (source === 'webhook' && !releaseWebhookWakes(app, this.state.book.records())) return;
    this.nudge();
  }

  resume(request?: { by?: string; stage?: string }): void {
    const stage = typeof request?.stage === 'string' && request.stage.trim() ? request.stage.trim() : undefined;
    this.state.holds.resume(typeof request?.by === 'string' ? request.by : undefined, stage);
    this.nudge();
  }

  freeze(request?: PauseRequest): void {
    this.run.freezeSignals++;
    this.state.holds.frozen(readFreeze(request, Date.now()));
    this.nudge();
  }

  unfreeze(): void {
    this.run.freezeSignals++;
    this.state.holds.frozen(null);
    this.nudge();
  }

  /** The fire-and-forget signal: a refused configuration is logged, never applied, never thrown. */
  configure(service: Service): void {
    const valid = validService(service, this.state.service.name);
    if (valid.ok) this.state.reconfigure(valid.service, Date.now());
    else log.warn('configure signal refused', { service: this.state.service.name, problem: valid.problem });
    this.nudge();
  }

  /** A configuration the pipeline can take now, or why not (the schema; a stage with a promotion in flight kept). */
  private readConfig(service: Service): { ok: true; service: Service } | { ok: false; problem: string } {
    const valid = validService(service, this.state.service.name);
    if (!valid.ok) return valid;
    const busy = this.state.book.promotingStages().find((stage) => !valid.service.stages.includes(stage));
    if (busy)
      return {
        ok: false,
        problem: `${busy} has a promotion in flight: apply a config without it once that promotion settles`,
      };
    return valid;
  }

  validateReconfigure(service: Service): void {
    const valid = this.readConfig(service);
    if (!valid.ok) refuse(valid.problem);
  }

  reconfigure(service: Service): string {
    const valid = this.readConfig(service);
    if (!valid.ok) throw ApplicationFailure.nonRetryable(valid.problem, 'InvalidConfig');
    this.state.reconfigure(valid.service, Date.now());
    this.nudge();
    return `${valid.service.name}: configuration applied (${valid.service.stages.join(' -> ')})`;
  }

  preview(service: Service, now?: number): ReturnType<PipelineState['preview']> {
    const valid = validService(service, this.state.service.name);
    if (!valid.ok) throw new Error(valid.problem);
    return this.state.preview(valid.service, typeof now === 'number' && Number.isFinite(now) ? now : Date.now());
  }

  private readPromote(request: ManualPromotionRequest): ManualPromotion[] {
    return parsed(readManualPromotions(request, this.state.service, Date.now()));
  }

  validatePromote(request: ManualPromotionRequest): void {
    const manuals = readManualPromotions(request, this.state.service, Date.now());
    if (typeof manuals === 'string') return refuse(manuals);
    if (this.run.draining)
      refuse(
        'the pipeline is handing over to a new run (continue-as-new); nothing will happen: ask again in a few seconds',
      );
    for (const manual of manuals) {
      if (this.state.book.isPromoting(manual.to)) refuse(`a promotion into ${manual.to} is already in flight`);
      if (this.state.mailbox.has(manual.to))
        refuse(`a request to promote into ${manual.to} is already waiting for its decision`);
    }
  }

  /**
   * Answered within the call: decided by the next pass, or told that nothing will happen. Several apps
   * asked in one request are queued together, so one decision judges them all.
   */
  async promote(request: ManualPromotionRequest): Promise<ManualOutcome> {
    const manuals = this.readPromote(request);
    const queued: string[] = [];
    const answers = new Map<string, ManualOutcome>();
    for (const manual of manuals) {
      const expect = requestedSource(this.state.service, this.state.observation, manual.to);
      if (!expect && !manual.commit) {
        const message = 'the pipeline has not been observed yet; nothing will happen: ask again';
        answers.set(manual.to, { started: false, message });
        continue;
      }
      this.state.mailbox.request({ ...manual, expect });
      queued.push(manual.to);
    }
    if (queued.length > 0) {
      this.nudge();
      await condition(
        () => queued.every((to) => this.state.mailbox.answered(to)),
        this.options.manualDecisionMs ?? MANUAL_DECISION_MS,
      );
      for (const to of queued) {
        if (!this.state.mailbox.answered(to))
          this.state.mailbox.refuse(
            'could not be decided in time (Heroku or GitHub slow to answer); nothing will happen: ask again',
            to,
          );
        answers.set(to, this.state.mailbox.take(to) ?? { started: false, message: 'nothing will happen: ask again' });
      }
    }
    const targets: TargetOutcome[] = manuals.map((manual) => ({ to: manual.to, ...answers.get(manual.to)! }));
    if (!Array.isArray(request.to)) {
      const { to: _to, ...only } = targets[0];
      return only;
    }
    return {
      started: targets.every((t) => t.started),
      message: targets.map((t) => `${t.to}: ${t.message}`).join('\n'),
      targets,
    };
  }

  private readRetry(request: RetryRequest): Retry {
    return parsed(readRetry(request, this.state.service));
  }

  validateRetry(request: RetryRequest): void {
    const retry = readRetry(request, this.state.service);
    if (typeof retry === 'string') return refuse(retry);
    if (!this.state.book.retryable(retry.to, this.state.observation))
      refuse(`nothing failed in ${retry.to}: there is nothing to retry`);
  }

  retry(request: RetryRequest): string {
    const retry = this.readRetry(request);
    const answer = this.state.book.retryFailed(retry.to, retry.by, retry.reason, this.state.observation);
    this.nudge();
    return answer;
  }

  validateConfirm(request: ConfirmRequest): void {
    if (!request || typeof request.to !== 'string' || typeof request.id !== 'string' || typeof request.now !== 'number')
      refuse('a confirmation names {to, id, now}');
    if (
      request.together !== undefined &&
      (!Array.isArray(request.together) ||
        !request.together.every((t) => t && typeof t.to === 'string' && typeof t.id === 'string'))
    )
      refuse('together names the other targets of the promotion, each {to, id}');
  }

  /**
   * The promote activity, right before its POST: does the decision still stand? The facts that turn
   * in seconds (an incident opened, an alert firing) are read afresh for it, not taken from the last
   * pass. The targets of one promotion are confirmed in one answer, each on its own decision, with
   * nothing in between: a pause that lands before the answer holds every one of them.
   */
  async confirm(request: ConfirmRequest): Promise<ConfirmAnswer> {
    const targets = [{ to: request.to, id: request.id }, ...(request.together ?? [])];
    const fresh = targets.flatMap((t) => this.state.confirmHealthRequests(t.to));
    if (fresh.length > 0) {
      try {
        this.state.learnHealth(await gatherHealth(fresh));
      } catch (error) {
        const reason = `could not read the target's health afresh: ${explain(error).reason}`;
        const together = Object.fromEntries((request.together ?? []).map((t) => [t.to, { stands: false, reason }]));
        return { stands: false, reason, ...(request.together ? { together } : {}) };
      }
    }
    const [own, ...others] = targets.map((t) =>
      this.state.confirmPost({ to: t.to, id: t.id, now: request.now }, this.options.decisionTtlMs),
    );
    return request.together
      ? { ...own, together: Object.fromEntries(request.together.map((t, i) => [t.to, others[i]])) }
      : own;
  }

  validateReject(request: RejectRequest): void {
    const commit = readCommit(request);
    if (typeof commit !== 'string') refuse(commit.problem);
    if (typeof request?.reason !== 'string' || !request.reason.trim()) refuse('a reason is required');
  }

  reject(request: RejectRequest): string {
    const commit = readCommit(request) as string;
    this.state.reject({
      commit,
      reason: request.reason.trim(),
      by: request.by?.trim() || 'unknown',
      at: new Date().toISOString(),
    });
    this.nudge();
    return `${commit} is rejected: it will not be promoted until unrejected`;
  }

  validateUnreject(request: { commit: string }): void {
    const commit = readCommit(request);
    if (typeof commit !== 'string') return refuse(commit.problem);
    if (!this.state.holds.isRejected(commit)) refuse(`${commit} is not rejected`);
  }

  unreject(request: { commit: string }): string {
    this.state.holds.unreject(readCommit(request) as string);
    this.nudge();
    return `${request.commit} may be promoted again`;
  }

  /** An approval checked against the stages and, when it names people, the dashboard's signature (domain/approval.ts). */
  private checkApproval(request: ApproveRequest): Approval | string {
    const { service } = this.state;
    return readApproval(request, this.state.approvals.stages(service), Date.now(), {
      service: service.name,
      signingKeys: service.access?.signingKeys ?? [],
    });
  }

  private readApprove(request: ApproveRequest): Approval {
    return parsed(this.checkApproval(request));
  }

  validateApprove(request: ApproveRequest): void {
    const approval = this.checkApproval(request);
    if (typeof approval === 'string') refuse(approval);
  }

  approve(request: ApproveRequest): string {
    const approval = this.readApprove(request);
    this.state.approvals.approve(approval);
    this.nudge();
    return `approved ${approval.commit.slice(0, 7)} into ${approval.stage}`;
  }
}
