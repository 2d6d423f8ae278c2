import { waveWith, type Service } from './service';

/** How far the hold after a failed verification reaches: the whole pipeline, or the one app it failed on. */
export type FailureHoldScope = 'pipeline' | 'app';

/** What conveyor does once a release failed its verification (bake) in an app. */
export interface FailureResponse {
  /** Roll the app back to the release it ran before (`onFailure: rollback`, the default). */
  rollBack: boolean;
  /** What is held until a person resumes it (the release is rejected everywhere either way). */
  hold: FailureHoldScope;
}

/**
 * What a failed verification in `app` does. The release is always rejected everywhere, so no
 * later wave takes it. An app of a wave of several apps is held alone (rolled back first unless
 * `onFailure: pause`): the rest of its wave and the stages before keep moving, so a fix can still
 * flow. A stage that is a wave of one pauses the whole pipeline, as a chain always has: nothing can
 * pass that stage anyway, and a person looks before anything moves.
 */
export function failureResponse(
  service: Pick<Service, 'stages' | 'waves' | 'onFailure'>,
  app: string,
): FailureResponse {
  return {
    rollBack: service.onFailure !== 'pause',
    hold: waveWith(service, app).length > 1 ? 'app' : 'pipeline',
  };
}
