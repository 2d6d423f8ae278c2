import { artifactId } from '../../domain/artifact';
import type { Go } from '../../domain/decision';
import type { Observation } from '../../domain/observation';
import { stageOf } from '../../domain/plan';
import type {
  ConfirmAnswer,
  ConfirmRequest,
  FailedPromotion,
  PromotionOutcome,
  PromotionRecord,
} from '../../domain/promotion';
import { DECISION_TTL_MS, withdrawal, type DecidedPromotion, type Standing } from '../../domain/standing';
import { nextRefusal, type Refusal } from '../../domain/refusal';
import { iso } from '../../domain/duration';

const HISTORY_LIMIT = 20;
const FAILED_PER_STAGE_LIMIT = 20;
const EXPIRED_LIMIT = 100;

/** A decided promotion with its id, kept until it settles, to confirm before its POST that it still stands. */
interface DecidedEntry extends DecidedPromotion {
  id: string;
}

/** What a decision is made under, stamped on it: a different one when it is confirmed withdraws it. */
export type DecisionStamp = Pick<DecidedPromotion, 'configVersion' | 'overruled' | 'commits'>;

/** What rolling a stage back after a failed verification did: the version it went back to, or why not. */
export type Rollback = { version?: number; error?: string };

/** The promotions' memory carried across continue-as-new (promotions in flight end before a run hands over). */
export interface CarriedBook {
  /** Per target stage, the releases whose promotion or verification failed there (not offered again). */
  failed: Record<string, FailedPromotion[]>;
  /** The newest promotions that ended, newest last. */
  history: PromotionRecord[];
  /** Per target stage, the artifact (slug or image id) whose failure there an operator asked to retry. */
  retry?: Record<string, string>;
  /** Per target stage, who allowed the retry and why (shown until the retried promotion ends). */
  retriedBy?: Record<string, { by: string; reason: string }>;
  /** Per target stage, the refusal of Heroku its pair backs off from. */
  refusals?: Record<string, Refusal>;
  /** Source releases whose promotion Heroku refused because they expired. */
  expired?: string[];
}

/**
 * Every promotion of the pipeline: in flight (decided, posted, verifying) with its decision, the
 * history of those that ended, the releases that failed per stage, and the retries operators allowed.
 */
export class PromotionBook {
  private readonly inFlight = new Map<string, PromotionRecord>();
  private readonly decisions = new Map<string, DecidedEntry>();
  private history: PromotionRecord[];
  private failures: Record<string, FailedPromotion[]>;
  private retry: Record<string, string>;
  private retriedBy: Record<string, { by: string; reason: string }>;
  private refused: Record<string, Refusal>;
  private expiredIds: string[];

  constructor(carried?: Partial<CarriedBook>) {
    this.refused = carried?.refusals ?? {};
    this.expiredIds = carried?.expired ?? [];
    this.history = carried?.history ?? [];
    this.failures = carried?.failed ?? {};
    this.retry = carried?.retry ?? {};
    this.retriedBy = carried?.retriedBy ?? {};
  }

  get size(): number {
    return this.inFlight.size;
  }

  get failed(): Record<string, FailedPromotion[]> {
    return this.failures;
  }

  /** Per target stage, the artifact an operator allowed to be tried again. */
  get retries(): Readonly<Record<string, string>> {
    return this.retry;
  }

  /** Per target stage, the refusal its pair backs off from. */
  get refusals(): Readonly<Record<string, Refusal>> {
    return this.refused;
  }

  /** Source releases Heroku refused to promote because they expired. */
  get expired(): readonly string[] {
    return this.expiredIds;
  }

  isPromoting(stage: string): boolean {
    return this.inFlight.has(stage);
  }

  /** The promotions in flight (deciding, posting or baking). */
  records(): PromotionRecord[] {
    return [...this.inFlight.values()];
  }

  /** The target stages of promotions in flight. */
  targets(): string[] {
    return [...this.inFlight.keys()];
  }

  /** The stages a promotion in flight comes from or goes into. */
  promotingStages(): string[] {
    return [...this.inFlight.values()].flatMap((record) => [record.from, record.to]);
  }

  /** Releases still in their release phase that no promotion of ours is waiting on. */
  pendingReleases(observation: Observation | null): { app: string; releaseId: string }[] {
    return (observation?.stages ?? [])
      .filter((stage) => stage.latest?.status === 'pending' && !this.inFlight.has(stage.app))
      .map((stage) => ({ app: stage.app, releaseId: stage.latest!.id }));
  }

