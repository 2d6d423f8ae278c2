import type { Assurance } from './approval';
import { verify } from './attestation';
import { displayName, isVerified, type Provider } from './identity';
import type { PromotionRecord } from './promotion';
import { shortSha } from './observation';

/**
 * One person's action on a pipeline as its history holds it: who (and how sure), what, which rule
 * allowed it, and what followed. Read from the signals and updates the workflow took; the identity
 * is believed only where a dashboard's signature (access.signingKeys) checks out.
 */
export interface AuditEntry {
  /** ISO 8601, when the pipeline took the request. */
  at: string;
  action: string;
  by: string;
  assurance: Assurance;
  provider?: Provider;
  /** The identity provider's issuer and subject, for a verified identity. */
  issuer?: string;
  subject?: string;
  rule?: string;
  /** What was asked: stage, commit, reason. */
  details: string;
  /** The pipeline's answer, then what came of it (a promotion it let through). */
  followed: string;
}

/**
 * Messages people send; the others (look, confirmPromotion) are conveyor's own. Freeze and unfreeze
 * are sent to the control workflow and stop every pipeline, so each service's audit lists them.
 */
export const AUDITED = [
  'pause',
  'resume',
  'promote',
  'retry',
  'reject',
  'unreject',
  'approve',
  'reconfigure',
  'configure',
  'freeze',
  'unfreeze',
] as const;
export type AuditedAction = (typeof AUDITED)[number];
export const isAudited = (name: string): name is AuditedAction => (AUDITED as readonly string[]).includes(name);

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() ? value.trim() : undefined;

export const isFleetWide = (action: string): boolean => action === 'freeze' || action === 'unfreeze';

/** What a freeze did to this service. */
export function freezeFollowed(action: string, ignoresFreeze: boolean): string {
  if (action === 'unfreeze') return 'the freeze ended: promotions go again';
  return ignoresFreeze
    ? 'every pipeline froze except this one (ignoreFreeze)'
    : 'every pipeline froze: this one holds its promotions';
}

/** Who sent a request, as far as its signature shows. */
export function whoSent(
  action: string,
  input: unknown,
  service: string,
  signingKeys: readonly string[],
): Pick<AuditEntry, 'by' | 'assurance' | 'provider' | 'issuer' | 'subject' | 'rule'> {
  const request = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const typed = text(request.by) ?? 'unknown';
  if (request.attestation !== undefined) {
    const checked = verify(request.attestation, signingKeys);
    // A fleet-wide action is signed for no one service.
    const forService =
      checked.ok && (checked.claim.service === service || (isFleetWide(action) && !checked.claim.service));
    if (checked.ok && checked.claim.action === action && forService) {
      const { identity, rule } = checked.claim;
      return {
        by: displayName(identity),
        assurance: isVerified(identity) ? 'verified' : 'unverified',
        provider: identity.provider,
        ...(isVerified(identity) ? { issuer: identity.issuer, subject: identity.subject } : {}),
        rule,
      };
    }
    return {
      by: `${typed} (signature did not check: ${checked.ok ? 'signed for another action' : checked.problem})`,
      assurance: 'administrator',
    };
  }
  return { by: typed, assurance: 'administrator' };
}

/** What was asked, in a few words. */
export function describeRequest(action: string, input: unknown): string {
  const r = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const commit = text(r.commit);
  const parts = [
    // A pause or resume names the app it holds or lifts; the other requests, the stage they go into
    // (a promotion: one app, or several of a wave).
    text(r.stage)
      ? `${action === 'resume' || action === 'pause' ? 'of' : 'into'} ${text(r.stage)}`
      : text(r.to)
        ? `into ${text(r.to)}`
        : Array.isArray(r.to) && r.to.some((to) => text(to))
          ? `into ${r.to.flatMap((to) => text(to) ?? []).join(', ')}`
          : undefined,
    commit ? `commit ${shortSha(commit)}` : undefined,
    r.skipGates === true ? 'skipping every gate' : undefined,
    text(r.reason) ? `reason: ${text(r.reason)}` : undefined,
    text(r.comment) ? `comment: ${text(r.comment)}` : undefined,
    action === 'reconfigure' || action === 'configure' ? 'a new configuration' : undefined,
  ].filter((p): p is string => p !== undefined);
  return parts.join('; ');
}

/**
 * What followed an approval or a promotion by hand: the promotion into that stage that started
 * after it (of the approved commit, when one is named), or that none has yet.
 */
export function whatFollowed(
  action: string,
  input: unknown,
  at: string,
  history: readonly PromotionRecord[],
): string | undefined {
  if (action !== 'approve' && action !== 'promote' && action !== 'retry') return undefined;
  const r = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const stage = text(r.stage) ?? text(r.to);
  if (!stage) return undefined;
  const commit = text(r.commit);
  const after = history
    .filter(
      (p) =>
        p.to === stage &&
        Date.parse(p.startedAt) >= Date.parse(at) - 1_000 &&
        (!commit || (p.commit !== null && p.commit.startsWith(commit.toLowerCase()))),
    )
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt))[0];
  if (!after) return `no promotion into ${stage} since`;
  return `promotion ${shortSha(after.commit)} ${after.from} -> ${after.to} ${after.outcome}${after.finishedAt ? ` at ${after.finishedAt}` : ''}`;
}
