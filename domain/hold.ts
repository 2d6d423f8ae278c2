import type { Freeze } from './freeze';
import type { Pause } from './pause';
import type { FailedPromotion } from './promotion';
import type { Rejection } from './rejection';

/** Why the pipeline cannot observe or act, as the last attempt found it (a `blocked` hold). */
export interface Blocked {
  reason: string;
  since: string;
  /** Permanent causes (bad token, unknown app) are re-checked at a slow cadence. */
  permanent: boolean;
}

/** The kinds of Hold: what stops a release from moving, and how far it reaches. */
export type HoldKind = 'pause' | 'freeze' | 'blocked' | 'rejected' | 'failed';

/**
 * One shape for everything that holds releases back: an operator's pause of the service, the
 * company-wide freeze, a block conveyor cannot act through (a bad token, an unknown app), a commit
 * rejected everywhere, an app held alone (a `pause` with its `stage`), a release that failed in one
 * stage. `commit` and `stage` say what it holds; neither means everything.
 */
export interface Hold {
  kind: HoldKind;
  reason: string;
  /** Who put it there; `conveyor` for what conveyor found itself. */
  by: string;
  since: string;
  commit?: string | null;
  stage?: string;
  /** The build (slug or image id) that failed, for a `failed` hold. */
  artifactId?: string;
  /** A block conveyor re-checks slowly (a person must act). */
  permanent?: boolean;
}

/** Every hold of a pipeline, in one list: service-wide first, then commits, then apps held alone, then failed releases. */
export function holdsOf(parts: {
  pause: Pause | null;
  /** Apps held alone: a `pause` hold with its `stage`. */
  held?: Readonly<Record<string, Pause>>;
  freeze: Freeze | null;
  ignoreFreeze?: boolean;
  blocked: Blocked | null;
  rejected: readonly Rejection[];
  failed: Readonly<Record<string, readonly FailedPromotion[]>>;
}): Hold[] {
  const holds: Hold[] = [];
  if (parts.pause) holds.push({ kind: 'pause', ...parts.pause });
  if (parts.freeze && !parts.ignoreFreeze) holds.push({ kind: 'freeze', ...parts.freeze });
  if (parts.blocked)
    holds.push({
      kind: 'blocked',
      reason: parts.blocked.reason,
      by: 'conveyor',
      since: parts.blocked.since,
      permanent: parts.blocked.permanent,
    });
  for (const r of parts.rejected)
    holds.push({ kind: 'rejected', reason: r.reason, by: r.by, since: r.at, commit: r.commit });
  for (const [stage, pause] of Object.entries(parts.held ?? {})) holds.push({ kind: 'pause', ...pause, stage });
  for (const [stage, failures] of Object.entries(parts.failed))
    for (const f of failures)
      holds.push({
        kind: 'failed',
        reason: f.error,
        by: 'conveyor',
        since: f.at,
        stage,
        commit: f.commit,
        artifactId: f.artifactId,
      });
  return holds;
}
