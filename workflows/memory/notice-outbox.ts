import { holdingKey, noticesBetween, type Notice, type NoticeBasis, type NoticeDraft } from '../../domain/notice';
import type { PairStatus, PipelineStatus } from '../../domain/status';
import { iso } from '../../domain/duration';

/**
 * Notices are what changed between the status last told and the status now (domain/notice.ts).
 * The outbox keeps the status it told and the notices not yet sent.
 */
export class NoticeOutbox {
  private told: NoticeBasis;

  /** A continued run tells nothing the run before it told: pairs are not carried, the gates holding them are. */
  constructor(
    start: PipelineStatus,
    holding: Record<string, string> = {},
    private drafts: NoticeDraft[] = [],
  ) {
    this.told = { ...start, pairs: pairsHeldBy(holding) };
  }

  /** Queues a notice for every difference between the status last told and `now`. */
  compare(now: PipelineStatus): void {
    // A status that cannot be computed whole tells nothing (the next one that can tells the difference).
    if (now.error) return;
    this.drafts.push(...noticesBetween(this.told, now));
    this.told = now;
  }

  /** Notices since the last drain, oldest first, stamped `now`. */
  drain(now: number): Notice[] {
    const notices = this.drafts.map((n) => ({ ...n, at: iso(now) }));
    this.drafts = [];
    return notices;
  }

  /** Carried across continue-as-new: the notices not yet sent, and the gates told holding each pair. */
  carry(): { outbox: NoticeDraft[]; holding: Record<string, string> } {
    const holding = Object.fromEntries(
      this.told.pairs.flatMap((p) =>
        p.state === 'gated' ? [[p.to, holdingKey(p.verdicts.filter((v) => !v.ok).map((v) => v.gate))]] : [],
      ),
    );
    return { outbox: this.drafts, holding };
  }
}

/** Pairs standing for the gates that held them, as carried across continue-as-new. */
const pairsHeldBy = (holding: Record<string, string>): PairStatus[] =>
  Object.entries(holding).map(([to, key]) => ({
    from: '',
    to,
    state: 'gated',
    reason: '',
    verdicts: key.split(',').map((gate) => ({ gate, ok: false, reason: '' })),
  }));
