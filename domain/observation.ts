/** What conveyor observed of Heroku: facts only, no judgement. */

export type ReleaseStatus = 'pending' | 'succeeded' | 'failed' | 'expired';

export interface ReleaseFact {
  id: string;
  version: number;
  status: ReleaseStatus;
  slugId: string | null;
  /** Git sha of the slug; null when Heroku does not know it. */
  commit: string | null;
  createdAt: string;
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
}

export interface Observation {
  pipelineId: string;
  observedAt: string;
  /** In the service's stage order. */
  stages: StageFact[];
}

export const shortSha = (commit: string | null | undefined): string => (commit ? commit.slice(0, 7) : 'unknown');
