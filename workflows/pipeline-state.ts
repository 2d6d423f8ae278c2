import { isImmutable, questionKey, type CommitAnswers, type CommitQuestion } from '../domain/commits';
import type { Freeze } from '../domain/freeze';
import { judge, type TargetHealth } from '../domain/gates';
import { healthRequests, type HealthRequest } from '../domain/health-requests';
import { holdsOf } from '../domain/hold';
import type { Approval, ApprovalPolicy, WaitingApproval } from '../domain/approval';
import type { Observation } from '../domain/observation';
import { overrule, type ManualPromotion } from '../domain/override';
import { readPause, type Pause } from '../domain/pause';
import { commitQuestions, currentStage, planPairs, stageOf, type FailedPromotion, type PairPlan } from '../domain/plan';
import { stagePolicy } from '../domain/service';
import { rejects, sameCommit, type Rejection } from '../domain/rejection';
import { holdingKey, noticesBetween, type Notice, type NoticeBasis, type NoticeDraft } from '../domain/notice';
import { shortSha } from '../domain/observation';
import type { Service } from '../domain/service';
import { decide, type Go, type ManualOutcome } from '../domain/decision';
import type { ConfirmAnswer, PromotionOutcome } from '../domain/promotion';
import { allowGate } from '../domain/gates/allow';
import type { Blocked, CurrentStage, PairStatus, PipelineStatus, PromotionRecord } from './status';

export type { PromotionOutcome } from '../domain/promotion';

/** State that survives continue-as-new. */
export interface CarriedState {
  pause: Pause | null;
  blocked: Blocked | null;
  failed: Record<string, FailedPromotion[]>;
  history: PromotionRecord[];
  commitCache: CommitAnswers;
  observation: Observation | null;
  freeze?: Freeze | null;
  rejected?: Rejection[];
  holding?: Record<string, string>;
  approvals?: Approval[];
  waiting?: Record<string, WaitingApproval>;
  /** Notices raised while the run handed over, sent by the next run. */
  outbox?: NoticeDraft[];
  /** Per target stage, the slug whose failure there an operator asked to retry. */
  retry?: Record<string, string>;
  retriedBy?: Record<string, { by: string; reason: string }>;
}

export type { HealthRequest } from '../domain/health-requests';

export type { Go, ManualOutcome } from '../domain/decision';

/** A decided promotion, kept until it settles, to confirm before its POST that it still stands. */
interface Decision {
  id: string;
  go: Go;
  decidedAt: number;
  configVersion: number;
  /** The holds an operator's promotion overruled; a hold that began later withdraws it. */
  overruled: { pause: Pause | null; freeze: Freeze | null };
  /** The commit answers it was decided on (branch and ancestry do not change in seconds). */
  commits: CommitAnswers;
}

/** How long a decided promotion may wait for its POST before it is decided again. */
export const DECISION_TTL_MS = 2 * 60_000;

const HISTORY_LIMIT = 20;
const FAILED_PER_STAGE_LIMIT = 20;
const COMMIT_CACHE_LIMIT = 500;
export const BLOCKED_RECHECK_MS = 5 * 60_000;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * One service's pipeline as the workflow sees it: what was observed, what each gate said, what is
 * in flight. A plain object, no Temporal: the workflow feeds it facts and asks it what to do.
 */
