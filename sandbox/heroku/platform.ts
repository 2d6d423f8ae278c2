import { People } from './people';
import type { ReleaseRecord } from '../store';
import { Scheduler } from './scheduler';
import { Store } from '../store';

/** How long the sandbox's asynchronous work takes. */
export interface Timing {
  /** From POST /pipeline-promotions to the targets' new releases. */
  promotionDelayMs: number;
  /** How long a new release stays pending before its release phase succeeds or fails. */
  releasePhaseMs: number;
}

/** A release came into being, or its status changed (what Heroku's `api:release` webhooks report). */
export interface ReleaseChange {
  action: 'create' | 'update';
  release: ReleaseRecord;
  /** The changed fields' values before an update; empty for a create. */
  previous: Partial<Pick<ReleaseRecord, 'status'>>;
}

export type ReleaseListener = (change: ReleaseChange) => void;

/** Everything the Heroku side's behaviour needs: the state, the clock of delayed work, and who listens. */
export class Platform {
  readonly scheduler = new Scheduler();
  /** Accounts besides the sandbox's own, OAuth clients and tokens, collaborators. */
  readonly people = new People();
  private readonly listeners: ReleaseListener[] = [];

  constructor(
    readonly store: Store,
    readonly timing: Timing,
  ) {}

  onRelease(listener: ReleaseListener): void {
    this.listeners.push(listener);
  }

  releaseChanged(change: ReleaseChange): void {
    for (const listener of this.listeners) listener(change);
  }

  stop(): void {
    this.scheduler.stop();
  }
}
