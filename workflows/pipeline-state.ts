import type { Approval, WaitingApproval } from '../domain/approval';
import { CommitCache } from '../domain/commit-cache';
import type { CommitAnswers } from '../domain/commits';
import { decide, previewPairs, type Go } from '../domain/decision';
import type { Freeze } from '../domain/freeze';
import type { TargetHealth } from '../domain/gates';
import { healthRequests, type HealthRequest } from '../domain/health-requests';
import type { Notice, NoticeDraft } from '../domain/notice';
import type { Observation } from '../domain/observation';
import type { Pause } from '../domain/pause';
import { currentStage, planPairs, type PairPlan } from '../domain/plan';
import type { ConfirmAnswer, ConfirmRequest, PromotionOutcome } from '../domain/promotion';
import type { Rejection } from '../domain/rejection';
import type { Service } from '../domain/service';
import { failureResponse } from '../domain/failed-verification';
import { iso } from '../domain/duration';
import type { Blocked, CurrentStage, PairStatus, PipelineStatus, PromotionRecord } from '../domain/status';
import { ApprovalBook } from './memory/approvals';
import { Holds } from './memory/holds';
import { ManualMailbox } from './memory/manual-mailbox';
import { PromotionBook, type CarriedBook, type Rollback } from './memory/promotion-book';
import { NoticeOutbox } from './memory/notice-outbox';
import { LastPass } from './memory/last-pass';
import { statusOf, unavailableStatus } from './memory/status-view';
import { WebhookReach } from './memory/webhook-reach';

/**
 * Everything the pipeline remembers across continue-as-new, carried whole (PipelineState.carry).
 * Promotions in flight are not in it: a run hands over only once they have ended.
 */
export interface CarriedState extends CarriedBook {
  /** The pipeline's pause, with who and why; null when it runs. */
  pause: Pause | null;
  /** Apps held alone (a failed verification in a wave), each until a person resumes it. */
  held?: Record<string, Pause>;
  /** Why the pipeline cannot observe or judge (Heroku or GitHub refusing), until a pass succeeds. */
  blocked: Blocked | null;
  /** GitHub's answers that cannot change (a commit on the branch, its checks once final). */
  commitCache: CommitAnswers;
  /** The last observation of the stages: status shows it until the next pass. */
  observation: Observation | null;
  /** The fleet's freeze as this pipeline was told it (signals, or read once at the start). */
  freeze?: Freeze | null;
  /** Commits people declared bad: never promoted until unrejected. */
  rejected?: Rejection[];
  /** The gates holding each pair as last told, so a continued run tells nothing twice. */
  holding?: Record<string, string>;
  approvals?: Approval[];
  waiting?: Record<string, WaitingApproval>;
  /** Notices raised while the run handed over, sent by the next run. */
  outbox?: NoticeDraft[];
  /** When the configuration in force was applied (a reconfigure); absent when it is the one the pipeline started with. */
  configAppliedAt?: string;
  /** When Heroku's webhooks last showed they reach the pipeline (ms since the epoch). */
  webhookSeenAt?: number;
}

export interface PipelineStateOptions {
  /** How long a webhook delivery or a confirmed subscription counts as "webhooks reach conveyor" (24 h). */
  webhookTrustMs?: number;
}

export const BLOCKED_RECHECK_MS = 5 * 60_000;

/**
 * One service's pipeline as the workflow sees it, a plain object, no Temporal. Its memory is in
 * parts, one concept each (workflows/memory/): the holds, the approvals, operators' requests, the
 * promotions, the commit answers. This object applies what a pass observed and decided to them and
 * answers status and the carried state.
 */
export class PipelineState {
  readonly holds: Holds;
  readonly approvals: ApprovalBook;
  readonly mailbox = new ManualMailbox();
  readonly book: PromotionBook;
  readonly commits: CommitCache;
  /** Whether Heroku's release webhooks reach the pipeline, so a slow fallback poll is enough. */
  readonly webhooks: WebhookReach;
  /** What each pass recomputes (the durable memory is the parts above). */
  readonly last: LastPass;
  /** Counts this run's configuration changes: a decision made under another config is never posted. */
  private configVersion = 0;
  /** When the configuration in force was applied by a reconfigure (ISO 8601); null: since the pipeline started. */
  private configAppliedAt: string | null;
  private readonly notices: NoticeOutbox;

  constructor(
    public service: Service,
    carried?: CarriedState,
    options: PipelineStateOptions = {},
  ) {
    this.configAppliedAt = carried?.configAppliedAt ?? null;
    this.holds = new Holds(carried);
    this.approvals = new ApprovalBook(carried?.approvals, carried?.waiting);
    this.book = new PromotionBook(carried);
    this.commits = new CommitCache(carried?.commitCache);
    this.last = new LastPass(carried?.observation ?? null);
    this.webhooks = new WebhookReach(
      typeof carried?.webhookSeenAt === 'number' ? carried.webhookSeenAt : undefined,
      options.webhookTrustMs,
    );
    this.notices = new NoticeOutbox(this.safeStatus(), carried?.holding, carried?.outbox);
  }