export class PipelineState {
  private pause: Pause | null;
  private freeze: Freeze | null;
  private blocked: Blocked | null;
  private failed: Record<string, FailedPromotion[]>;
  private history: PromotionRecord[];
  private commitCache: CommitAnswers;
  private observation: Observation | null;
  private rejected: Rejection[];
  private readonly inFlight = new Map<string, PromotionRecord>();
  private readonly manual = new Map<string, ManualPromotion>();
  private readonly manualOutcomes = new Map<string, ManualOutcome>();
  private pairs: PairStatus[] = [];
  private nextCheckAt: number | null = null;
  private readonly decisions = new Map<string, Decision>();
  /** The newest health facts of each target stage, for confirming decisions before their POST. */
  private health: Record<string, TargetHealth> = {};
  private retry: Record<string, string>;
  /** Counts configuration changes: a decision made under another config is never posted. */
  private configVersion = 0;
  /** The commit answers of the last decide(). */
  private decidedOn: CommitAnswers = {};
  /** The status as last told in notices: the next notices are what changed since. */
  private told: NoticeBasis;
  private outbox: NoticeDraft[] = [];
  /** Who resumed last, and who allowed each retry (status shows them; notices tell them). */
  private resumedBy?: string;
  private retriedBy: Record<string, { by: string; reason: string }>;
  private approvals: Approval[];
  private waiting: Record<string, WaitingApproval>;

  constructor(
    public service: Service,
    carried?: CarriedState,
  ) {
    this.pause = carried?.pause ?? null;
    this.freeze = carried?.freeze ?? null;
    this.blocked = carried?.blocked ?? null;
    this.failed = carried?.failed ?? {};
    this.history = carried?.history ?? [];
    this.commitCache = carried?.commitCache ?? {};
    this.observation = carried?.observation ?? null;
    this.rejected = carried?.rejected ?? [];
    this.approvals = carried?.approvals ?? [];
    this.waiting = carried?.waiting ?? {};
    this.outbox = carried?.outbox ?? [];
    this.retry = carried?.retry ?? {};
    this.retriedBy = carried?.retriedBy ?? {};
    // A continued run tells nothing the run before it told: pairs are not carried, the gates holding them are.
    this.told = { ...this.safeStatus(), pairs: pairsHeldBy(carried?.holding ?? {}) };
  }

  /** Stages whose promotions need approval, with the commit waiting for it (for the approve validator). */
  approvalStages(): { stage: string; policy: ApprovalPolicy | undefined; waitingCommit: string | null }[] {
    return this.service.stages.map((stage) => ({
      stage,
      policy: stagePolicy(this.service, stage).approval,
      waitingCommit: this.waiting[stage]?.commit ?? null,
    }));
  }

  approve(approval: Approval): void {
    this.approvals = [...this.approvals.filter((a) => a.stage !== approval.stage), approval];
  }

  /**
   * Queues a notice for every difference between the status last told and the status now
   * (domain/notice.ts noticesBetween). Called after each message and before notices are drained.
   */
  noticeChanges(): void {
    const now = this.safeStatus();
    // A status that cannot be computed whole tells nothing (the next one that can tells the difference).
    if (now.error) return;
    this.outbox.push(...noticesBetween(this.told, now));
    this.told = now;
  }

  /** Notices since the last call, oldest first; the workflow drains them as soon as they happen. */
  drainNotices(now: number): Notice[] {
    this.noticeChanges();
    const notices = this.outbox.map((n) => ({ ...n, at: iso(now) }));
    this.outbox = [];
    return notices;
  }

  get paused(): boolean {
    return this.pause !== null;
  }

  get promotionsInFlight(): number {
    return this.inFlight.size;
  }

  get stages(): readonly string[] {
    return this.service.stages;
  }

  pauseBy(input: unknown, now: number): void {
    const was = this.pause;
    this.pause = readPause(input, now);
    if (!was) delete this.resumedBy;
  }

  resume(by = 'unknown'): void {
    if (this.pause) this.resumedBy = by;
    this.pause = null;
    // A person asked for action: a permanent block is worth checking again right now.
    if (this.blocked) this.blocked = { ...this.blocked, permanent: false };
  }

  frozen(freeze: Freeze | null): void {
    this.freeze = freeze;
  }

  reject(rejection: Rejection): void {
    this.rejected = [rejection, ...this.rejected.filter((r) => r.commit !== rejection.commit)];
  }

