import type { CiFacts } from '../checks';
import { shortSha } from '../observation';
import { hold, pass, type Verdict } from '../verdict';
import type { Gate } from './gate';

/** Conclusions that count as green; anything else a completed run says (failure, timed_out, stale...) is red. */
const GREEN = new Set(['success', 'neutral', 'skipped']);
const RED_STATES = new Set(['failure', 'error']);

/**
 * Holds until GitHub reports the source commit green: no check run or commit status failed, none
 * is still running. A commit with no CI at all passes (the repository has none).
 */
export function ciVerdict(facts: CiFacts): Verdict {
  const sha = shortSha(facts.commit);
  if (facts.error !== undefined) return hold('ci', `cannot read CI for ${sha}: ${facts.error}`);
  const total = facts.checkRuns.length + facts.statuses.length;
  if (total === 0) return pass('ci', `no CI checks reported for ${sha}`);

  const failed = [
    ...facts.checkRuns
      .filter((r) => r.status === 'completed' && !GREEN.has(r.conclusion ?? ''))
      .map((r) => `${r.name} (${r.conclusion ?? 'no conclusion'})`),
    ...facts.statuses.filter((s) => RED_STATES.has(s.state)).map((s) => `${s.context} (${s.state})`),
  ];
  if (failed.length) return hold('ci', `CI failed for ${sha}: ${failed.join(', ')}`);

  const running = [
    ...facts.checkRuns
      .filter((r) => r.status !== 'completed')
      .map((r) => `${r.name} ${r.status === 'queued' ? 'queued' : 'in progress'}`),
    ...facts.statuses.filter((s) => s.state === 'pending').map((s) => `${s.context} pending`),
  ];
  if (running.length) return hold('ci', `waiting for CI on ${sha}: ${running.join(', ')}`);
  return pass('ci', `CI passed for ${sha} (${total} check${total === 1 ? '' : 's'})`);
}

/** The CI gate: the source commit's check runs and statuses, gathered for the target stage (on unless `ci: false`). */
export const ciGate: Gate = ({ pair }, { health }) => (health[pair.to]?.ci ? ciVerdict(health[pair.to].ci!) : null);
