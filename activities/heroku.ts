import type Heroku from 'heroku-client';
import { Context, ApplicationFailure } from '@temporalio/activity';
import { artifactKind, commitOfBuild, readArtifact, type Artifact } from '../domain/artifact';
import type { Observation, ReleaseFact, ReleaseStatus, StageFact } from '../domain/observation';
import {
  NOT_POSTED,
  type ConfirmAnswer,
  type ConfirmRequest,
  type PromotionOutcome,
  type PromotionRequest,
} from '../domain/promotion';

export type { PromotionRequest } from '../domain/promotion';
import { classify, jsonAnswer } from './errors';
import { HEROKU_POST_TIMEOUT_MS, type HerokuPost } from './heroku-post';
import { Lru } from './lru';
import { nextArrival } from './release-arrivals';

/** The parts of Heroku's release object conveyor reads. */
interface HerokuRelease {
  id: string;
  version: number;
  status: ReleaseStatus;
  current: boolean;
  slug: { id: string } | null;
  /** The slug (Cedar) or OCI image (Fir) it runs; read with readArtifact. */
  artifacts?: { type: string; id: string }[];
  app: { id: string; name: string };
  description?: string;
  created_at: string;
  updated_at?: string;
}

interface HerokuCoupling {
  id: string;
  app: { id: string };
  stage: string;
}

interface PromotionTarget {
  app: { id: string };
  release: { id: string } | null;
  status: 'pending' | 'succeeded' | 'failed';
  error_message: string | null;
}

/** Asks the workflow that decided a promotion whether its decision still stands (update confirm-promotion). */
export type ConfirmDecision = (
  workflow: { workflowId: string; runId: string },
  request: ConfirmRequest,
) => Promise<ConfirmAnswer>;

export interface HerokuActivityOptions {
  /** The first wait between two polls of a running promotion or release phase (default 2 s)... */
  pollIntervalMs?: number;
  /** ...growing by half each poll up to this (default 15 x the first: 30 s). */
  pollMaxIntervalMs?: number;
  /** Sends the POSTs that must happen at most once (see herokuPoster); heroku-client when absent. */
  post?: HerokuPost;
  /** Confirms a decision before its POST; without it a decided promotion is posted unconfirmed. */
  confirm?: ConfirmDecision;
  /** How long a retry waits for the effect of a POST whose answer was lost (default: see below). */
  ambiguousPostWaitMs?: number;
}

/** How often an activity waiting on something heartbeats: four times per heartbeat timeout. */
const heartbeatEvery = (context: Context): number => Math.max(250, (context.info.heartbeatTimeoutMs ?? 20_000) / 4);

const newestFirst = (max: number) => `version ..; max=${max}, order=desc`;

/**
 * How long a retry waits for the effect of a POST whose answer was lost before posting again: longer
 * than the POST itself may take, or a slow Heroku that acts on the first POST late gets a second.
 */
export const AMBIGUOUS_POST_WAIT_MS = 2 * HEROKU_POST_TIMEOUT_MS + 30_000;

/** How many recent releases of a stage are read to find one that has soaked. */
const RECENT_RELEASES = 20;

