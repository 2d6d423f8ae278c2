import { createHash } from 'node:crypto';
import type { CommitRecord } from './commit-graph';
import { newId, timestamp } from './ids';
import type { Store, SlugRecord } from './store';

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
