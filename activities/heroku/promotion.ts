import { Context, ApplicationFailure } from '@temporalio/activity';
import { artifactKind, readArtifact } from '../../domain/artifact';
import {
  NOT_POSTED,
  type ConfirmAnswer,
  type ConfirmRequest,
  type PromotionOutcome,
  type PromotionRequest,
  type TargetOfPromotion,
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

/** One target of a promotion, as the activity follows it. */
type Target = Omit<TargetOfPromotion, 'targetReleaseId' | 'decision'> & {
  /** Absent in older histories: the target's state at the decision was not recorded. */
  targetReleaseId?: string | null;
  decision?: TargetOfPromotion['decision'];
};

/** What happens to one target before the POST: its outcome is known, an earlier effect is adopted, or it is posted. */
type Step = { outcome: PromotionOutcome } | { adopt: string } | { post: true };

/** The promote activity: a pipeline promotion posted at most once per decision, followed until it settles. */
export function herokuPromotion(
  call: HerokuCall,
  { poll, wait, confirmDecision, ambiguousPostWaitMs }: PromotionSettings,
) {
  /**
   * Promotes one release into one target, or into several apps of one wave in one Heroku promotion
   * (`together`), and waits until every target's new release settles. Each target keeps its own
   * decision: confirmed with the workflow right before the POST (all in one answer, so no message
   * lands between two targets), and only the targets whose decision stands go in the POST; none, and
   * nothing is posted. Idempotent under retries: a retry resumes the promotion it already posted
   * (heartbeat details), or adopts a target release that already carries the slug, and only posts
   * when neither exists. A failure before the POST is typed NOT_POSTED, so the workflow never takes
   * it for a release that failed in a target.
   */
  async function promote(request: PromotionRequest): Promise<PromotionOutcome> {
    const context = Context.current();
    const targets: Target[] = [
      {
        targetApp: request.targetApp,
        targetAppId: request.targetAppId,
        ...(request.targetReleaseId !== undefined ? { targetReleaseId: request.targetReleaseId } : {}),
        ...(request.decision ? { decision: request.decision } : {}),
      },
      ...(request.together ?? []),
    ];
    const earlier = context.info.heartbeatDetails as
      { promotionId?: string; postedAt?: string; posted?: string[] } | undefined;
    let promotionId = earlier?.promotionId ?? null;
    // The targets the POST carried (an earlier attempt's heartbeat tells; before waves it carried one).
    let posted = promotionId ? (earlier?.posted ?? [request.targetApp]) : [];
    const outcomes = new Map<string, Promise<PromotionOutcome>>();

    if (!promotionId) {
      const before = await beforePost(targets, earlier, request.postAt).catch((error: unknown) => {
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
      const toPost = targets.filter((t) => 'post' in before.get(t.targetApp)!);
      for (const t of targets) {
        const step = before.get(t.targetApp)!;
        if ('outcome' in step) outcomes.set(t.targetApp, Promise.resolve(step.outcome));
        else if ('adopt' in step) outcomes.set(t.targetApp, wait(t.targetApp, step.adopt, null));
      }
      if (toPost.length) {
        posted = toPost.map((t) => t.targetApp);
        context.heartbeat({ postedAt: new Date().toISOString(), posted });
        try {
          const promotion = await call<{ id: string }>('POST', '/pipeline-promotions', {
            body: {
              pipeline: { id: request.pipelineId },
              source: { app: { id: request.sourceAppId }, release: { id: request.sourceReleaseId } },
              targets: toPost.map((t) => ({ app: { id: t.targetAppId } })),
            },
          });
          promotionId = promotion.id;
          context.heartbeat({ promotionId, posted });
        } catch (error) {
          // Refused (4xx: forbidden, a pipeline recreated, a source release expired): Heroku did not act.
          if (!(error instanceof ApplicationFailure) || error.type !== 'HerokuRejected') throw error;
          const answer = refused(error.message);
          for (const t of toPost) outcomes.set(t.targetApp, answer);
          posted = [];
        }
      }
    } else {
      // Resumed after the POST: a target it did not carry was adopted, superseded or withdrawn; told again.
      for (const t of targets.filter((t) => !posted.includes(t.targetApp))) {
        const newest = await newestOf(t.targetApp);
        outcomes.set(
          t.targetApp,
          ours(t, newest)
            ? wait(t.targetApp, newest.id, null)
            : Promise.resolve(
                moved(t, newest)
                  ? superseded(t, newest)
                  : notPosted(t, 'withdrawn', `not carried by promotion ${promotionId}`),
              ),
        );
      }
    }

    if (promotionId) {
      const id = promotionId;
      const open = new Map(targets.filter((t) => posted.includes(t.targetApp)).map((t) => [t.targetAppId, t]));
      const apps = [...open.values()].flatMap((t) => [t.targetApp, t.targetAppId]);
      const pause = pollBackoff(poll, () => ({ promotionId: id, posted }), apps);
      while (open.size) {
        const found = await call<PromotionTarget[]>('GET', `/pipeline-promotions/${id}/promotion-targets`);
        for (const [appId, t] of open) {
          const mine = found.find((f) => f.app.id === appId);
          if (!mine)
            throw ApplicationFailure.nonRetryable(`promotion ${id} has no target ${t.targetApp}`, 'PromotionLost');
          if (mine.status === 'failed') {
            const error = mine.error_message ?? `promotion into ${t.targetApp} failed`;
            outcomes.set(
              t.targetApp,
              Promise.resolve({ status: 'failed', promotionId: id, targetVersion: null, error }),
            );
            open.delete(appId);
          } else if (mine.status === 'succeeded' && mine.release) {
            outcomes.set(t.targetApp, wait(t.targetApp, mine.release.id, id));
            open.delete(appId);
          }
        }
        if (open.size) await pause();
      }
    }

    const settled = await Promise.all(
      targets.map(async (t) => [t.targetApp, await outcomes.get(t.targetApp)!] as const),
    );
    const [[, first], ...rest] = settled;
    return rest.length ? { ...first, together: Object.fromEntries(rest) } : first;

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

    async function newestOf(app: string): Promise<HerokuRelease | undefined> {
      return (
        await call<HerokuRelease[]>('GET', `/apps/${encodeURIComponent(app)}/releases`, { range: newestFirst(1) })
      )[0];
    }

    // The target's newest release carries the slug or image: an earlier attempt's effect (or an identical
    // promotion). A failed one counts when it appeared after the decision: that POST acted, and failed.
    function ours(t: Target, release: HerokuRelease | undefined): release is HerokuRelease {
      return (
        !!release &&
        readArtifact(release)?.id === request.artifactId &&
        (release.status !== 'failed' || (t.targetReleaseId !== undefined && release.id !== t.targetReleaseId))
      );
    }

    function moved(t: Target, release: HerokuRelease | undefined): boolean {
      return t.targetReleaseId !== undefined && (release?.id ?? null) !== t.targetReleaseId;
    }

    function superseded(t: Target, release: HerokuRelease | undefined): PromotionOutcome {
      return notPosted(
        t,
        'superseded',
        `${t.targetApp} changed (now v${release?.version}) since the promotion was decided`,
      );
    }

    function notPosted(_t: Target, status: 'superseded' | 'withdrawn', error: string): PromotionOutcome {
      return { status, promotionId: null, targetVersion: null, error };
    }

    /**
     * Everything before the POST, per target: adopt an earlier attempt's effect, notice a changed
     * target, confirm. When an earlier attempt may have posted (its heartbeat said so, or the workflow
     * recorded its confirmation, which survives a heartbeat that never reached the server), its effect
     * is awaited while the targets stay as they were decided on; then the decisions are confirmed afresh.
     */
    async function beforePost(
      all: Target[],
      before: { postedAt?: string } | undefined,
      postAt: number | undefined,
    ): Promise<Map<string, Step>> {
      const result = new Map<string, Step>();
      let open: Target[] = [];
      const look = async (targetsToLook: Target[]) => {
        const still: Target[] = [];
        // The targets of a wave are looked at together: one at a time, a wave of eight waits eight reads.
        const newest = await Promise.all(targetsToLook.map((t) => newestOf(t.targetApp)));
        targetsToLook.forEach((t, i) => {
          const release = newest[i];
          if (ours(t, release)) result.set(t.targetApp, { adopt: release.id });
          // The target moved on since the decision (a hotfix, another promotion): posting now could
          // overwrite it. Nothing is posted; the workflow decides again on what it sees next.
          else if (moved(t, release)) result.set(t.targetApp, { outcome: superseded(t, release) });
          else still.push(t);
        });
        return still;
      };
      // Looked at before the confirmation too, on a first attempt as well: a read that fails after the
      // confirmation is taken by the retry for a POST that may have happened, and waits for its effect.
      open = await look(all);
      if (!open.length) return result;
      // Decided ahead of the moment its gates open: confirmed then, so they are judged open. A timer
      // may fire a millisecond early, and a confirmation that early finds the gates still closed.
      while (postAt !== undefined && Date.now() < postAt) await context.sleep(postAt - Date.now());
      const workflow = context.info.workflowExecution;
      const ask = confirmDecision;
      const decided = open.every((t) => t.decision);
      // The workflow may take a while to answer (it reads the targets' incident and alerts afresh):
      // the attempt is alive meanwhile, and keeps what an earlier attempt told in its heartbeats.
      const confirm =
        decided && ask && workflow
          ? async (details: unknown = before) => {
              const [first, ...others] = open;
              const answer = await alive(details, () =>
                ask(workflow, {
                  to: first.targetApp,
                  id: first.decision!.id,
                  now: Date.now(),
                  ...(others.length ? { together: others.map((t) => ({ to: t.targetApp, id: t.decision!.id })) } : {}),
                }),
              );
              // A workflow that does not answer for a target has not confirmed it: it is not posted.
              const unanswered = { stands: false, reason: 'the workflow did not confirm this target' };
              return new Map<string, ConfirmAnswer>([
                [first.targetApp, answer],
                ...others.map((t) => [t.targetApp, answer.together?.[t.targetApp] ?? unanswered] as const),
              ]);
            }
          : undefined;
      let answers = confirm ? await confirm() : undefined;
      const postedAt = [before?.postedAt, ...[...(answers?.values() ?? [])].map((a) => a.postedAt)]
        .filter((t): t is string => !!t)
        .sort()
        .at(-1);
      if (postedAt) {
        // An earlier attempt posted and never heard back (a lost answer): Heroku may still be
        // creating the targets' releases, so wait for them a while before posting again.
        const deadline = Date.parse(postedAt) + ambiguousPostWaitMs;
        while (Date.now() < deadline && open.length) {
          context.heartbeat({ postedAt });
          await context.sleep(poll.intervalMs);
          open = await look(open);
        }
        if (!open.length) return result;
        // Nothing came of it: the earlier POST did not act. Whether to post is decided on today's facts.
        if (confirm) answers = await confirm({ postedAt });
      }
      const standing: Target[] = [];
      for (const t of open) {
        const answer = answers?.get(t.targetApp);
        if (answer && !answer.stands)
          result.set(t.targetApp, {
            outcome: notPosted(t, 'withdrawn', answer.reason ?? 'the decision no longer stands'),
          });
        else standing.push(t);
      }
      // The confirmation may have taken seconds (fresh health reads): a target that moved on meanwhile
      // (a hotfix landed) is not posted over; one look more per target, right before the POST.
      for (const t of confirm ? await look(standing) : standing) result.set(t.targetApp, { post: true });
      return result;
    }
  }

  return promote;
}
