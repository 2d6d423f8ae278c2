import { Context, ApplicationFailure } from '@temporalio/activity';
import { artifactKind, readArtifact } from '../../domain/artifact';
import {
  NOT_POSTED,
  type ConfirmAnswer,
  type ConfirmRequest,
  type PromotionOutcome,
  type PromotionRequest,
} from '../../domain/promotion';
import { HEROKU_POST_TIMEOUT_MS } from '../heroku-post';
import { newestFirst, type HerokuCall, type HerokuRelease, type PromotionTarget } from './api';
import { alive, pollBackoff, type PollSettings } from './polling';
import type { ReleaseWait } from './release-wait';

/** Asks the workflow that decided a promotion whether its decision still stands (update confirm-promotion). */
export type ConfirmDecision = (
  workflow: { workflowId: string; runId: string },
  request: ConfirmRequest,
) => Promise<ConfirmAnswer>;

/**
 * How long a retry waits for the effect of a POST whose answer was lost before posting again: longer
 * than the POST itself may take, or a slow Heroku that acts on the first POST late gets a second.
 */
export const AMBIGUOUS_POST_WAIT_MS = 2 * HEROKU_POST_TIMEOUT_MS + 30_000;

export interface PromotionSettings {
  poll: PollSettings;
  wait: ReleaseWait;
  /** Confirms a decision before its POST; without it a decided promotion is posted unconfirmed. */
  confirmDecision?: ConfirmDecision;
  ambiguousPostWaitMs: number;
}

