/**
 * When a pipeline run hands over to a fresh one (continue-as-new), pure.
 *
 * A run can hand over only once its promotions in flight have ended (they belong to it), and while
 * it waits for them it starts nothing. A promotion can last minutes (a bake, a release phase, retries
 * against one failing target), so waiting as soon as the history is full would hold every other pair
 * of the pipeline for as long. Instead, once the history is full the run goes on reconciling and
 * hands over at the first moment nothing is in flight; only after HANDOVER_SLACK_EVENTS more events
 * does it stop starting promotions and wait for the last one. Temporal suggests handing over at
 * about 4,000 events and warns at 10,240 (its hard limit is 51,200), so the slack stays below both.
 */
export const HANDOVER_SLACK_EVENTS = 4_000;

export interface HandoverInput {
  /** Whether the history is full (Temporal suggests continue-as-new, or the run's own cap is reached). */
  full: boolean;
  /** The history's length now. */
  length: number;
  /** The history's length when this run first saw it full (undefined while it is not). */
  fullAt: number | undefined;
  /** Promotions of this run still in flight. */
  inFlight: number;
}

/**
 * - `reconcile`: pass as usual (the history has room, or it is full with a promotion in flight and
 *   slack left);
 * - `hand-over`: the history is full and nothing is in flight: continue-as-new now;
 * - `drain`: the slack is spent: start nothing more, wait for the promotions in flight, then hand over.
 */
export type HandoverStep = 'reconcile' | 'hand-over' | 'drain';

export function handoverStep({ full, length, fullAt, inFlight }: HandoverInput): HandoverStep {
  if (!full) return 'reconcile';
  if (inFlight === 0) return 'hand-over';
  return length >= (fullAt ?? length) + HANDOVER_SLACK_EVENTS ? 'drain' : 'reconcile';
}
