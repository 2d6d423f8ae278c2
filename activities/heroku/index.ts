import type Heroku from 'heroku-client';
import type { HerokuPost } from '../heroku-post';
import { herokuCall } from './api';
import { herokuPromotion, AMBIGUOUS_POST_WAIT_MS, type ConfirmDecision } from './promotion';
import { herokuReads } from './reads';
import { releaseWait } from './release-wait';
import { herokuRollback } from './rollback';

export type { ConfirmDecision } from './promotion';

export interface HerokuActivityOptions {
  /** The first wait between two polls of a running promotion or release phase (default 2 s)... */
  pollIntervalMs?: number;
  /** ...growing by half each poll up to this (default 15 x the first: 30 s). */
  pollMaxIntervalMs?: number;
  /** Sends the POSTs that must happen at most once (see activities/api-clients.ts); heroku-client when absent. */
  post?: HerokuPost;
  /** Confirms a decision before its POST; without it a decided promotion is posted unconfirmed. */
  confirm?: ConfirmDecision;
  /** How long a retry waits for the effect of a POST whose answer was lost (default AMBIGUOUS_POST_WAIT_MS). */
  ambiguousPostWaitMs?: number;
}

/**
 * The Heroku adapter, by concern: reading pipelines (reads.ts), promoting (promotion.ts), rolling
 * back (rollback.ts) and waiting for a release phase (release-wait.ts). Every call goes through
 * heroku-client, and every POST through `post` when given.
 */
export function herokuActivities(heroku: Heroku, options: HerokuActivityOptions = {}) {
  const intervalMs = options.pollIntervalMs ?? 2_000;
  const poll = { intervalMs, maxIntervalMs: Math.max(intervalMs, options.pollMaxIntervalMs ?? 15 * intervalMs) };
  const call = herokuCall(heroku, options.post);
  const wait = releaseWait(call, poll);
  const { observePipeline, uncoupledStages } = herokuReads(call);
  const promote = herokuPromotion(call, {
    poll,
    wait,
    ...(options.confirm ? { confirmDecision: options.confirm } : {}),
    ambiguousPostWaitMs: options.ambiguousPostWaitMs ?? AMBIGUOUS_POST_WAIT_MS,
  });
  const rollback = herokuRollback(call);
  /** Waits until a release someone else made (a merge, a manual promote) leaves `pending`. */
  const awaitRelease = (request: { app: string; releaseId: string }) => wait(request.app, request.releaseId, null);
  return { observePipeline, promote, rollback, awaitRelease, uncoupledStages };
}