/** The promote activity: a pipeline promotion posted at most once per decision, followed until it settles. */
export function herokuPromotion(
  call: HerokuCall,
  { poll, wait, confirmDecision, ambiguousPostWaitMs }: PromotionSettings,
) {
  /**
   * Promotes one release into one target and waits until the target's new release settles.
   * Idempotent under retries: a retry resumes the promotion it already posted (heartbeat details),
   * or adopts a target release that already carries the slug, and only posts when neither exists.
   * Before every POST the decision is confirmed with the workflow; a failure before the POST is
   * typed NOT_POSTED, so the workflow never takes it for a release that failed in the target.
   */
  async function promote(request: PromotionRequest): Promise<PromotionOutcome> {
    const context = Context.current();
    const target = encodeURIComponent(request.targetApp);
    const earlier = context.info.heartbeatDetails as { promotionId?: string; postedAt?: string } | undefined;
    let promotionId = earlier?.promotionId ?? null;

    if (!promotionId) {
      const posted = await beforePost(request, earlier).catch((error: unknown) => {
        const failure = error instanceof ApplicationFailure ? error : null;
        const message = failure?.message ?? (error instanceof Error ? error.message : String(error));
        throw ApplicationFailure.create({
          message,
          type: NOT_POSTED,
          nonRetryable: failure?.nonRetryable ?? false,
          nextRetryDelay: failure?.nextRetryDelay,
          cause: error instanceof Error ? error : undefined,
        });
      });
      if ('outcome' in posted) return posted.outcome;
      if ('adopt' in posted) return wait(request.targetApp, posted.adopt, null);
      context.heartbeat({ postedAt: new Date().toISOString() });
      let promotion: { id: string };
      try {
        promotion = await call<{ id: string }>('POST', '/pipeline-promotions', {
          body: {
            pipeline: { id: request.pipelineId },
            source: { app: { id: request.sourceAppId }, release: { id: request.sourceReleaseId } },
            targets: [{ app: { id: request.targetAppId } }],
          },
        });
      } catch (error) {
        // Refused (4xx: forbidden, a pipeline recreated, a source release expired): Heroku did not act.
        if (error instanceof ApplicationFailure && error.type === 'HerokuRejected') return refused(error.message);
        throw error;
      }
      promotionId = promotion.id;
      context.heartbeat({ promotionId });
    }

    const pause = pollBackoff(poll, () => ({ promotionId }), [request.targetApp, request.targetAppId]);
    for (;;) {
      const targets = await call<PromotionTarget[]>('GET', `/pipeline-promotions/${promotionId}/promotion-targets`);
      const mine = targets.find((t) => t.app.id === request.targetAppId);
      if (!mine)
        throw ApplicationFailure.nonRetryable(
          `promotion ${promotionId} has no target ${request.targetApp}`,
          'PromotionLost',
        );
      if (mine.status === 'failed') {
        return {
          status: 'failed',
          promotionId,
          targetVersion: null,
          error: mine.error_message ?? `promotion into ${request.targetApp} failed`,
        };
      }
      if (mine.status === 'succeeded' && mine.release) return wait(request.targetApp, mine.release.id, promotionId);
      await pause();
    }

    /** A refused POST, told as it is: expired when the source release's artifact is gone (Heroku does not publish the refusal). */
    async function refused(error: string): Promise<PromotionOutcome> {
      const source = await call<HerokuRelease>(
        'GET',
        `/apps/${encodeURIComponent(request.sourceApp)}/releases/${request.sourceReleaseId}`,
      ).catch(() => undefined);
      const base = { status: 'refused' as const, promotionId: null, targetVersion: null };
      if (source?.status !== 'expired') return { ...base, error };
      const what = artifactKind(readArtifact(source));
      return {
        ...base,
        expired: true,
        error: `v${source.version} expired on ${request.sourceApp}: Heroku deleted its ${what}`,
      };
    }

    /**
     * Everything before the POST: adopt an earlier attempt's effect, notice a changed target, confirm.
     * When an earlier attempt may have posted (its heartbeat said so, or the workflow recorded its
     * confirmation, which survives a heartbeat that never reached the server), its effect is awaited
     * while the target stays as it was decided on; then the decision is confirmed afresh.
     */
    async function beforePost(
      request: PromotionRequest,
      earlier: { postedAt?: string } | undefined,
    ): Promise<{ outcome: PromotionOutcome } | { adopt: string } | { post: true }> {
      const newestOfTarget = async (): Promise<HerokuRelease | undefined> =>
        (await call<HerokuRelease[]>('GET', `/apps/${target}/releases`, { range: newestFirst(1) }))[0];
      // The target's newest release carries the slug or image: an earlier attempt's effect (or an identical
      // promotion). A failed one counts when it appeared after the decision: that POST acted, and failed.
      const ours = (release: HerokuRelease | undefined): release is HerokuRelease =>
        !!release &&
        readArtifact(release)?.id === request.artifactId &&
        (release.status !== 'failed' ||
          (request.targetReleaseId !== undefined && release.id !== request.targetReleaseId));
      const moved = (release: HerokuRelease | undefined): boolean =>
        request.targetReleaseId !== undefined && (release?.id ?? null) !== request.targetReleaseId;
      const superseded = (release: HerokuRelease | undefined) => ({
        outcome: {
          status: 'superseded' as const,
          promotionId: null,
          targetVersion: null,
          error: `${request.targetApp} changed (now v${release?.version}) since the promotion was decided`,
        },
      });
      const workflow = context.info.workflowExecution;
      const { decision } = request;
      const ask = confirmDecision;
      // The workflow may take a while to answer (it reads the target's incident and alerts afresh):
      // the attempt is alive meanwhile, and keeps what an earlier attempt told in its heartbeats.
      const confirm =
        decision && ask && workflow
          ? (details = earlier) =>
              alive(details, () => ask(workflow, { to: request.targetApp, id: decision.id, now: Date.now() }))
          : undefined;

      let newest = await newestOfTarget();
      if (ours(newest)) return { adopt: newest.id };
      // The target moved on since the decision (a hotfix, another promotion): posting now could
      // overwrite it. Nothing is posted; the workflow decides again on what it sees next.
      if (moved(newest)) return superseded(newest);
      let answer = confirm ? await confirm() : undefined;
      const postedAt = [earlier?.postedAt, answer?.postedAt]
        .filter((t): t is string => !!t)
        .sort()
        .at(-1);
      if (postedAt) {
        // An earlier attempt posted and never heard back (a lost answer): Heroku may still be
        // creating the target's release, so wait for it a while before posting again.
        const deadline = Date.parse(postedAt) + ambiguousPostWaitMs;
        while (Date.now() < deadline) {
          context.heartbeat({ postedAt });
          await context.sleep(poll.intervalMs);
          newest = await newestOfTarget();
          if (ours(newest)) return { adopt: newest.id };
          if (moved(newest)) return superseded(newest);
        }
        // Nothing came of it: the earlier POST did not act. Whether to post is decided on today's facts.
        if (confirm) answer = await confirm({ postedAt });
      }
      if (answer && !answer.stands)
        return {
          outcome: {
            status: 'withdrawn',
            promotionId: null,
            targetVersion: null,
            error: answer.reason ?? 'the decision no longer stands',
          },
        };
      return { post: true };
    }
  }

  return promote;
}