  /** Decided promotions not yet posted: their confirmation needs fresh facts of their targets. */
  awaitingPost(to?: string): Go[] {
    return this.unconfirmed()
      .filter((d) => to === undefined || d.go.candidate.pair.to === to)
      .map((d) => d.go);
  }

  /**
   * Promotions on their way to Heroku's answer: when each was decided (not yet confirmed) or
   * confirmed (posted, not yet answered).
   */
  underWaySince(): number[] {
    return [...this.decisions.values()].flatMap((d) => {
      const record = this.inFlight.get(d.go.candidate.pair.to);
      if (record?.phase === 'decided') return [d.decidedAt];
      if (record?.phase === 'posted' && record.postedAt) return [Date.parse(record.postedAt)];
      return [];
    });
  }

  private unconfirmed(): DecidedEntry[] {
    return [...this.decisions.values()].filter((d) => this.inFlight.get(d.go.candidate.pair.to)?.phase === 'decided');
  }

  /**
   * Records a decided promotion (phase `decided`): it is in flight from now on, and its activity
   * confirms the decision with `confirm` right before the POST.
   */
  start(go: Go, now: number, id: string, stamp: DecisionStamp): PromotionRecord {
    const { candidate, manual } = go;
    const record: PromotionRecord = {
      from: candidate.pair.from,
      to: candidate.pair.to,
      commit: candidate.source.commit,
      sourceVersion: candidate.source.version,
      artifactId: artifactId(candidate.source)!,
      startedAt: iso(now),
      outcome: 'in-flight',
      phase: 'decided',
      decisionId: id,
      ...(candidate.target
        ? {
            previous: {
              releaseId: candidate.target.id,
              version: candidate.target.version,
              artifactId: artifactId(candidate.target),
            },
          }
        : {}),
      ...(manual ? { manual: { by: manual.by, reason: manual.reason, skippedGates: manual.skippedGates } } : {}),
    };
    this.inFlight.set(record.to, record);
    this.decisions.set(record.to, { id, go, decidedAt: now, ...stamp });
    return record;
  }

  /**
   * Right before its POST, a promotion asks whether its decision still stands. It does not when a
   * hold began since (pause, freeze), its commit was rejected, the config changed, a gate closed on
   * the newest facts (a window, an incident, an alert), or it waited longer than `ttlMs`. When it
   * stands the promotion is `posted`: past the point of no return, it finishes whatever comes next.
   */
  confirm(request: ConfirmRequest, standing: Standing, ttlMs = DECISION_TTL_MS): ConfirmAnswer {
    const record = this.inFlight.get(request.to);
    const decision = this.decisions.get(request.to);
    if (!record || !decision || decision.id !== request.id)
      return { stands: false, reason: `no promotion into ${request.to} is waiting for its POST` };
    const earlier = record.phase === 'posted' && record.postedAt ? { postedAt: record.postedAt } : {};
    const reason = withdrawal(decision, standing, request.now, ttlMs);
    if (reason) return { stands: false, reason, ...earlier };
    this.inFlight.set(request.to, { ...record, phase: 'posted', postedAt: iso(request.now) });
    delete this.retry[request.to];
    delete this.retriedBy[request.to];
    return { stands: true, ...earlier };
  }

  /**
   * The promotion into `to` ended with Heroku's verdict (or was superseded, or withdrawn before its
   * POST, or its POST refused: then the pair backs off for a while, `tickMs` doubling).
   */
  finished(to: string, outcome: PromotionOutcome, now: number, tickMs = 60_000): void {
    const sourceReleaseId = this.decisions.get(to)?.go.candidate.source.id ?? '';
    const started = this.settle(to);
    if (!started) return;
    if (outcome.status === 'refused') {
      // Heroku did not act: not a failure of the release, and never posted again at once.
      this.remember({ ...started, finishedAt: iso(now), outcome: 'not-posted', error: outcome.error });
      if (outcome.expired) this.expiredIds = [sourceReleaseId, ...this.expiredIds].slice(0, EXPIRED_LIMIT);
      else
        this.refused[to] = nextRefusal(
          this.refused[to],
          { stage: to, sourceReleaseId, sourceVersion: started.sourceVersion, error: outcome.error ?? 'refused' },
          now,
          tickMs,
        );
      return;
    }
    if (outcome.status === 'superseded' || outcome.status === 'withdrawn') {
      // Not a failure of the release: nothing was posted; the next pass decides again.
      this.remember({ ...started, finishedAt: iso(now), outcome: outcome.status, error: outcome.error });
      return;
    }
    // Heroku acted on the POST: whatever it refused before is gone.
    delete this.refused[to];
    const record: PromotionRecord = {
      ...started,
      finishedAt: iso(now),
      outcome: outcome.status,
      promotionId: outcome.promotionId,
      ...(outcome.targetVersion !== null ? { targetVersion: outcome.targetVersion } : {}),
      ...(outcome.error ? { error: outcome.error } : {}),
    };
    this.remember(record);
    if (outcome.status === 'failed') {
      // Heroku said the release failed in this stage: it is not tried there again (until `retry`).
      const failure = {
        artifactId: record.artifactId,
        commit: record.commit,
        error: outcome.error ?? 'promotion failed',
        at: record.finishedAt!,
      };
      this.failures[to] = [failure, ...(this.failures[to] ?? [])].slice(0, FAILED_PER_STAGE_LIMIT);
    }
  }

