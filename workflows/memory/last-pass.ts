import type { CommitAnswers } from '../../domain/commits';
import type { TargetHealth } from '../../domain/gates';
import type { Blocked } from '../../domain/hold';
import type { Observation } from '../../domain/observation';
import type { PairStatus } from '../../domain/status';
import { wakeReason } from './status-view';
import { gateWakeAt } from '../../domain/wake';

/**
 * What each pass recomputes, kept apart from the durable memory: the observation, each pair's state,
 * the newest health facts per target stage, the commit answers decided on, and when to look again.
 * Only the observation is carried across continue-as-new (status shows it until the next pass).
 */
export class LastPass {
  pairs: PairStatus[] = [];
  nextCheckAt: number | null = null;
  /** The newest health facts of each target stage, for confirming decisions before their POST. */
  readonly health: Record<string, TargetHealth> = {};
  /** The commit answers of the last decision. */
  decidedOn: CommitAnswers = {};
  /**
   * Per target stage, the costly facts that held its candidate, kept until `until` for the candidate
   * `key` (workflows/facts.ts): not carried, so a continued run reads them again once.
   */
  readonly heldFacts = new Map<string, { key: string; until: number; health: TargetHealth }>();

  constructor(public observation: Observation | null = null) {}

  /** Keeps the newest health facts per target stage, merged per fact (decisions are confirmed against them). */
  learnHealth(health: Record<string, TargetHealth>): void {
    for (const [stage, facts] of Object.entries(health)) this.health[stage] = { ...this.health[stage], ...facts };
  }

  /** A promotion into `to` started or moved on: its pair shows it until the next decision. */
  promoting(to: string, reason: string): void {
    this.pairs = this.pairs.map((p) => (p.to === to ? { ...p, state: 'promoting', reason } : p));
  }

  /** When to look again: after `waitMs`, sooner if a gate opens before (never sooner while blocked; domain/wake.ts). */
  nextWakeAt(now: number, waitMs: number, blocked: boolean): number {
    let at = now + waitMs;
    if (!blocked) {
      for (const pair of this.pairs) if (pair.recheckAt) at = Math.min(at, gateWakeAt(now, Date.parse(pair.recheckAt)));
    }
    this.nextCheckAt = at;
    return at;
  }

  wakeReason(blocked: Blocked | null): string {
    return wakeReason(blocked, this.pairs, this.nextCheckAt);
  }
}
