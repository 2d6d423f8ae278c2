import { newId, timestamp } from '../ids';
import type { Platform } from './platform';
import { createRelease } from './releases';
import type { PromotionRecord, PromotionTargetRecord, ReleaseRecord } from '../store';

/**
 * Pipeline promotions: accepted as pending; after `promotionDelayMs` every target gets a new release
 * running the source release's slug (or OCI image) and the promotion is completed; each target then follows its
 * release's phase (succeeded, or failed with the phase's error message).
 */

export interface PromotionOrder {
  pipelineId: string;
  sourceRelease: ReleaseRecord;
  targetAppIds: string[];
}

export function startPromotion(platform: Platform, order: PromotionOrder): PromotionRecord {
  const { store } = platform;
  const { state } = store;
  const now = timestamp();
  const promotion: PromotionRecord = {
    id: newId(),
    pipelineId: order.pipelineId,
    sourceAppId: order.sourceRelease.appId,
    sourceReleaseId: order.sourceRelease.id,
    status: 'pending',
    createdAt: now,
    updatedAt: now,
  };
  state.promotions[promotion.id] = promotion;
  for (const appId of order.targetAppIds) {
    const target: PromotionTargetRecord = {
      id: newId(),
      promotionId: promotion.id,
      appId,
      releaseId: null,
      status: 'pending',
      errorMessage: null,
    };
    store.put('promotionTargets', target);
  }
  platform.scheduler.after(platform.timing.promotionDelayMs, () => releaseTargets(platform, promotion.id));
  return promotion;
}

function releaseTargets(platform: Platform, promotionId: string): void {
  const { store } = platform;
  const promotion = store.state.promotions[promotionId];
  const source = store.state.releases[promotion.sourceReleaseId];
  const commit = source.slugId
    ? store.state.slugs[source.slugId]?.commit
    : store.state.ociImages?.[source.ociImageId ?? '']?.commit;
  const description = `Promote ${store.state.apps[source.appId].name} v${source.version}${commit ? ` ${commit.slice(0, 7)}` : ''}`;
  for (const target of store.targetsOf(promotionId)) {
    // The target runs the very same slug or OCI image (Fir promotions copy the image).
    const artifact = { slugId: source.slugId, ...(source.ociImageId ? { ociImageId: source.ociImageId } : {}) };
    store.setTargetRelease(target, createRelease(platform, target.appId, { ...artifact, description }).id);
  }
  promotion.status = 'completed';
  promotion.updatedAt = timestamp();
}

/** Keeps every promotion target's status in step with its release's phase. */
export function followPromotionTargets(platform: Platform): void {
  platform.onRelease(({ action, release }) => {
    if (action !== 'update' || release.status === 'pending') return;
    const target = platform.store.targetOfRelease(release.id);
    if (!target) return;
    target.status = release.status === 'succeeded' ? 'succeeded' : 'failed';
    target.errorMessage =
      release.status === 'succeeded' ? null : (release.phaseError ?? `release v${release.version} ${release.status}`);
  });
}