  /**
   * The promote activity gave up with an error of its own (a rotated token, a lost promotion): the
   * release did not fail in the stage, so nothing is held against it. `posted` says whether the error
   * came before the POST (nothing reached Heroku's promotion) or after (the next observation tells).
   */
  erred(to: string, error: string, posted: boolean, now: number): void {
    const started = this.settle(to);
    if (!started) return;
    this.remember({ ...started, finishedAt: iso(now), outcome: posted ? 'failed' : 'not-posted', error });
  }

  /** The promotion into `to` succeeded and now bakes: the stage stays busy until verified. */
  verifying(to: string, outcome: PromotionOutcome): PromotionRecord | undefined {
    const record = this.inFlight.get(to);
    if (!record) return undefined;
    this.inFlight.set(to, {
      ...record,
      outcome: 'verifying',
      promotionId: outcome.promotionId,
      ...(outcome.targetVersion !== null ? { targetVersion: outcome.targetVersion } : {}),
    });
    return record;
  }

  /** Verification of the release in `to` failed: recorded with its rollback; answers the record, for the holds that follow. */
  verificationFailed(to: string, problem: string, rollback: Rollback | null, now: number): PromotionRecord | undefined {
    const record = this.inFlight.get(to);
    if (!record) return undefined;
    this.inFlight.delete(to);
    const verification = {
      problem,
      ...(rollback?.version !== undefined ? { rollbackVersion: rollback.version } : {}),
      ...(rollback?.error ? { rollbackError: rollback.error } : {}),
    };
    const outcome: PromotionRecord['outcome'] = rollback?.version !== undefined ? 'rolled-back' : 'verification-failed';
    this.remember({ ...record, finishedAt: iso(now), outcome, verification });
    return record;
  }

  /** Whether `to` holds a failed release an operator could retry, and which artifact. */
  retryable(to: string, observation: Observation | null): string | null {
    const recorded = this.failures[to]?.[0]?.artifactId;
    if (recorded) return recorded;
    const fact = observation && stageOf(observation, to);
    return fact?.latest?.status === 'failed' ? artifactId(fact.latest) : null;
  }

  /** An operator's retry of the release that failed in `to` (audited: who, why, in status and notices). */
  retryFailed(to: string, by: string, reason: string, observation: Observation | null): string {
    const slug = this.retryable(to, observation);
    if (!slug) return `nothing failed in ${to}`;
    this.failures[to] = (this.failures[to] ?? []).filter((f) => f.artifactId !== slug);
    this.retry[to] = slug;
    this.retriedBy[to] = { by, reason };
    return `the release that failed in ${to} may be promoted again (retry by ${by})`;
  }

  /** What status shows: in flight, history (newest first), and the retries allowed with who allowed them. */
  view(): {
    inFlight: PromotionRecord[];
    history: PromotionRecord[];
    retries: { stage: string; artifactId: string; by: string; reason: string }[];
  } {
    return {
      inFlight: [...this.inFlight.values()],
      history: this.history,
      retries: Object.entries(this.retry).map(([stage, id]) => ({
        stage,
        artifactId: id,
        ...(this.retriedBy[stage] ?? { by: 'unknown', reason: '' }),
      })),
    };
  }

  carry(): CarriedBook {
    return {
      failed: this.failures,
      history: this.history,
      retry: this.retry,
      retriedBy: this.retriedBy,
      ...(Object.keys(this.refused).length ? { refusals: this.refused } : {}),
      ...(this.expiredIds.length ? { expired: this.expiredIds } : {}),
    };
  }

  private settle(to: string): PromotionRecord | undefined {
    const started = this.inFlight.get(to);
    if (!started) return undefined;
    this.inFlight.delete(to);
    this.decisions.delete(to);
    return started;
  }

  private remember(record: PromotionRecord): void {
    this.history = [record, ...this.history].slice(0, HISTORY_LIMIT);
  }
}

/** Why a decision no longer stands, or undefined when it does. */
