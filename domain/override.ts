import type { Verdict } from './verdict';
import type { ManualPromotion } from './promotion';

export type { ManualPromotion } from './promotion';
import { COMMIT_PREFIX, sameCommit } from './rejection';
import { pairsOf, type Service } from './service';
import type { Candidate } from './gates/gate';
import { shortSha, type Observation } from './observation';
import { stageOf } from './plan';

/**
 * Gates that only make a promotion wait (time, a soak on a wave, a pause, a freeze). A manual promotion overrules
 * them; the safety gates (branch, forward, health) still hold unless --skip-gates.
 */
export const WAITING_GATES: readonly string[] = ['allow', 'window', 'age', 'wave'];

export interface Overruling {
  ok: boolean;
  /** Gates that held and were overruled. */
  skipped: string[];
  /** Gates that still hold. */
  holding: Verdict[];
}

export function overrule(verdicts: readonly Verdict[], manual: Pick<ManualPromotion, 'skipGates'>): Overruling {
  const closed = verdicts.filter((v) => !v.ok);
  const skippable = (v: Verdict) => manual.skipGates || WAITING_GATES.includes(v.gate);
  const holding = closed.filter((v) => !skippable(v));
  return { ok: holding.length === 0, skipped: closed.filter(skippable).map((v) => v.gate), holding };
}

const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/** Reads a manual promotion request; answers the problem in words when it cannot be accepted. */
export function readManualPromotion(input: unknown, service: Service, now: number): ManualPromotion | string {
  const fields = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const to = text(fields.to);
  const index = service.stages.indexOf(to);
  if (!to) return 'a target stage ("to") is required';
  if (index < 0) return `unknown stage "${to}"; ${service.name} has ${service.stages.join(', ')}`;
  if (index === 0) return `${to} is the first stage: nothing is upstream of it to promote`;
  if (!text(fields.reason)) return 'a reason is required';
  if (fields.skipGates !== undefined && typeof fields.skipGates !== 'boolean') return 'skipGates must be true or false';
  const commit = text(fields.commit).toLowerCase();
  if (fields.commit !== undefined && !COMMIT_PREFIX.test(commit))
    return `commit "${commit}" is not a sha (7 to 40 hex digits)`;
  return {
    to,
    reason: text(fields.reason).slice(0, 500),
    by: text(fields.by) || 'unknown',
    skipGates: fields.skipGates === true,
    at: new Date(now).toISOString(),
    ...(commit ? { commit } : {}),
  };
}

/** The apps a comma-separated `--to` (or the dashboard's `to` field) names, each once, in order. */
export const appsNamed = (text: string): string[] =>
  [...new Set(text.split(',').map((app) => app.trim()))].filter(Boolean);

/**
 * Reads a request naming one target (`to: "app"`) or several apps asked at once (`to: ["a", "b"]`,
 * the apps of a wave): one decision judges them together, so those that go share one promotion.
 */
export function readManualPromotions(input: unknown, service: Service, now: number): ManualPromotion[] | string {
  const fields = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  if (!Array.isArray(fields.to)) {
    const one = readManualPromotion(input, service, now);
    return typeof one === 'string' ? one : [one];
  }
  if (fields.to.length === 0) return 'a target stage ("to") is required: the list is empty';
  if (!fields.to.every((to) => typeof to === 'string'))
    return '"to" names stages: a stage name, or a list of stage names';
  const targets = fields.to.map((to: string) => to.trim());
  const twice = targets.find((to, i) => targets.indexOf(to) !== i);
  if (twice !== undefined) return `${twice} is named twice in "to"`;
  const read: ManualPromotion[] = [];
  for (const to of targets) {
    const one = readManualPromotion({ ...fields, to }, service, now);
    if (typeof one === 'string') return one;
    read.push(one);
  }
  return read;
}

/**
 * The candidate an operator's request means: the release the source ran when the request was
 * accepted (or the commit it names), whatever has soaked. Answers why not, in words, when the source
 * runs something else now: a request never promotes what its sender did not see.
 */
export function manualCandidate(candidate: Candidate, manual: ManualPromotion): Candidate | string {
  const running = candidate.newest ?? candidate.source;
  const { from } = candidate.pair;
  const now = `${from} runs v${running.version} (${shortSha(running.commit)})`;
  if (manual.commit) {
    if (!running.commit || !sameCommit(running.commit, manual.commit))
      return `${now}, not ${manual.commit.slice(0, 7)} that was asked for; nothing was promoted`;
  } else if (manual.expect && manual.expect.releaseId !== running.id) {
    return `${now} now, not v${manual.expect.version} (${shortSha(manual.expect.commit)}) that the request saw; nothing was promoted: ask again`;
  }
  if (running === candidate.source) return candidate;
  return { pair: candidate.pair, source: running, target: candidate.target };
}

/**
 * What the operator sees on the source of `to` now: the release a manual request is tied to. Null
 * when the pipeline was never observed.
 */
export function requestedSource(
  service: Service,
  observation: Observation | null,
  to: string,
): ManualPromotion['expect'] | null {
  // Into an app of a wave, the source is the first app of the wave before (service.ts pairsOf).
  const from = pairsOf(service).find((pair) => pair.to === to)?.from;
  const fact = from && observation ? stageOf(observation, from) : undefined;
  const current = fact?.current;
  return current ? { releaseId: current.id, version: current.version, commit: current.commit } : null;
}

/** Reads a reject/unreject request's commit; answers the problem in words when it is not a sha. */
export function readCommit(input: unknown): string | { problem: string } {
  const commit = text(
    input && typeof input === 'object' ? (input as Record<string, unknown>).commit : undefined,
  ).toLowerCase();
  if (!COMMIT_PREFIX.test(commit)) return { problem: `commit "${commit}" is not a sha (7 to 40 hex digits)` };
  return commit;
}
