import type { Freeze } from '../../domain/freeze';
import { holdsOf, type Blocked, type Hold } from '../../domain/hold';
import { readPause, type Pause } from '../../domain/pause';
import { shortSha } from '../../domain/observation';
import type { FailedPromotion, PromotionRecord } from '../../domain/promotion';
import type { Rollback } from './promotion-book';
import { sameCommit, type Rejection } from '../../domain/rejection';
import { iso } from '../../domain/duration';
import type { FailureHoldScope } from '../../domain/failed-verification';

/** What holds the pipeline as a whole, one app alone, or a commit everywhere: pause, freeze, blocked, rejections. */
export class Holds {
  private pauseNow: Pause | null;
  /** Apps held alone, each until a person resumes it (a failed verification in a wave). */
  private heldApps: Record<string, Pause>;
  private freezeNow: Freeze | null;
  private blockedNow: Blocked | null;
  private rejections: Rejection[];
  /** Who resumed last (status shows it until the next pause; notices tell it). */
  private resumer?: string;

  constructor(carried?: {
    pause?: Pause | null;
    freeze?: Freeze | null;
    blocked?: Blocked | null;
    rejected?: Rejection[];
    held?: Record<string, Pause>;
  }) {
    this.pauseNow = carried?.pause ?? null;
    this.heldApps = carried?.held ?? {};
    this.freezeNow = carried?.freeze ?? null;
    this.blockedNow = carried?.blocked ?? null;
    this.rejections = carried?.rejected ?? [];
  }

  get pause(): Pause | null {
    return this.pauseNow;
  }

  /** The apps held alone, with who held them and why. */
  get held(): Readonly<Record<string, Pause>> {
    return this.heldApps;
  }

  get freeze(): Freeze | null {
    return this.freezeNow;
  }

  get blocked(): Blocked | null {
    return this.blockedNow;
  }

  get rejected(): Rejection[] {
    return this.rejections;
  }

  get paused(): boolean {
    return this.pauseNow !== null;
  }

  get resumedBy(): string | undefined {
    return this.pauseNow ? undefined : this.resumer;
  }

  pauseBy(input: unknown, now: number): void {
    const was = this.pauseNow;
    this.pauseNow = readPause(input, now);
    if (!was) this.resumer = undefined;
  }

  /** Holds one app alone: nothing is promoted into it until a person resumes it. */
  holdApp(app: string, input: unknown, now: number): void {
    this.heldApps = { ...this.heldApps, [app]: readPause(input, now) };
  }

  /**
   * Forgets the holds of apps the configuration no longer has: nothing is promoted into them, and
   * nobody could resume them (a resume names an app of the service). The release stays rejected.
   */
  keepApps(apps: readonly string[]): void {
    this.heldApps = Object.fromEntries(Object.entries(this.heldApps).filter(([app]) => apps.includes(app)));
  }

  /**
   * Lets promotions go again: the whole pipeline and every app held alone, or with `stage` that app
   * only. Answers what was lifted, in words.
   */
  resume(by = 'unknown', stage?: string): string {
    if (stage !== undefined) {
      if (!this.heldApps[stage]) return `${stage} was not held`;
      const { [stage]: _lifted, ...rest } = this.heldApps;
      this.heldApps = rest;
      this.resumer = by;
      return `resumed ${stage}`;
    }
    const apps = Object.keys(this.heldApps);
    const lifted = [...(this.pauseNow ? ['the pipeline'] : []), ...apps];
    if (lifted.length) this.resumer = by;
    this.pauseNow = null;
    this.heldApps = {};
    // A person asked for action: a permanent block is worth checking again right now.
    if (this.blockedNow) this.blockedNow = { ...this.blockedNow, permanent: false };
    return lifted.length ? `resumed ${lifted.join(', ')}` : 'nothing was paused';
  }

  frozen(freeze: Freeze | null): void {
    this.freezeNow = freeze;
  }

  reject(rejection: Rejection): void {
    this.rejections = [rejection, ...this.rejections.filter((r) => r.commit !== rejection.commit)];
  }

  /** Answers whether a rejection of that commit existed. */
  unreject(commit: string): boolean {
    const before = this.rejections.length;
    this.rejections = this.rejections.filter((r) => !sameCommit(r.commit, commit));
    return this.rejections.length < before;
  }

  isRejected(commit: string): boolean {
    return this.rejections.some((r) => sameCommit(r.commit, commit));
  }

  /**
   * Verification of `record`'s release failed: the release is held everywhere (a rejection an
   * operator can lift with unreject), and the pipeline pauses so a person looks before anything
   * moves, or with `scope` app (an app of a wave, domain/failed-verification.ts) only that app is held.
   */
  afterFailedVerification(
    record: PromotionRecord,
    problem: string,
    rollback: Rollback | null,
    now: number,
    scope: FailureHoldScope = 'pipeline',
  ): void {
    const { to, commit } = record;
    if (commit)
      this.reject({ commit, reason: `verification failed in ${to}: ${problem}`, by: 'conveyor', at: iso(now) });
    const action =
      rollback?.version !== undefined
        ? `rolled back to v${record.previous?.version}`
        : rollback?.error
          ? `rollback failed: ${rollback.error}`
          : 'not rolled back';
    const reason = `verification of ${shortSha(commit)} in ${to} failed (${problem}); ${action}`;
    if (scope === 'app') this.holdApp(to, { reason, by: 'conveyor' }, now);
    else this.pauseBy({ reason, by: 'conveyor' }, now);
  }

  /** The pipeline cannot observe or judge; the same reason keeps its `since` (and stays permanent once it was). */
  blockedBy(reason: string, permanent: boolean, now: number): void {
    const same = this.blockedNow?.reason === reason;
    this.blockedNow = {
      reason,
      since: same ? this.blockedNow!.since : iso(now),
      permanent: permanent || (same && this.blockedNow!.permanent),
    };
  }

  /** A pass went through observation and fact gathering: whatever blocked the pipeline is gone. */
  unblocked(): void {
    this.blockedNow = null;
  }

  /** Every hold in one shape (domain/hold.ts), failed releases included. */
  list(failed: Record<string, FailedPromotion[]>, ignoreFreeze: boolean | undefined): Hold[] {
    return holdsOf({
      pause: this.pauseNow,
      held: this.heldApps,
      freeze: this.freezeNow,
      ignoreFreeze,
      blocked: this.blockedNow,
      rejected: this.rejections,
      failed,
    });
  }
}