  /** Answers whether a rejection of that commit existed. */
  unreject(commit: string): boolean {
    const before = this.rejected.length;
    this.rejected = this.rejected.filter((r) => !sameCommit(r.commit, commit));
    return this.rejected.length < before;
  }

  isRejected(commit: string): boolean {
    return this.rejected.some((r) => sameCommit(r.commit, commit));
  }

  isPromoting(stage: string): boolean {
    return this.inFlight.has(stage);
  }

  /** The stages a promotion in flight comes from or goes into. */
  promotingStages(): string[] {
    return [...this.inFlight.values()].flatMap((record) => [record.from, record.to]);
  }

  reconfigure(service: Service): void {
    this.service = service;
    this.configVersion++;
  }

  /** Which configuration is in force; a pass that saw another one judges nothing. */
  get config(): number {
    return this.configVersion;
  }

  observed(observation: Observation): void {
    this.observation = observation;
  }

  /** A pass went through observation and fact gathering: whatever blocked the pipeline is gone. */
  passCompleted(): void {
    this.blocked = null;
  }

  blockedBy(reason: string, permanent: boolean, now: number): void {
    const since = this.blocked?.reason === reason ? this.blocked.since : iso(now);
    this.blocked = {
      reason,
      since,
      permanent: permanent || (this.blocked?.reason === reason && this.blocked.permanent),
    };
    // A pass that cannot observe decides nothing: people waiting on a manual request hear it now.
    this.refuseManual(`nothing will happen: ${reason}`);
  }

  /** Releases still in their release phase that no promotion of ours is waiting on. */
  pendingReleases(): { app: string; releaseId: string }[] {
    return (this.observation?.stages ?? [])
      .filter((stage) => stage.latest?.status === 'pending' && !this.inFlight.has(stage.app))
      .map((stage) => ({ app: stage.app, releaseId: stage.latest!.id }));
  }

  /**
   * The reconcile plan over the last observation. With `now`, the candidate of a pair is the newest
   * source release that has soaked (domain/soak.ts); without, the one the source runs.
   */
  plan(waitForPendingTargets = true, now?: number, service: Service = this.service, slugOnly = false): PairPlan[] {
    if (!this.observation) return [];
    return planPairs(service, this.observation, {
      inFlight: [...this.inFlight.keys()],
      failed: this.failed,
      rejected: this.rejected,
      waitForPendingTargets,
      retry: this.retry,
      ...(now === undefined ? {} : { soak: { now, commits: this.commitCache } }),
      ...(slugOnly ? { slugOnly } : {}),
    });
  }

  /** What the gates that need no I/O look at (facts.ts gathers costly facts only where they let a candidate through). */
  cheapFacts(): { pause: Pause | null; freeze: Freeze | null; commits: CommitAnswers; manual: string[] } {
    return { pause: this.pause, freeze: this.freeze, commits: this.commitCache, manual: [...this.manual.keys()] };
  }

  /** GitHub questions the plan needs that are not answered for good already. */
  questions(plans: readonly PairPlan[]): CommitQuestion[] {
    return commitQuestions(this.service, plans).filter((q) => !(questionKey(q) in this.commitCache));
  }

  /** Remembers answers that cannot change: two fixed commits, or a commit found on the branch. */
  learn(questions: readonly CommitQuestion[], answers: CommitAnswers): void {
    for (const q of questions) {
      const answer = answers[questionKey(q)];
      const lasting = isImmutable(q, this.service.branch)
        ? answer !== 'unknown'
        : answer === 'behind' || answer === 'identical';
      if (answer && lasting) this.commitCache[questionKey(q)] = answer;
    }
    const keys = Object.keys(this.commitCache);
    for (const key of keys.slice(0, Math.max(0, keys.length - COMMIT_CACHE_LIMIT))) delete this.commitCache[key];
  }

