import type { Artifact } from './artifact';

/** What conveyor observed of Heroku: facts only, no judgement. */

export type ReleaseStatus = 'pending' | 'succeeded' | 'failed' | 'expired';

export interface ReleaseFact {
  id: string;
  version: number;
  status: ReleaseStatus;
  /** The slug or OCI image it runs (read it with artifactOf: older observations carry `slugId` only). */
  artifact?: Artifact | null;
  /** Observations recorded before artifacts: the slug id. */
  slugId?: string | null;
  /** Git sha of the artifact (a slug's commit, an image's); null when Heroku does not know it. */
  commit: string | null;
  createdAt: string;
  /**
   * When the release started running: Heroku's `updated_at` once its status left `pending` (the end
   * of the release phase). Absent in observations recorded before soak counted from it.
   */
  startedAt?: string;
}

export interface StageFact {
  /** Heroku app name. */
  app: string;
  appId: string;
  /** The app's newest release, whatever its status. */
  latest: ReleaseFact | null;
  /** The release the app runs: its newest succeeded one. */
  current: ReleaseFact | null;
  /** The app's pipeline coupling stage (development, staging, production), when known. */
  coupling?: string;
  /**
   * The app's recent succeeded releases, newest first (the running one included), read when the
   * running release has not soaked yet, so that an older release that has may move on (see soak.ts).
   */
  recent?: ReleaseFact[];
}

export interface Observation {
  pipelineId: string;
  /** The pipeline's platform generation (`cedar`, `fir`); absent in observations made before it was read. */
  generation?: string;
  observedAt: string;
  /** In the service's stage order. */
  stages: StageFact[];
}

export const shortSha = (commit: string | null | undefined): string => (commit ? commit.slice(0, 7) : 'unknown');