  get observation(): Observation | null {
    return this.last.observation;
  }

  /** Which configuration is in force; a pass that saw another one judges nothing. */
  get config(): number {
    return this.configVersion;
  }

  reconfigure(service: Service, now: number): void {
    this.service = service;
    this.holds.keepApps(service.stages);
    this.configVersion++;
    this.configAppliedAt = new Date(now).toISOString();
  }

  observed(observation: Observation): void {
    this.last.observation = observation;
  }

  /** The pipeline cannot observe or judge: shown blocked, and people waiting on a request hear it now. */
  blockedBy(reason: string, permanent: boolean, now: number): void {
    this.holds.blockedBy(reason, permanent, now);
    this.mailbox.refuse(`nothing will happen: ${reason}`);
  }

  /**
   * Verification failed: recorded, then the release is held everywhere and the pipeline pauses for a
   * person, or only the app is held when it is one of a wave's (domain/failed-verification.ts).
   */
  verificationFailed(to: string, problem: string, rollback: Rollback | null, now: number): void {
    const record = this.book.verificationFailed(to, problem, rollback, now);
    const { hold } = failureResponse(this.service, to);
    if (record) this.holds.afterFailedVerification(record, problem, rollback, now, hold);
    if (record?.commit) this.approvals.withdraw(record.commit);
  }

  /** A person declared a release bad: held everywhere, and its approvals withdrawn (the newest decision wins). */
  reject(rejection: Rejection): void {
    this.holds.reject(rejection);
    this.approvals.withdraw(rejection.commit);
  }

  /**
   * The reconcile plan over the last observation. With `now`, the candidate of a pair is the newest
   * source release that has soaked (domain/soak.ts); without, the one the source runs.
   */
  plan(now?: number, service: Service = this.service): PairPlan[] {
    if (!this.last.observation) return [];
    return planPairs(service, this.last.observation, {
      inFlight: this.book.targets(),
      failed: this.book.failed,
      rejected: this.holds.rejected,
      retry: this.book.retries,
      ...(this.book.expired.length ? { expired: this.book.expired } : {}),
      ...(Object.keys(this.book.refusals).length
        ? { refusals: { now: now ?? Date.now(), byStage: this.book.refusals } }
        : {}),
      ...(now === undefined ? {} : { soak: { now, commits: this.commits.answers } }),
    });
  }

  /** What the gates that need no I/O look at (facts.ts gathers costly facts only where they let a candidate through). */
  cheapFacts(): {
    pause: Pause | null;
    held: Readonly<Record<string, Pause>>;
    freeze: Freeze | null;
    commits: CommitAnswers;
    manual: string[];
  } {
    const { pause, held, freeze } = this.holds;
    return { pause, held, freeze, commits: this.commits.answers, manual: [...this.mailbox.waiting.keys()] };
  }

  /**
   * The health facts the candidates' target stages need, one request per stage with checks; also
   * for promotions decided and not yet posted, so their confirmation sees a fresh incident or alert.
   */
  healthRequests(plans: readonly PairPlan[], decided = true): HealthRequest[] {
    const candidates = plans.flatMap((plan) => (plan.kind === 'candidate' ? [plan.candidate] : []));
    if (decided) candidates.push(...this.book.awaitingPost().map((go) => go.candidate));
    return healthRequests(this.service, this.last.observation, candidates);
  }

  /** For confirming the decided promotion into `to`: its target's incident and alert facts, read afresh. */
  confirmHealthRequests(to: string): HealthRequest[] {
    const candidates = this.book.awaitingPost(to).map((go) => go.candidate);
    return healthRequests(this.service, this.last.observation, candidates).flatMap(({ stage, incident, alerts }) =>
      incident || alerts ? [{ stage, ...(incident ? { incident } : {}), ...(alerts ? { alerts } : {}) }] : [],
    );
  }

  /** Keeps the newest health facts per target stage (decisions are confirmed against them). */
  learnHealth(health: Record<string, TargetHealth>): void {
    this.last.learnHealth(health);
  }

  /**
   * Decides the pass (domain/decision.ts, pure) and applies the decision: pairs, approvals, the
   * answers to waiting manual requests; answers the promotions to start.
   */
  decide(
    plans: readonly PairPlan[],
    answers: CommitAnswers,
    now: number,
    health: Record<string, TargetHealth> = {},
    deferred: ReadonlySet<string> = new Set(),
  ): Go[] {
    const commits = { ...this.commits.answers, ...answers };
    const decision = decide({
      ...this.gateFacts(this.service, now),
      plans,
      commits,
      health,
      deferred,
      approvals: this.approvals.approvals,
      waiting: this.approvals.waiting,
      manual: this.mailbox.waiting,
    });
    this.last.decidedOn = commits;
    this.last.pairs = decision.pairs;
    this.approvals.decided(decision.approvals, decision.waiting);
    this.mailbox.settle(decision.answers);
    return decision.start;
  }