  /**
   * The health facts the candidates' target stages need, one request per stage with checks; also
   * for promotions decided and not yet posted, so their confirmation sees a fresh incident or alert.
   */
  healthRequests(plans: readonly PairPlan[], platformChecks = true, decided = true): HealthRequest[] {
    const candidates = plans.flatMap((plan) => (plan.kind === 'candidate' ? [plan.candidate] : []));
    for (const decision of decided ? this.decisions.values() : []) {
      if (this.inFlight.get(decision.go.candidate.pair.to)?.phase === 'decided') candidates.push(decision.go.candidate);
    }
    return healthRequests(this.service, this.observation, candidates, platformChecks);
  }

  /** For confirming the decided promotion into `to`: its target's incident and alert facts, read afresh. */
  confirmHealthRequests(to: string): HealthRequest[] {
    const decision = this.decisions.get(to);
    if (!decision || this.inFlight.get(to)?.phase !== 'decided') return [];
    return healthRequests(this.service, this.observation, [decision.go.candidate], false).flatMap(
      ({ stage, incident, alerts }) =>
        incident || alerts ? [{ stage, ...(incident ? { incident } : {}), ...(alerts ? { alerts } : {}) }] : [],
    );
  }

  /** Keeps the newest health facts per target stage (decisions are confirmed against them). */
  learnHealth(health: Record<string, TargetHealth>): void {
    for (const [stage, facts] of Object.entries(health)) this.health[stage] = { ...this.health[stage], ...facts };
  }

  /** Queues an operator's promotion into `manual.to`; the next reconcile pass decides it. */
  requestManual(manual: ManualPromotion): void {
    this.manual.set(manual.to, manual);
    this.manualOutcomes.delete(manual.to);
  }

  /** Whether a manual request into `to` waits for its decision (a second one is refused meanwhile). */
  hasManualRequest(to: string): boolean {
    return this.manual.has(to);
  }

  /**
   * What the operator sees on the source of `to` now: the release a manual request is tied to.
   * Null when the pipeline was never observed.
   */
  sourceSeen(to: string): ManualPromotion['expect'] | null {
    const index = this.service.stages.indexOf(to);
    const fact = index > 0 && this.observation ? stageOf(this.observation, this.service.stages[index - 1]) : undefined;
    const current = fact?.current;
    return current ? { releaseId: current.id, version: current.version, commit: current.commit } : null;
  }

  hasManualOutcome(to: string): boolean {
    return this.manualOutcomes.has(to);
  }

  /** Answers every queued manual request with `message` and forgets it: it will never fire later. */
  refuseManual(message: string, to?: string): void {
    for (const stage of [...this.manual.keys()]) {
      if (to !== undefined && stage !== to) continue;
      this.manual.delete(stage);
      this.manualOutcomes.set(stage, { started: false, message });
    }
  }

  /** The decision on a queued manual promotion, once made (taken once). */
  takeManualOutcome(to: string): ManualOutcome | undefined {
    const outcome = this.manualOutcomes.get(to);
    if (outcome) this.manualOutcomes.delete(to);
    return outcome;
  }

