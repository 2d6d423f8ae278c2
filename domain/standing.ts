import type { Approval, WaitingApproval } from './approval';
import type { CommitAnswers } from './commits';
import type { Go } from './decision';
import type { Freeze } from './freeze';
import { judge, type TargetHealth } from './gates';
import { allowGate } from './gates/allow';
import { shortSha } from './observation';
import { overrule } from './override';
import type { Pause } from './pause';
import { rejects, type Rejection } from './rejection';
import type { Service } from './service';

/** How long a decided promotion may wait for its POST before it is decided again. */
export const DECISION_TTL_MS = 2 * 60_000;

/** A promotion the gates let through, with what it was decided under, until its POST. */
export interface DecidedPromotion {
  go: Go;
  decidedAt: number;
  configVersion: number;
  /** The holds an operator's promotion overruled; a hold that began later withdraws it. */
  overruled: { pause: Pause | null; freeze: Freeze | null; held?: Pause | null };
  /** The commit answers it was decided on (branch and ancestry do not change in seconds). */
  commits: CommitAnswers;
}

/** The pipeline as it is when a decided promotion asks, right before its POST, whether it still stands. */
export interface Standing {
  service: Service;
  configVersion: number;
  pause: Pause | null;
  /** Apps held alone (a failed verification in a wave). */
  held?: Readonly<Record<string, Pause>>;
  freeze: Freeze | null;
  rejected: readonly Rejection[];
  commits: CommitAnswers;
  health: Record<string, TargetHealth>;
  approvals: { given: Approval[]; waiting: Record<string, WaitingApproval> };
}

const samePause = (a: Pause, b: Pause | null): boolean =>
  !!b && a.by === b.by && a.since === b.since && a.reason === b.reason;

/**
 * Does a decided promotion still stand right before its POST? Undefined when it does; else why it is
 * withdrawn: it waited longer than `ttlMs`, the configuration changed, its commit was rejected, a
 * hold began (a pause or freeze it did not overrule), or a gate closed on the newest facts (a window,
 * an incident, an alert). An operator's promotion keeps overruling what it overruled when decided.
 */
export function withdrawal(
  { go, decidedAt, configVersion, overruled, commits }: DecidedPromotion,
  standing: Standing,
  now: number,
  ttlMs = DECISION_TTL_MS,
): string | undefined {
  const { candidate, manual } = go;
  const { service } = standing;
  if (now - decidedAt > ttlMs)
    return `decided ${Math.round((now - decidedAt) / 1000)}s ago, longer than the ${Math.round(ttlMs / 1000)}s a decision stands: deciding again`;
  if (configVersion !== standing.configVersion) return 'the configuration changed since the decision';
  const rejection = standing.rejected.find((r) => candidate.source.commit && rejects(r, candidate.source.commit));
  if (rejection) return `${shortSha(candidate.source.commit)} was rejected by ${rejection.by}: ${rejection.reason}`;
  const pause = standing.pause && !(manual && samePause(standing.pause, overruled.pause)) ? standing.pause : null;
  const frozen = service.ignoreFreeze ? null : standing.freeze;
  const freeze = frozen && !(manual && samePause(frozen, overruled.freeze)) ? frozen : null;
  const ownHold = standing.held?.[candidate.pair.to];
  const heldApp = ownHold && !(manual && samePause(ownHold, overruled.held ?? null)) ? ownHold : null;
  const held = heldApp ? { [candidate.pair.to]: heldApp } : undefined;
  const allow = allowGate(candidate, {
    service,
    now,
    pause,
    ...(held ? { held } : {}),
    freeze,
    commits: {},
    health: {},
  });
  if (!allow.ok) return allow.reason;
  const context = {
    service,
    now,
    pause: null,
    freeze: null,
    commits: { ...commits, ...standing.commits },
    health: standing.health,
    approvals: standing.approvals,
  };
  const closed = judge(candidate, context).verdicts.filter((v) => !v.ok && v.gate !== 'allow');
  const holding = manual ? overrule(closed, manual).holding : closed;
  return holding.length ? holding.map((v) => `${v.gate}: ${v.reason}`).join('; ') : undefined;
}