  /** Records a decided promotion (in flight from now on); its activity confirms it right before the POST. */
  promotionStarted(go: Go, now: number, id = `${go.candidate.pair.to}@${now}`): PromotionRecord {
    const { pause, freeze } = this.holds;
    const held = this.holds.held[go.candidate.pair.to] ?? null;
    const stamp = {
      configVersion: this.configVersion,
      overruled: { pause, freeze, held },
      commits: this.last.decidedOn,
    };
    const record = this.book.start(go, now, id, stamp);
    const when = go.postAt === undefined ? '' : ` at ${iso(go.postAt)}, when its gates open`;
    this.last.promoting(record.to, `promoting v${record.sourceVersion}${when}`);
    return record;
  }

  /** Does the decision on the promotion into `request.to` still stand (promotion-book.ts)? Posted when it does. */
  confirmPost(request: ConfirmRequest, ttlMs?: number): ConfirmAnswer {
    const standing = {
      ...this.gateFacts(this.service, request.now),
      configVersion: this.configVersion,
      rejected: this.holds.rejected,
      approvals: { given: this.approvals.approvals, waiting: this.approvals.waiting },
    };
    const answer = this.book.confirm(request, standing, ttlMs);
    // An approval is spent by the promotion it let through, once posted, never by one withdrawn.
    if (answer.stands) this.approvals.spend(request.to);
    return answer;
  }

  /** The promotion into `to` succeeded and now bakes: the stage stays busy until verified. */
  promotionVerifying(to: string, outcome: PromotionOutcome): void {
    const record = this.book.verifying(to, outcome);
    if (record) this.last.promoting(to, `verifying v${record.sourceVersion} in ${to}`);
  }

  /** When to look again: the next tick, sooner if a gate opens before, later while blocked for good. */
  nextWakeAt(now: number, blockedRecheckMs = BLOCKED_RECHECK_MS, tickMs = this.service.tickMs): number {
    const { blocked } = this.holds;
    return this.last.nextWakeAt(now, blocked?.permanent ? Math.max(blockedRecheckMs, tickMs) : tickMs, !!blocked);
  }

  nextWakeReason(): string {
    return this.last.wakeReason(this.holds.blocked);
  }

  /** What each pair would do now under `service` (conveyor plan): the last observation, no side effects. */
  preview(service: Service, now: number): { pairs: PairStatus[] } {
    const context = {
      ...this.gateFacts(service, now),
      freeze: service.ignoreFreeze ? null : this.holds.freeze,
      approvals: { given: this.approvals.approvals, waiting: this.approvals.waiting },
    };
    return { pairs: previewPairs(this.plan(now, service), context) };
  }

  currentStage(): CurrentStage | null {
    return this.last.observation ? currentStage(this.service, this.last.observation) : null;
  }

  status(): PipelineStatus {
    const { service, holds, approvals, book } = this;
    const { observation, pairs, nextCheckAt } = this.last;
    return statusOf({
      service,
      observation,
      holds,
      approvals,
      book,
      pairs,
      nextCheckAt,
      configAppliedAt: this.configAppliedAt,
    });
  }

  /** The status query's answer, with what webhooks do for the pipeline. */
  queriedStatus(now: number): PipelineStatus {
    return this.webhooks.status(this.safeStatus(), this.service, now);
  }

  /** The status, never throwing (a query that throws shows an error to every caller). */
  safeStatus(): PipelineStatus {
    try {
      return this.status();
    } catch (error) {
      return unavailableStatus(this.service, this.holds, error);
    }
  }

  /** Queues a notice for every change the status shows since it was last told (after each message, before a drain). */
  noticeChanges(): void {
    this.notices.compare(this.safeStatus());
  }

  /** Notices since the last call, oldest first; the workflow drains them as soon as they happen. */
  drainNotices(now: number): Notice[] {
    this.noticeChanges();
    return this.notices.drain(now);
  }

  carry(): CarriedState {
    this.noticeChanges();
    return {
      pause: this.holds.pause,
      ...(Object.keys(this.holds.held).length ? { held: this.holds.held } : {}),
      freeze: this.holds.freeze,
      blocked: this.holds.blocked,
      ...this.book.carry(),
      commitCache: this.commits.answers,
      observation: this.last.observation,
      rejected: this.holds.rejected,
      approvals: this.approvals.approvals,
      waiting: this.approvals.waiting,
      ...(this.configAppliedAt ? { configAppliedAt: this.configAppliedAt } : {}),
      ...(this.webhooks.seenAt !== undefined ? { webhookSeenAt: this.webhooks.seenAt } : {}),
      ...this.notices.carry(),
    };
  }

  /** The facts every gate context starts from: the holds, the commit answers, the newest health. */
  private gateFacts(service: Service, now: number) {
    const { pause, held, freeze } = this.holds;
    return { service, now, pause, held, freeze, commits: this.commits.answers, health: this.last.health };
  }
}
