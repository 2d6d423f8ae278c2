import type { Observation, ReleaseFact, StageFact } from '../../domain/observation';
import type { Service } from '../../domain/service';

/** Builders of observed facts for the pure tests: a release is named by its commit. */
export const service: Service = {
  name: 'api',
  pipeline: 'api',
  stages: ['api-qa01', 'api-st01', 'api-va01', 'api-eu01'],
  repo: 'acme/api',
  branch: 'main',
  minAgeMs: 30 * 60_000,
  tickMs: 60_000,
};

export const T0 = Date.parse('2026-11-20T10:00:00Z');

export function release(commit: string, overrides: Partial<ReleaseFact> = {}): ReleaseFact {
  return {
    id: `release-${commit}-${overrides.version ?? 1}`,
    version: 1,
    status: 'succeeded',
    slugId: `slug-${commit}`,
    commit: commit.padEnd(40, '0'),
    createdAt: new Date(T0).toISOString(),
    ...overrides,
  };
}

export function stage(app: string, current: ReleaseFact | null, latest: ReleaseFact | null = current): StageFact {
  return { app, appId: `id-${app}`, current, latest };
}

/** An observation with one succeeded release per stage, given by commit, in stage order. */
export function observe(...commits: (string | ReleaseFact)[]): Observation {
  return {
    pipelineId: 'pipeline-api',
    observedAt: new Date(T0).toISOString(),
    stages: service.stages.map((app, i) => {
      const c = commits[i];
      return stage(app, typeof c === 'string' ? release(c) : (c ?? null));
    }),
  };
}

export const sha = (commit: string) => commit.padEnd(40, '0');
