import { createHash } from 'node:crypto';
import type { CommitRecord } from '../github/commit-graph';
import { newId, timestamp } from '../ids';
import type { OciImageRecord, Store, SlugRecord } from '../store';

/** A slug built on `appId` from `commit` (slugs never change once built). */
export function buildSlug(store: Store, appId: string, commit: CommitRecord): SlugRecord {
  const now = timestamp();
  const slug: SlugRecord = {
    id: newId(),
    appId,
    commit: commit.sha,
    commitDescription: commit.message,
    checksum: `SHA256:${createHash('sha256').update(commit.sha).digest('hex')}`,
    size: 30_000_000 + parseInt(commit.sha.slice(0, 5), 16),
    createdAt: now,
    updatedAt: now,
  };
  store.state.slugs[slug.id] = slug;
  return slug;
}

/**
 * A slug built by hand from a tarball (POST /apps/{app}/slugs with no `commit`, as the Platform API
 * allows): Heroku knows no commit or commit description for it.
 */
export function buildTarballSlug(store: Store, appId: string): SlugRecord {
  const now = timestamp();
  const id = newId();
  const slug: SlugRecord = {
    id,
    appId,
    commit: null,
    commitDescription: null,
    checksum: `SHA256:${createHash('sha256').update(id).digest('hex')}`,
    size: 30_000_000 + parseInt(id.slice(0, 5), 16),
    createdAt: now,
    updatedAt: now,
  };
  store.state.slugs[slug.id] = slug;
  return slug;
}

/**
 * An OCI image built on `appId` by Cloud Native Buildpacks (Fir), from `commit`; null for an image
 * pushed by hand, which Heroku knows no commit of.
 */
export function buildOciImage(store: Store, appId: string, commit: CommitRecord | null): OciImageRecord {
  const now = timestamp();
  const id = newId();
  const image: OciImageRecord = {
    id,
    appId,
    commit: commit?.sha ?? null,
    commitDescription: commit?.message ?? null,
    digest: `sha256:${createHash('sha256')
      .update(commit ? `${commit.sha}:${id}` : id)
      .digest('hex')}`,
    createdAt: now,
    updatedAt: now,
  };
  (store.state.ociImages ??= {})[id] = image;
  return image;
}
