import { judge, standardGates, type Candidate, type Gate, type GateContext, type Judgement } from './gates';

/**
 * How far ahead of a gate that opens on its own (a soak ending, a window opening) a pass decides the
 * promotion it lets through. The POST waits for that moment and its confirmation judges every gate
 * again then, so the moment itself costs a confirmation and a POST, not a pass with its reads: 25
 * pipelines whose window opens at once would otherwise queue 25 passes on one worker.
 */
export const DECIDE_AHEAD_MS = 2_000;

/**
 * The moment every gate of a closed candidate opens on its own, when that is at most `aheadMs` away:
 * its promotion may be decided now and posted then. Undefined when the candidate goes now, when the
 * moment is further, or when a gate that time does not open holds it (a pause, a red CI, an alert).
 */
export function opensAhead(
  candidate: Candidate,
  context: GateContext,
  judgement: Judgement,
  gates: readonly Gate[] = standardGates,
  aheadMs = DECIDE_AHEAD_MS,
): number | undefined {
  if (judgement.ok || !judgement.recheckAt) return undefined;
  const at = Date.parse(judgement.recheckAt);
  if (at - context.now > aheadMs) return undefined;
  return judge(candidate, { ...context, now: Math.max(at, context.now) }, gates).ok ? at : undefined;
}
