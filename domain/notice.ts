import type { PairStatus, PipelineStatus, PromotionRecord } from './status';
/** One change of state worth telling people about, once. */
export type NoticeKind =
  | 'promotion-started'
  | 'promotion-succeeded'
  | 'promotion-failed'
  | 'promotion-withdrawn'
  | 'verification-failed'
  | 'rollback'
  | 'paused'
  | 'resumed'
  | 'frozen'
  | 'unfrozen'
  | 'blocked'
  | 'unblocked'
  | 'held'
  | 'released';

export interface Notice {
  kind: NoticeKind;
  service: string;
  /** One line a person reads in a channel. */
  text: string;
  at: string;
  stage?: string;
  commit?: string | null;
}

/**
 * A pair's holding gates as one comparable key: a notice goes out when the set changes, never
 * again while the same gates keep holding.
 */
export const holdingKey = (gates: readonly string[]): string => [...gates].sort().join(',');

/** A notice before it is sent: the moment is stamped when it goes out. */
export type NoticeDraft = Omit<Notice, 'at'>;

const short = (commit: string | null | undefined): string => (commit ? commit.slice(0, 7) : 'unknown');
const recordKey = (r: PromotionRecord): string => `${r.to}|${r.startedAt}|${r.decisionId ?? ''}`;
const pairHolding = (pair: PairStatus): string =>
  pair.state === 'gated' ? holdingKey(pair.verdicts.filter((v) => !v.ok).map((v) => v.gate)) : '';

/**
 * What changed between two statuses of one pipeline, as the notices people read: every notice is
 * a difference the status itself shows (a pause began, a gate started holding a pair, a promotion
 * started or ended), so it is told once, however often the same state is computed again. Oldest first.
 */
