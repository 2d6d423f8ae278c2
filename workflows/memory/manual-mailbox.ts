import type { ManualOutcome } from '../../domain/decision';
import type { ManualPromotion } from '../../domain/override';

/**
 * Operators' promotion requests waiting for the next decision, one per target stage, and the
 * answers the decision gave them until their callers take them.
 */
export class ManualMailbox {
  private readonly requests = new Map<string, ManualPromotion>();
  private readonly answers = new Map<string, ManualOutcome>();

  /** Queues an operator's promotion into `manual.to`; the next reconcile pass decides it. */
  request(manual: ManualPromotion): void {
    this.requests.set(manual.to, manual);
    this.answers.delete(manual.to);
  }

  /** The requests the next decision judges. */
  get waiting(): ReadonlyMap<string, ManualPromotion> {
    return this.requests;
  }

  /** Whether a request into `to` waits for its decision (a second one is refused meanwhile). */
  has(to: string): boolean {
    return this.requests.has(to);
  }

  answered(to: string): boolean {
    return this.answers.has(to);
  }

  /** Answers every waiting request (or the one into `to`) with `message` and forgets it: it never fires later. */
  refuse(message: string, to?: string): void {
    for (const stage of [...this.requests.keys()]) {
      if (to !== undefined && stage !== to) continue;
      this.requests.delete(stage);
      this.answers.set(stage, { started: false, message });
    }
  }

  /** A decision answered the requests it judged: every one is settled (none waits for a later pass). */
  settle(answers: Record<string, ManualOutcome>): void {
    for (const [stage, outcome] of Object.entries(answers)) this.answers.set(stage, outcome);
    this.requests.clear();
  }

  /** The answer to the request into `to`, once given (taken once). */
  take(to: string): ManualOutcome | undefined {
    const outcome = this.answers.get(to);
    if (outcome) this.answers.delete(to);
    return outcome;
  }
}
