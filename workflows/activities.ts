import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NOT_POSTED } from '../domain/promotion';

// The pipeline's ordinary activities: the observation while handing over, the freeze read once at
// start, and rollback (it acts on Heroku), each visible and retried on its own.
export const {
  observePipeline,
  readFreeze: readCurrentFreeze,
  rollback,
} = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 4 },
});

// The reads of a pass (the observation, commits, health facts) are local activities: they run inside
// the workflow task that needs them, so an event reaches its decision in one workflow task instead of
// one per read (each a round trip through the server), and each leaves one marker in history instead
// of an activity's three events and a second workflow task.
export const {
  observePipeline: observeLocally,
  compareCommits,
  incidentFacts,
  alertFacts,
  urlFacts,
  zeroDowntimeFacts,
  ciFacts,
  webhookCheck,
} = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 4 },
});

// Notifications are best effort: a few quick tries, never awaited by a promotion.
export const { notify } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', maximumAttempts: 3 },
});

// Watching a release phase: bounded, the next tick looks again anyway.
export const { awaitRelease } = proxyActivities<Activities>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 },
});

// A promotion is retried until it settles: the activity is idempotent, and giving up half-way
// would leave the target in an unknown state. Before its POST it confirms its decision, so a retry
// that comes late never posts a promotion whose reason to go has gone.
export const { promote } = proxyActivities<Activities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** Why an activity failed, in words for status; whether it will stay that way; whether it stopped before a POST. */
export function explain(error: unknown): { reason: string; permanent: boolean; notPosted: boolean } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure)
    return { reason: cause.message, permanent: cause.nonRetryable === true, notPosted: cause.type === NOT_POSTED };
  return { reason: cause instanceof Error ? cause.message : String(cause), permanent: false, notPosted: false };
}