export function noticesBetween(before: NoticeBasis, after: NoticeBasis): NoticeDraft[] {
  const service = after.service;
  const notices: NoticeDraft[] = [];
  const tell = (kind: NoticeKind, text: string, extra: Pick<Notice, 'stage' | 'commit'> = {}) =>
    notices.push({ kind, service, text: `${service}: ${text}`, ...extra });

  const started = new Set([...before.inFlight, ...before.history].map(recordKey));
  for (const r of after.inFlight) {
    if (started.has(recordKey(r))) continue;
    const manual = r.manual;
    const by = manual
      ? ` by hand (${manual.by}: ${manual.reason}${manual.skippedGates.length ? `; skipped ${manual.skippedGates.join(', ')}` : ''})`
      : '';
    tell('promotion-started', `promoting v${r.sourceVersion} (${short(r.commit)}) ${r.from} -> ${r.to}${by}`, {
      stage: r.to,
      commit: r.commit,
    });
  }
  const ended = new Set(before.history.map(recordKey));
  for (const r of [...after.history].reverse()) {
    if (ended.has(recordKey(r))) continue;
    if (!started.has(recordKey(r)) && !after.inFlight.some((f) => recordKey(f) === recordKey(r)))
      // Started and ended between the two statuses: it is told as both.
      tell('promotion-started', `promoting v${r.sourceVersion} (${short(r.commit)}) ${r.from} -> ${r.to}`, {
        stage: r.to,
        commit: r.commit,
      });
    const what = `${short(r.commit)} ${r.from} -> ${r.to}`;
    const extra = { stage: r.to, commit: r.commit };
    if (r.outcome === 'succeeded') tell('promotion-succeeded', `promoted ${what} as v${r.targetVersion}`, extra);
    else if (r.outcome === 'failed')
      tell('promotion-failed', `promotion ${what} failed: ${r.error ?? 'unknown error'}`, extra);
    else if (r.outcome === 'not-posted')
      tell('promotion-failed', `promotion ${what} was not posted: ${r.error}`, extra);
    else if (r.outcome === 'withdrawn')
      tell('promotion-withdrawn', `promotion of ${what} withdrawn before it was posted: ${r.error}`, extra);
    else if (r.outcome === 'verification-failed' || r.outcome === 'rolled-back') {
      tell(
        'verification-failed',
        `verification of ${short(r.commit)} in ${r.to} failed: ${r.verification?.problem}`,
        extra,
      );
      if (r.verification?.rollbackVersion !== undefined)
        tell('rollback', `rolled ${r.to} back to v${r.previous?.version} (now v${r.verification.rollbackVersion})`, {
          stage: r.to,
        });
    }
  }

  if (!before.paused && after.paused) tell('paused', `paused by ${after.paused.by}: ${after.paused.reason}`);
  if (before.paused && !after.paused) tell('resumed', `resumed by ${after.resumedBy ?? 'unknown'}`);
  // An app of a wave held alone, and its resume, are told per app.
  for (const [app, hold] of Object.entries(after.held ?? {}))
    if (!before.held?.[app]) tell('paused', `${app} held by ${hold.by}: ${hold.reason}`, { stage: app });
  for (const app of Object.keys(before.held ?? {}))
    if (!after.held?.[app]) tell('resumed', `${app} resumed by ${after.resumedBy ?? 'unknown'}`, { stage: app });
  if (!before.frozen && after.frozen) tell('frozen', `frozen by ${after.frozen.by}: ${after.frozen.reason}`);
  if (before.frozen && !after.frozen) tell('unfrozen', 'freeze lifted');
  if (after.blocked && after.blocked.reason !== before.blocked?.reason)
    tell('blocked', `blocked: ${after.blocked.reason}`);
  if (before.blocked && !after.blocked) tell('unblocked', `no longer blocked (was: ${before.blocked.reason})`);

  const given = new Set(before.approvals.map((a) => `${a.stage}|${a.commit}|${a.at}`));
  for (const a of after.approvals) {
    if (given.has(`${a.stage}|${a.commit}|${a.at}`)) continue;
    tell('released', `${short(a.commit)} approved into ${a.stage} by ${a.by}${a.comment ? `: ${a.comment}` : ''}`, {
      stage: a.stage,
      commit: a.commit,
    });
  }
  const allowed = new Set((before.retries ?? []).map((r) => `${r.stage}|${r.artifactId}`));
  for (const r of after.retries ?? []) {
    if (allowed.has(`${r.stage}|${r.artifactId}`)) continue;
    tell('released', `retry of the release that failed in ${r.stage} allowed by ${r.by}: ${r.reason}`, {
      stage: r.stage,
    });
  }

  const held = new Map(before.pairs.map((p) => [p.to, pairHolding(p)]));
  for (const pair of after.pairs) {
    const key = pairHolding(pair);
    const was = held.get(pair.to) ?? '';
    if (key === was) continue;
    if (key)
      tell(
        'held',
        `${pair.from} -> ${pair.to} held by ${pair.verdicts
          .filter((v) => !v.ok)
          .map((v) => `${v.gate} (${v.reason})`)
          .join('; ')}`,
        { stage: pair.to },
      );
    else if (pair.state !== 'ready' && pair.state !== 'promoting')
      tell('released', `${pair.from} -> ${pair.to} no longer held`, { stage: pair.to });
  }
  return notices;
}

/** The parts of a pipeline's status its notices are derived from. */
export type NoticeBasis = Pick<
  PipelineStatus,
  | 'service'
  | 'paused'
  | 'held'
  | 'frozen'
  | 'blocked'
  | 'approvals'
  | 'pairs'
  | 'inFlight'
  | 'history'
  | 'resumedBy'
  | 'retries'
>;

/**
 * How long notices wait for a promotion on its way to Heroku's answer. It is decided, confirmed and
 * answered within a second or two; one that is not (Heroku failing the activity's first read, a
 * long release phase) holds notices no longer than this: the next pass sends them.
 */
export const NOTICES_WAIT_MS = 10_000;

/**
 * Whether notices wait: while a promotion decided or posted less than NOTICES_WAIT_MS ago still
 * waits for its confirmation or for Heroku's answer. The notify activity's completion is a workflow
 * task of its own: sent then, it comes between a decision and its POST, or, when an unfreeze or an
 * approval reaches every pipeline at once, among the other pipelines' decisions.
 */
export function noticesWait(underWaySince: readonly number[], now: number): boolean {
  return underWaySince.some((since) => now - since < NOTICES_WAIT_MS);
}
