import type { PromotionOutcome } from '../../domain/promotion';
import type { HerokuCall, HerokuRelease } from './api';
import { pollBackoff, type PollSettings } from './polling';

/** Waits until an app's release leaves `pending`, and tells how it ended. */
export type ReleaseWait = (app: string, releaseId: string, promotionId: string | null) => Promise<PromotionOutcome>;

/** Polls a release until its release phase ends; a release webhook for the app ends each wait early. */
export function releaseWait(call: HerokuCall, poll: PollSettings): ReleaseWait {
  return async (app, releaseId, promotionId) => {
    const pause = pollBackoff(poll, () => ({ promotionId }), [app]);
    for (;;) {
      const release = await call<HerokuRelease>('GET', `/apps/${encodeURIComponent(app)}/releases/${releaseId}`);
      if (release.status !== 'pending') {
        return release.status === 'succeeded'
          ? { status: 'succeeded', promotionId, targetVersion: release.version }
          : {
              status: 'failed',
              promotionId,
              targetVersion: release.version,
              error: `release v${release.version} ${release.status} on ${app}`,
            };
      }
      await pause();
    }
  };
}
