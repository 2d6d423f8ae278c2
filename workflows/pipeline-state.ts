import { isImmutable, questionKey, type CommitAnswers, type CommitQuestion } from '../domain/commits';
import { judge, type Candidate } from '../domain/gates';
import type { Observation } from '../domain/observation';
import { readPause, type Pause } from '../domain/pause';
import { commitQuestions, currentStage, planPairs, type FailedPromotion, type PairPlan } from '../domain/plan';
import type { Service } from '../domain/service';
import type { Blocked, CurrentStage, PairStatus, PipelineStatus, PromotionRecord } from './status';

/** State that survives continue-as-new. */
export interface CarriedState {
  pause: Pause | null;
  blocked: Blocked | null;
  failed: Record<string, FailedPromotion[]>;
  history: PromotionRecord[];
  commitCache: CommitAnswers;
  observation: Observation | null;
}

export interface PromotionOutcome {
  status: 'succeeded' | 'failed';
  promotionId: string | null;
  targetVersion: number | null;
  error?: string;
}

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
  private blocked: Blocked | null;
  private failed: Record<string, FailedPromotion[]>;
  private history: PromotionRecord[];
  private commitCache: CommitAnswers;
  private observation: Observation | null;
  private readonly inFlight = new Map<string, PromotionRecord>();
  private pairs: PairStatus[] = [];
  private nextCheckAt: number | null = null;

  constructor(public service: Service, carried?: CarriedState) {
    this.pause = carried?.pause ?? null;
    this.blocked = carried?.blocked ?? null;
    this.failed = carried?.failed ?? {};
    this.history = carried?.history ?? [];
    this.commitCache = carried?.commitCache ?? {};
    this.observation = carried?.observation ?? null;
  }

  get paused(): boolean {
    return this.pause !== null;
  }

  get promotionsInFlight(): number {
    return this.inFlight.size;
  }

  pauseBy(input: unknown, now: number): void {
    this.pause = readPause(input, now);
  }

  resume(): void {
    this.pause = null;
    // A person asked for action: a permanent block is worth checking again right now.
    if (this.blocked) this.blocked = { ...this.blocked, permanent: false };
  }

  reconfigure(service: Service): void {
    this.service = service;
  }

  observed(observation: Observation): void {
    this.observation = observation;
    this.blocked = null;
  }

  blockedBy(reason: string, permanent: boolean, now: number): void {
    const since = this.blocked?.reason === reason ? this.blocked.since : iso(now);
    this.blocked = { reason, since, permanent };
  }

  /** The reconcile plan over the last observation. */
  plan(): PairPlan[] {
    if (!this.observation) return [];
    return planPairs(this.service, this.observation, { inFlight: [...this.inFlight.keys()], failed: this.failed });
  }

  /** GitHub questions the plan needs that are not answered for good already. */
  questions(plans: readonly PairPlan[]): CommitQuestion[] {
    return commitQuestions(this.service, plans).filter((q) => !(questionKey(q) in this.commitCache));
  }

  /** Remembers answers that cannot change: two fixed commits, or a commit found on the branch. */
  learn(questions: readonly CommitQuestion[], answers: CommitAnswers): void {
    for (const q of questions) {
      const answer = answers[questionKey(q)];
      const lasting = isImmutable(q, this.service.branch) ? answer !== 'unknown' : answer === 'behind' || answer === 'identical';
      if (answer && lasting) this.commitCache[questionKey(q)] = answer;
    }
    const keys = Object.keys(this.commitCache);
    for (const key of keys.slice(0, Math.max(0, keys.length - COMMIT_CACHE_LIMIT))) delete this.commitCache[key];
  }

  /** Judges every candidate; returns those every gate lets through. */
  decide(plans: readonly PairPlan[], answers: CommitAnswers, now: number): Candidate[] {
    const context = { service: this.service, now, pause: this.pause, commits: { ...this.commitCache, ...answers } };
    const ready: Candidate[] = [];
    this.pairs = plans.map((plan): PairStatus => {
      const base = { from: plan.pair.from, to: plan.pair.to, reason: plan.reason };
      if (plan.kind !== 'candidate') return { ...base, state: plan.kind, verdicts: [] };
      const judgement = judge(plan.candidate, context);
      if (judgement.ok) ready.push(plan.candidate);
      return judgement.ok
        ? { ...base, state: 'ready', verdicts: judgement.verdicts }
        : { ...base, state: 'gated', verdicts: judgement.verdicts, recheckAt: judgement.recheckAt };
    });
    return ready;
  }

  promotionStarted(candidate: Candidate, now: number): PromotionRecord {
    const record: PromotionRecord = {
      from: candidate.pair.from,
      to: candidate.pair.to,
      commit: candidate.source.commit,
      sourceVersion: candidate.source.version,
      slugId: candidate.source.slugId!,
      startedAt: iso(now),
      outcome: 'in-flight',
    };
    this.inFlight.set(record.to, record);
    this.pairs = this.pairs.map((p) => (p.to === record.to ? { ...p, state: 'promoting', reason: `promoting v${record.sourceVersion}` } : p));
    return record;
  }

  promotionFinished(to: string, outcome: PromotionOutcome, now: number): void {
    const started = this.inFlight.get(to);
    if (!started) return;
    this.inFlight.delete(to);
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
      const failure = { slugId: record.slugId, commit: record.commit, error: outcome.error ?? 'promotion failed', at: record.finishedAt! };
      this.failed[to] = [failure, ...(this.failed[to] ?? [])].slice(0, FAILED_PER_STAGE_LIMIT);
    }
  }

  /** When to look again: the next tick, sooner if a gate opens before, later while blocked for good. */
  nextWakeAt(now: number, blockedRecheckMs = BLOCKED_RECHECK_MS): number {
    let at = now + (this.blocked?.permanent ? Math.max(blockedRecheckMs, this.service.tickMs) : this.service.tickMs);
    if (!this.blocked) {
      for (const pair of this.pairs) if (pair.recheckAt) at = Math.min(at, Math.max(now, Date.parse(pair.recheckAt)));
    }
    this.nextCheckAt = at;
    return at;
  }

  currentStage(): CurrentStage | null {
    return this.observation ? currentStage(this.service, this.observation) : null;
  }

  status(): PipelineStatus {
    const stages = this.service.stages.map((stage, i) => {
      const fact = this.observation?.stages[i];
      const current = fact?.current ?? null;
      const latest = fact?.latest;
      return {
        stage,
        version: current?.version ?? null,
        commit: current?.commit ?? null,
        status: current?.status ?? null,
        releasedAt: current?.createdAt ?? null,
        ...(latest && latest.id !== current?.id ? { latest: { version: latest.version, status: latest.status, commit: latest.commit } } : {}),
      };
    });
    return {
      service: this.service.name,
      pipeline: this.service.pipeline,
      branch: this.service.branch,
      stages,
      currentStage: this.currentStage(),
      paused: this.pause,
      blocked: this.blocked,
      pairs: this.pairs,
      inFlight: [...this.inFlight.values()],
      history: this.history,
      observedAt: this.observation?.observedAt ?? null,
      nextCheckAt: this.nextCheckAt === null ? null : iso(this.nextCheckAt),
    };
  }

  carry(): CarriedState {
    return {
      pause: this.pause,
      blocked: this.blocked,
      failed: this.failed,
      history: this.history,
      commitCache: this.commitCache,
      observation: this.observation,
    };
  }
}