  /** Judges every candidate; returns those every gate (or an operator) lets through. */
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
    const commits = { ...this.commitCache, ...answers };
    const decision = decide({
      deferred,
      service: this.service,
      plans,
      now,
      pause: this.pause,
      freeze: this.freeze,
      commits,
      health,
      approvals: this.approvals,
      waiting: this.waiting,
      manual: this.manual,
    });
    this.decidedOn = commits;
    this.pairs = decision.pairs;
    this.approvals = decision.approvals;
    this.waiting = decision.waiting;
    for (const [stage, outcome] of Object.entries(decision.answers)) this.manualOutcomes.set(stage, outcome);
    this.manual.clear();
    return decision.start;
  }

  /**
   * Records a decided promotion (phase `decided`): it is in flight from now on, and its activity
   * confirms the decision with `confirmPost` right before the POST.
   */
  promotionStarted(go: Go, now: number, id = `${go.candidate.pair.to}@${now}`): PromotionRecord {
    const { candidate, manual } = go;
    const record: PromotionRecord = {
      from: candidate.pair.from,
      to: candidate.pair.to,
      commit: candidate.source.commit,
      sourceVersion: candidate.source.version,
      slugId: candidate.source.slugId!,
      startedAt: iso(now),
      outcome: 'in-flight',
      phase: 'decided',
      decisionId: id,
      ...(candidate.target
        ? {
            previous: {
              releaseId: candidate.target.id,
              version: candidate.target.version,
              slugId: candidate.target.slugId,
            },
          }
        : {}),
      ...(manual ? { manual: { by: manual.by, reason: manual.reason, skippedGates: manual.skippedGates } } : {}),
    };
    this.inFlight.set(record.to, record);
    this.decisions.set(record.to, {
      id,
      go,
      decidedAt: now,
      configVersion: this.configVersion,
      overruled: { pause: this.pause, freeze: this.freeze },
      commits: this.decidedOn,
    });
    this.pairs = this.pairs.map((p) =>
      p.to === record.to ? { ...p, state: 'promoting', reason: `promoting v${record.sourceVersion}` } : p,
    );
    return record;
  }

  /**
   * Right before its POST, a promotion asks whether its decision still stands. It does not when a
   * hold began since (pause, freeze), its commit was rejected, the config changed, a gate closed on
   * the newest facts (a window, an incident, an alert), or it waited longer than `ttlMs`. When it
   * stands the promotion is `posted`: past the point of no return, it finishes whatever comes next.
   */
  confirmPost(request: { to: string; id: string; now: number }, ttlMs = DECISION_TTL_MS): ConfirmAnswer {
    const record = this.inFlight.get(request.to);
    const decision = this.decisions.get(request.to);
    if (!record || !decision || decision.id !== request.id)
      return { stands: false, reason: `no promotion into ${request.to} is waiting for its POST` };
    const earlier = record.phase === 'posted' && record.postedAt ? { postedAt: record.postedAt } : {};
    const reason = this.withdrawal(decision, request.now, ttlMs);
    if (reason) return { stands: false, reason, ...earlier };
    this.inFlight.set(request.to, { ...record, phase: 'posted', postedAt: iso(request.now) });
    // An approval is spent by the promotion it let through, once posted, never by one withdrawn.
    this.approvals = this.approvals.filter((a) => a.stage !== request.to);
    delete this.waiting[request.to];
    delete this.retry[request.to];
    delete this.retriedBy[request.to];
    return { stands: true, ...earlier };
  }

  /** Why a decision no longer stands, or undefined when it does. */
  private withdrawal(
    { go, decidedAt, configVersion, overruled, commits }: Decision,
    now: number,
    ttlMs: number,
  ): string | undefined {
    const { candidate, manual } = go;
    if (now - decidedAt > ttlMs)
      return `decided ${Math.round((now - decidedAt) / 1000)}s ago, longer than the ${Math.round(ttlMs / 1000)}s a decision stands: deciding again`;
    if (configVersion !== this.configVersion) return 'the configuration changed since the decision';
    const rejection = this.rejected.find((r) => candidate.source.commit && rejects(r, candidate.source.commit));
    if (rejection) return `${shortSha(candidate.source.commit)} was rejected by ${rejection.by}: ${rejection.reason}`;
    // A hold an operator overruled stays overruled; any other hold withdraws the promotion.
    const pause = this.pause && !(manual && samePause(this.pause, overruled.pause)) ? this.pause : null;
    const frozen = this.service.ignoreFreeze ? null : this.freeze;
    const freeze = frozen && !(manual && samePause(frozen, overruled.freeze)) ? frozen : null;
    const allow = allowGate(candidate, { service: this.service, now, pause, freeze, commits: {}, health: {} });
    if (!allow.ok) return allow.reason;
    const context = {
      service: this.service,
      now,
      pause: null,
      freeze: null,
      commits: { ...commits, ...this.commitCache },
      health: this.health,
      approvals: { given: this.approvals, waiting: this.waiting },
    };
    const closed = judge(candidate, context).verdicts.filter((v) => !v.ok && v.gate !== 'allow');
    // An operator's promotion overrules what it overruled when decided (the waiting gates, or all).
    const holding = manual ? overrule(closed, manual).holding : closed;
    return holding.length ? holding.map((v) => `${v.gate}: ${v.reason}`).join('; ') : undefined;
  }

  promotionFinished(to: string, outcome: PromotionOutcome, now: number): void {
    const started = this.inFlight.get(to);
    if (!started) return;
    this.inFlight.delete(to);
    this.decisions.delete(to);
    if (outcome.status === 'superseded' || outcome.status === 'withdrawn') {
      // Not a failure of the release: nothing was posted; the next pass decides again.
      this.history = [
        { ...started, finishedAt: iso(now), outcome: outcome.status, error: outcome.error },
        ...this.history,
      ].slice(0, HISTORY_LIMIT);
      return;
    }
    const record: PromotionRecord = {
      ...started,
      finishedAt: iso(now),
      outcome: outcome.status,
      promotionId: outcome.promotionId,
      ...(outcome.targetVersion !== null ? { targetVersion: outcome.targetVersion } : {}),
      ...(outcome.error ? { error: outcome.error } : {}),
    };
    this.history = [record, ...this.history].slice(0, HISTORY_LIMIT);
    if (outcome.status === 'failed') {
      // Heroku said the release failed in this stage: it is not tried there again (until `retry`).
      const failure = {
        slugId: record.slugId,
        commit: record.commit,
        error: outcome.error ?? 'promotion failed',
        at: record.finishedAt!,
      };
      this.failed[to] = [failure, ...(this.failed[to] ?? [])].slice(0, FAILED_PER_STAGE_LIMIT);
    }
  }

  /**
   * The promote activity gave up with an error of its own (a rotated token, a lost promotion): the
   * release did not fail in the stage, so nothing is held against it. `posted` says whether the error
   * came before the POST (nothing reached Heroku's promotion) or after (the next observation tells).
   */
  promotionErred(to: string, error: string, posted: boolean, now: number): void {
    const started = this.inFlight.get(to);
    if (!started) return;
    this.inFlight.delete(to);
    this.decisions.delete(to);
    const outcome: PromotionRecord['outcome'] = posted ? 'failed' : 'not-posted';
    this.history = [{ ...started, finishedAt: iso(now), outcome, error }, ...this.history].slice(0, HISTORY_LIMIT);
  }

  /** Whether `to` holds a failed release an operator could retry, and which slug. */
  retryable(to: string): string | null {
    const recorded = this.failed[to]?.[0]?.slugId;
    if (recorded) return recorded;
    const fact = this.observation && stageOf(this.observation, to);
    return fact?.latest?.status === 'failed' ? fact.latest.slugId : null;
  }

  /** An operator's retry of the release that failed in `to` (audited: who, why, in status and notices). */
  retryFailed(to: string, by: string, reason: string): string {
    const slug = this.retryable(to);
    if (!slug) return `nothing failed in ${to}`;
    this.failed[to] = (this.failed[to] ?? []).filter((f) => f.slugId !== slug);
    this.retry[to] = slug;
    this.retriedBy[to] = { by, reason };
    return `the release that failed in ${to} may be promoted again (retry by ${by})`;
  }

  /** The promotion into `to` succeeded and now bakes: the stage stays busy until verified. */
  promotionVerifying(to: string, outcome: PromotionOutcome): void {
    const record = this.inFlight.get(to);
    if (!record) return;
    this.inFlight.set(to, {
      ...record,
      outcome: 'verifying',
      promotionId: outcome.promotionId,
      ...(outcome.targetVersion !== null ? { targetVersion: outcome.targetVersion } : {}),
    });
    this.pairs = this.pairs.map((p) =>
      p.to === to ? { ...p, state: 'promoting', reason: `verifying v${record.sourceVersion} in ${to}` } : p,
    );
  }

  /**
   * Verification failed: the release is held everywhere (as a rejection an operator can lift with
   * unreject), and the pipeline pauses so a person looks before anything else moves.
   */
  verificationFailed(
    to: string,
    problem: string,
    rollback: { version?: number; error?: string } | null,
    now: number,
  ): void {
    const record = this.inFlight.get(to);
    if (!record) return;
    this.inFlight.delete(to);
    const at = iso(now);
    const verification = {
      problem,
      ...(rollback?.version !== undefined ? { rollbackVersion: rollback.version } : {}),
      ...(rollback?.error ? { rollbackError: rollback.error } : {}),
    };
    const outcome: PromotionRecord['outcome'] = rollback?.version !== undefined ? 'rolled-back' : 'verification-failed';
    this.history = [{ ...record, finishedAt: at, outcome, verification }, ...this.history].slice(0, HISTORY_LIMIT);
    const what = `${shortSha(record.commit)} in ${to}`;
    if (record.commit)
      this.reject({ commit: record.commit, reason: `verification failed in ${to}: ${problem}`, by: 'conveyor', at });
    const action =
      rollback?.version !== undefined
        ? `rolled back to v${record.previous?.version}`
        : rollback?.error
          ? `rollback failed: ${rollback.error}`
          : 'not rolled back';
    this.pauseBy({ reason: `verification of ${what} failed (${problem}); ${action}`, by: 'conveyor' }, now);
  }

  /** When to look again: the next tick, sooner if a gate opens before, later while blocked for good. */
  nextWakeAt(now: number, blockedRecheckMs = BLOCKED_RECHECK_MS, tickMs = this.service.tickMs): number {
    let at = now + (this.blocked?.permanent ? Math.max(blockedRecheckMs, tickMs) : tickMs);
    if (!this.blocked) {
      for (const pair of this.pairs) if (pair.recheckAt) at = Math.min(at, Math.max(now, Date.parse(pair.recheckAt)));
    }
    this.nextCheckAt = at;
    return at;
  }

  /** What each pair would do now under `service` (conveyor plan): the last observation, no side effects. */
  preview(service: Service, now: number): { pairs: PairStatus[] } {
    const context = {
      service,
      now,
      pause: this.pause,
      freeze: service.ignoreFreeze ? null : this.freeze,
      commits: this.commitCache,
      health: this.health,
      approvals: { given: this.approvals, waiting: this.waiting },
    };
    const pairs = this.plan(true, now, service).map((plan): PairStatus => {
      const base = { from: plan.pair.from, to: plan.pair.to, reason: plan.reason };
      if (plan.kind !== 'candidate') return { ...base, state: plan.kind, verdicts: [] };
      const judgement = judge(plan.candidate, context);
      return judgement.ok
        ? { ...base, state: 'ready', verdicts: judgement.verdicts }
        : { ...base, state: 'gated', verdicts: judgement.verdicts, recheckAt: judgement.recheckAt };
    });
    return { pairs };
  }

  /** The status query's answer; never throws (a query that throws shows an error to every caller). */
  safeStatus(): PipelineStatus {
    try {
      return this.status();
    } catch (error) {
      const none = {
        stages: [],
        currentStage: null,
        pairs: [],
        inFlight: [],
        history: [],
        observedAt: null,
        nextCheckAt: null,
      };
      return {
        service: this.service?.name ?? 'unknown',
        pipeline: this.service?.pipeline ?? 'unknown',
        branch: this.service?.branch ?? 'unknown',
        ...none,
        paused: this.pause,
        frozen: this.freeze,
        ignoresFreeze: false,
        blocked: this.blocked,
        rejected: this.rejected,
        approvals: [],
        waitingForApproval: [],
        error: `status could not be computed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }

  /** Why the loop sleeps until nextWakeAt: a timer summary in the Web UI ("age gate opens for v12 into api-st01"). */
  nextWakeReason(): string {
    if (this.blocked) return `look again (blocked: ${this.blocked.reason.slice(0, 80)})`;
    const due = this.pairs.filter(
      (p) => p.recheckAt && this.nextCheckAt !== null && Date.parse(p.recheckAt) <= this.nextCheckAt,
    );
    const opening = due.flatMap((p) =>
      p.verdicts
        .filter((v) => !v.ok && v.recheckAt === p.recheckAt)
        .map((v) => `${v.gate} gate opens for ${p.from} -> ${p.to}`),
    );
    return opening[0] ?? 'next look (tick)';
  }

  currentStage(): CurrentStage | null {
    return this.observation ? currentStage(this.service, this.observation) : null;
  }

  status(): PipelineStatus {
    const stages = this.service.stages.map((stage) => {
      const fact = this.observation && stageOf(this.observation, stage);
      const current = fact?.current ?? null;
      const latest = fact?.latest;
      return {
        stage,
        version: current?.version ?? null,
        commit: current?.commit ?? null,
        status: current?.status ?? null,
        releasedAt: current ? (current.startedAt ?? current.createdAt) : null,
        ...(latest && latest.id !== current?.id
          ? { latest: { version: latest.version, status: latest.status, commit: latest.commit } }
          : {}),
      };
    });
    return {
      service: this.service.name,
      pipeline: this.service.pipeline,
      branch: this.service.branch,
      stages,
      currentStage: this.currentStage(),
      paused: this.pause,
      frozen: this.freeze,
      ignoresFreeze: this.service.ignoreFreeze === true,
      blocked: this.blocked,
      rejected: this.rejected,
      approvals: this.approvals,
      waitingForApproval: Object.values(this.waiting),
      pairs: this.pairs,
      inFlight: [...this.inFlight.values()],
      history: this.history,
      ...(this.resumedBy !== undefined && !this.pause ? { resumedBy: this.resumedBy } : {}),
      holds: holdsOf({
        pause: this.pause,
        freeze: this.freeze,
        ignoreFreeze: this.service.ignoreFreeze,
        blocked: this.blocked,
        rejected: this.rejected,
        failed: this.failed,
      }),
      retries: Object.entries(this.retry).map(([stage, slugId]) => ({
        stage,
        slugId,
        ...(this.retriedBy[stage] ?? { by: 'unknown', reason: '' }),
      })),
      observedAt: this.observation?.observedAt ?? null,
      nextCheckAt: this.nextCheckAt === null ? null : iso(this.nextCheckAt),
    };
  }

  carry(): CarriedState {
    this.noticeChanges();
    const holding = Object.fromEntries(
      this.told.pairs.flatMap((p) =>
        p.state === 'gated' ? [[p.to, holdingKey(p.verdicts.filter((v) => !v.ok).map((v) => v.gate))]] : [],
      ),
    );
    return {
      pause: this.pause,
      freeze: this.freeze,
      blocked: this.blocked,
      failed: this.failed,
      history: this.history,
      commitCache: this.commitCache,
      observation: this.observation,
      rejected: this.rejected,
      holding,
      approvals: this.approvals,
      waiting: this.waiting,
      outbox: this.outbox,
      retry: this.retry,
      retriedBy: this.retriedBy,
    };
  }
}

const samePause = (a: Pause, b: Pause | null): boolean =>
  !!b && a.by === b.by && a.since === b.since && a.reason === b.reason;

/** Pairs standing for the gates that held them, as carried across continue-as-new. */
const pairsHeldBy = (holding: Record<string, string>): PairStatus[] =>
  Object.entries(holding).map(([to, key]) => ({
    from: '',
    to,
    state: 'gated',
    reason: '',
    verdicts: key.split(',').map((gate) => ({ gate, ok: false, reason: '' })),
  }));
