import { newId, timestamp } from '../ids';
import type { Platform } from './platform';
import type { ReleaseRecord, Store } from '../store';

/**
 * Release life cycle: a new release is pending while its release phase runs, then succeeded or
 * failed (as the app's release phase is set when the release is created). The app runs its newest
 * succeeded release; a failed one changes nothing it runs.
 */

export interface NewRelease {
  slugId: string | null;
  /** Only for a release without a slug: the OCI image it runs. */
  ociImageId?: string;
  description: string;
}

function addRelease(
  platform: Platform,
  appId: string,
  input: NewRelease,
  status: ReleaseRecord['status'],
): ReleaseRecord {
  const { store } = platform;
  const now = timestamp();
  const release: ReleaseRecord = {
    id: newId(),
    appId,
    version: store.nextVersion(appId),
    slugId: input.slugId,
    ...(input.ociImageId ? { ociImageId: input.ociImageId } : {}),
    description: input.description,
    status,
    phaseError: status === 'pending' ? (store.state.releasePhases[appId]?.fail ?? null) : null,
    createdAt: now,
    updatedAt: now,
  };
  store.put('releases', release);
  store.state.apps[appId].updatedAt = now;
  platform.releaseChanged({ action: 'create', release, previous: {} });
  return release;
}

/** A new pending release; its release phase ends after `releasePhaseMs`. */
export function createRelease(platform: Platform, appId: string, input: NewRelease): ReleaseRecord {
  const release = addRelease(platform, appId, input, 'pending');
  platform.scheduler.after(platform.timing.releasePhaseMs, () => endReleasePhase(platform, release.id));
  return release;
}

/** A release that is already live, such as an app's first one when a scenario sets it up. */
export function recordLiveRelease(platform: Platform, appId: string, input: NewRelease): ReleaseRecord {
  return addRelease(platform, appId, input, 'succeeded');
}

function endReleasePhase(platform: Platform, releaseId: string): void {
  const release = platform.store.state.releases[releaseId];
  if (release?.status !== 'pending') return;
  const previous = { status: release.status };
  release.status = release.phaseError === null ? 'succeeded' : 'failed';
  release.updatedAt = timestamp();
  platform.releaseChanged({ action: 'update', release, previous });
}

/** Heroku's rollback: a new release of the app running an earlier release's slug or OCI image. */
export function rollback(platform: Platform, to: ReleaseRecord): ReleaseRecord {
  return createRelease(platform, to.appId, {
    slugId: to.slugId,
    ...(to.ociImageId ? { ociImageId: to.ociImageId } : {}),
    description: `Rollback to v${to.version}`,
  });
}

/**
 * Whether Heroku can build on the release: it has a slug, or it is a Fir release with its OCI image
 * (on Cedar an image release is a container-registry deploy, which promotions and rollbacks do not take).
 */
export const runsBuild = (store: Store, release: ReleaseRecord): boolean =>
  release.slugId !== null || (!!release.ociImageId && store.generationOf(release.appId) === 'fir');

/** Heroku lets an app go back to a release that succeeded and still has its slug or image to run. */
export const eligibleForRollback = (store: Store, release: ReleaseRecord): boolean =>
  release.status === 'succeeded' && !release.expiredAt && runsBuild(store, release);

/**
 * Heroku's artifact retention: the release's slug or image is destroyed and the release shows
 * `expired` (an `api:release` update). An app that runs it keeps running it; nothing can be made of
 * it any more (no promotion by its id, no rollback to it).
 */
export function expireRelease(platform: Platform, release: ReleaseRecord): void {
  const { state } = platform.store;
  if (release.expiredAt) return;
  const now = timestamp();
  const previous = { status: release.status };
  release.expiredAt = now;
  release.updatedAt = now;
  const artifact = release.slugId ? state.slugs[release.slugId] : state.ociImages?.[release.ociImageId ?? ''];
  if (artifact && !artifact.deletedAt) artifact.deletedAt = now;
  platform.releaseChanged({ action: 'update', release, previous });
}
