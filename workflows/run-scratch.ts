/**
 * What one run of the pipeline workflow keeps for itself and never carries across continue-as-new:
 * the wake-up flag, the hand-over, and the promotions running now. Everything that must outlive the
 * run is in PipelineState (workflows/pipeline-state.ts), carried whole.
 */
export interface RunScratch {
  /** Set by every message that may change a decision: the loop makes a pass at once. */
  wake: boolean;
  /** Set once the run hands over (continue-as-new): no new request is taken, queued ones are answered. */
  draining: boolean;
  /** Freeze and unfreeze signals received: a freeze read that raced one of them is older than it. */
  freezeSignals: number;
  /** The promotion sagas running in this run; the run hands over only once every one has ended. */
  inFlight: Promise<void>[];
  /** The history's length when the run first saw it full (domain/handover.ts); undefined until then. */
  fullAt?: number;
}

export const newRunScratch = (): RunScratch => ({ wake: false, draining: false, freezeSignals: 0, inFlight: [] });