/** Heroku adapter: observes pipelines and promotes releases. Every call goes through heroku-client. */
export function herokuActivities(heroku: Heroku, options: HerokuActivityOptions = {}) {
  const pollIntervalMs = options.pollIntervalMs ?? 2_000;
  const pollMaxIntervalMs = Math.max(pollIntervalMs, options.pollMaxIntervalMs ?? 15 * pollIntervalMs);
  /**
   * Waits between polls, 2 s growing to 30 s (by default), heartbeating `details` at least every few
   * seconds; a release webhook for one of `apps` reaching this worker ends the wait at once.
   */
  function backoff(details: () => unknown, apps: readonly string[] = []) {
    let next = pollIntervalMs;
    return async () => {
      const context = Context.current();
      const beat = heartbeatEvery(context);
      const webhook = nextArrival(apps);
      let arrived = false;
      void webhook.arrived.then(() => (arrived = true));
      try {
        for (let left = next; left > 0 && !arrived; left -= beat) {
          context.heartbeat(details());
          await Promise.race([context.sleep(Math.min(beat, left)), webhook.arrived]);
        }
      } finally {
        webhook.stop();
      }
      next = Math.min(pollMaxIntervalMs, Math.ceil(next * 1.5));
    };
  }
  /** Heartbeats `details` every few seconds while `work` runs: waiting for the workflow's answer is being alive. */
  async function alive<T>(details: unknown, work: () => Promise<T>): Promise<T> {
    const context = Context.current();
    const beat = heartbeatEvery(context);
    const beating = setInterval(() => context.heartbeat(details), beat);
    try {
      return await work();
    } finally {
      clearInterval(beating);
    }
  }
  const ambiguousPostWaitMs = options.ambiguousPostWaitMs ?? AMBIGUOUS_POST_WAIT_MS;
  // An app's recent releases, read again only when its newest release changes, or its status does
  // (read while the newest was pending, the list would leave it out for good once it succeeded).
  const recentReleases = new Map<string, { newestId: string; releases: HerokuRelease[] }>();
  // A slug's or an image's commit never changes: asked once per artifact.
  const buildCommits = new Lru<string, string | null>(5_000);
  const pipelines = new Map<string, { id: string; generation?: string }>();
  // Couplings rarely change: asked again after a while, not on every observation.
  const couplingCache = new Map<string, { at: number; couplings: HerokuCoupling[] }>();
  const COUPLINGS_TTL_MS = 5 * 60_000;

  async function couplingsOf(pipelineId: string, fresh = false): Promise<HerokuCoupling[]> {
    const cached = couplingCache.get(pipelineId);
    if (cached && !fresh && Date.now() - cached.at < COUPLINGS_TTL_MS) return cached.couplings;
    const couplings = await call<HerokuCoupling[]>('GET', `/pipelines/${pipelineId}/pipeline-couplings`);
    couplingCache.set(pipelineId, { at: Date.now(), couplings });
    return couplings;
  }

  /** `range` asks for one page only (heroku-client would otherwise follow Next-Range to the end). */
  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    extra: { body?: unknown; range?: string } = {},
  ): Promise<T> {
    try {
      // Never heroku-client's `timeout`: it re-sends the request after rejecting (see NOTES).
      if (method === 'POST' && options.post)
        return jsonAnswer('Heroku', `${method} ${path}`, (await options.post(path, extra.body)) as T);
      const page = extra.range ? { headers: { Range: extra.range }, partial: true } : {};
      return jsonAnswer(
        'Heroku',
        `${method} ${path}`,
        (await heroku.request({ method, path, body: extra.body, ...page })) as T,
      );
    } catch (error) {
      classify('Heroku', `${method} ${path}`, error);
    }
  }

  /** The pipeline's id and generation, read once (again when `fresh`: a pipeline recreated under its name). */
  async function pipelineInfo(pipeline: string, fresh = false): Promise<{ id: string; generation?: string }> {
    const known = pipelines.get(pipeline);
    if (known && !fresh) return known;
    const { id, generation } = await call<{ id: string; generation?: { name?: string } | null }>(
      'GET',
      `/pipelines/${encodeURIComponent(pipeline)}`,
    );
    const info = { id, ...(typeof generation?.name === 'string' ? { generation: generation.name } : {}) };
    pipelines.set(pipeline, info);
    return info;
  }

  const pipelineId = async (pipeline: string, fresh = false): Promise<string> =>
    (await pipelineInfo(pipeline, fresh)).id;

  /** The commit a slug or OCI image was built from (`GET .../oci-images/{id}` answers an array). */
  async function commitOf(app: string, artifact: Artifact | null): Promise<string | null> {
    if (!artifact) return null;
    const known = buildCommits.get(artifact.id);
    if (known !== undefined) return known;
    const kind = artifact.type === 'slug' ? 'slugs' : 'oci-images';
    const answer = await call<unknown>('GET', `/apps/${encodeURIComponent(app)}/${kind}/${artifact.id}`);
    const commit = commitOfBuild(artifact.type, answer);
    buildCommits.set(artifact.id, commit);
    return commit;
  }

  async function releaseFact(app: string, release: HerokuRelease): Promise<ReleaseFact> {
    const artifact = readArtifact(release);
    return {
      id: release.id,
      version: release.version,
      status: release.status,
      artifact,
      commit: await commitOf(app, artifact),
      createdAt: release.created_at,
      // Heroku moves updated_at when the release phase ends: that is when the release started running.
      ...(release.status === 'succeeded' ? { startedAt: release.updated_at ?? release.created_at } : {}),
    };
  }

  async function recentOf(app: string, newest: { id: string; status: string }): Promise<HerokuRelease[]> {
    const newestId = `${newest.id}:${newest.status}`;
    const known = recentReleases.get(app);
    if (known?.newestId === newestId) return known.releases;
    const releases = await call<HerokuRelease[]>('GET', `/apps/${encodeURIComponent(app)}/releases`, {
      range: newestFirst(RECENT_RELEASES),
    });
    recentReleases.set(app, { newestId, releases });
    return releases;
  }

  /** The succeeded releases of a stage whose running release has not soaked yet (see domain/soak.ts). */
  async function soakHistory(fact: StageFact, soakMs: number): Promise<StageFact> {
    const current = fact.current;
    if (!current || !fact.latest || Date.now() - Date.parse(current.startedAt ?? current.createdAt) >= soakMs)
      return fact;
    const releases = (await recentOf(fact.app, fact.latest)).filter((r) => r.status === 'succeeded');
    return { ...fact, recent: await Promise.all(releases.map((r) => releaseFact(fact.app, r))) };
  }

  async function stageFact(app: string, latest: HerokuRelease | undefined, appId: string): Promise<StageFact> {
    if (!latest) return { app, appId, latest: null, current: null };
    const latestFact = await releaseFact(app, latest);
    if (latest.status === 'succeeded') return { app, appId, latest: latestFact, current: latestFact };
    // The newest release is pending or failed: the app still runs an older one.
    const recent = await recentOf(app, latest);
    const running = recent.find((r) => r.current) ?? recent.find((r) => r.status === 'succeeded');
    return { app, appId, latest: latestFact, current: running ? await releaseFact(app, running) : null };
  }

  /** One observation of the whole pipeline: GET latest-releases, plus slug look-ups not cached yet. */
  async function observePipeline(input: { pipeline: string; stages: string[]; soakMs?: number }): Promise<Observation> {
    let info = await pipelineInfo(input.pipeline);
    let id = info.id;
    let latest: HerokuRelease[];
    try {
      latest = await call<HerokuRelease[]>('GET', `/pipelines/${id}/latest-releases`);
    } catch (error) {
      // A pipeline deleted and created again under its name has a new id: look it up once more.
      if (!(error instanceof ApplicationFailure) || error.nonRetryable !== true || !/ 404 /.test(error.message))
        throw error;
      info = await pipelineInfo(input.pipeline, true);
      if (info.id === id) throw error;
      id = info.id;
      latest = await call<HerokuRelease[]>('GET', `/pipelines/${id}/latest-releases`);
    }
    const byApp = new Map(latest.map((r) => [r.app.name, r]));
    const missing = input.stages.filter((app) => !byApp.has(app));
    const appIds = new Map(latest.map((r) => [r.app.name, r.app.id]));
    const couplings = await couplingsOf(id, missing.length > 0);
    if (missing.length > 0) {
      const coupled = new Set(couplings.map((c) => c.app.id));
      for (const app of missing) {
        const info = await call<{ id: string }>('GET', `/apps/${encodeURIComponent(app)}`);
        if (!coupled.has(info.id))
          throw ApplicationFailure.nonRetryable(
            `app ${app} is not coupled to pipeline ${input.pipeline}`,
            'NotCoupled',
          );
        appIds.set(app, info.id);
      }
    }
    const couplingByApp = new Map(couplings.map((c) => [c.app.id, c.stage]));
    const last = input.stages.at(-1);
    const stages = await Promise.all(
      input.stages.map(async (app) => {
        let fact = await stageFact(app, byApp.get(app), appIds.get(app)!);
        // Only a source stage needs its history, and only while its running release soaks.
        if (input.soakMs !== undefined && app !== last) fact = await soakHistory(fact, input.soakMs);
        const coupling = couplingByApp.get(fact.appId);
        return coupling ? { ...fact, coupling } : fact;
      }),
    );
    return {
      pipelineId: id,
      ...(info.generation ? { generation: info.generation } : {}),
      observedAt: new Date().toISOString(),
      stages,
    };
  }

  /** The stages of `pipeline` that are not coupled to it (for `conveyor apply`). */
  async function uncoupledStages(pipeline: string, stages: string[]): Promise<string[]> {
    const id = await pipelineId(pipeline);
    const couplings = await call<HerokuCoupling[]>('GET', `/pipelines/${id}/pipeline-couplings`);
    const coupled = new Set(couplings.map((c) => c.app.id));
    const result: string[] = [];
    for (const app of stages) {
      const info = await call<{ id: string }>('GET', `/apps/${encodeURIComponent(app)}`).catch(() => undefined);
      if (!info || !coupled.has(info.id)) result.push(app);
    }
    return result;
  }

  async function settleRelease(app: string, releaseId: string, promotionId: string | null): Promise<PromotionOutcome> {
    const pause = backoff(() => ({ promotionId }), [app]);
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
  }

  /** Waits until a release someone else made (a merge, a manual promote) leaves `pending`. */
  async function awaitRelease(request: { app: string; releaseId: string }): Promise<PromotionOutcome> {
    return settleRelease(request.app, request.releaseId, null);
  }

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
      if ('adopt' in posted) return settleRelease(request.targetApp, posted.adopt, null);
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

    const pause = backoff(() => ({ promotionId }), [request.targetApp, request.targetAppId]);
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
      if (mine.status === 'succeeded' && mine.release)
        return settleRelease(request.targetApp, mine.release.id, promotionId);
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
      const { confirm: ask } = options;
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
          await context.sleep(pollIntervalMs);
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

  /**
   * Puts a release's slug or image back on an app (Heroku's rollback). Idempotent: when the app's
   * newest release already runs that artifact, the earlier attempt's rollback is answered instead.
   * A refusal is final (never retried); when the release expired, the failure says so.
   */
  async function rollback(request: {
    app: string;
    releaseId: string;
    artifactId: string | null;
    version?: number;
  }): Promise<{ version: number }> {
    const app = encodeURIComponent(request.app);
    const [newest] = await call<HerokuRelease[]>('GET', `/apps/${app}/releases`, { range: newestFirst(1) });
    const done =
      newest &&
      newest.status !== 'failed' &&
      (request.artifactId
        ? readArtifact(newest)?.id === request.artifactId
        : request.version !== undefined && newest.description === `Rollback to v${request.version}`);
    if (done) return { version: newest.version };
    try {
      const created = await call<HerokuRelease>('POST', `/apps/${app}/releases`, {
        body: { release: request.releaseId },
      });
      return { version: created.version };
    } catch (error) {
      if (!(error instanceof ApplicationFailure) || error.type !== 'HerokuRejected') throw error;
      const to = await call<HerokuRelease>('GET', `/apps/${app}/releases/${request.releaseId}`).catch(() => null);
      if (to?.status === 'expired')
        throw ApplicationFailure.nonRetryable(
          `v${to.version} expired on ${request.app}: Heroku deleted its ${artifactKind(readArtifact(to))}, so it cannot be rolled back to`,
          'ReleaseExpired',
        );
      throw error;
    }
  }

  return { observePipeline, promote, rollback, awaitRelease, uncoupledStages };
}
