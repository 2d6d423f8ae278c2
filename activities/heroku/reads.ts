import { ApplicationFailure } from '@temporalio/activity';
import { commitOfBuild, readArtifact, type Artifact } from '../../domain/artifact';
import type { Observation, ReleaseFact, StageFact } from '../../domain/observation';
import { Lru } from '../../domain/lru';
import { newestFirst, type HerokuCall, type HerokuCoupling, type HerokuRelease } from './api';

/** How many recent releases of a stage are read to find one that has soaked. */
const RECENT_RELEASES = 20;

/** Couplings rarely change: asked again after a while, not on every observation. */
const COUPLINGS_TTL_MS = 5 * 60_000;

/**
 * What conveyor reads of a pipeline: one observation of all its stages, and which stages are not
 * coupled to it. Holds the caches that keep an observation to one call when nothing changed.
 */
export function herokuReads(call: HerokuCall) {
  // An app's recent releases, read again only when its newest release changes, or its status does
  // (read while the newest was pending, the list would leave it out for good once it succeeded).
  const recentReleases = new Map<string, { newestId: string; releases: HerokuRelease[] }>();
  // A slug's or an image's commit never changes: asked once per artifact.
  const buildCommits = new Lru<string, string | null>(5_000);
  const pipelines = new Map<string, { id: string; generation?: string }>();
  const couplingCache = new Map<string, { at: number; couplings: HerokuCoupling[] }>();

  async function couplingsOf(pipelineId: string, fresh = false): Promise<HerokuCoupling[]> {
    const cached = couplingCache.get(pipelineId);
    if (cached && !fresh && Date.now() - cached.at < COUPLINGS_TTL_MS) return cached.couplings;
    const couplings = await call<HerokuCoupling[]>('GET', `/pipelines/${pipelineId}/pipeline-couplings`);
    couplingCache.set(pipelineId, { at: Date.now(), couplings });
    return couplings;
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
    const { id } = await pipelineInfo(pipeline);
    const couplings = await call<HerokuCoupling[]>('GET', `/pipelines/${id}/pipeline-couplings`);
    const coupled = new Set(couplings.map((c) => c.app.id));
    const result: string[] = [];
    for (const app of stages) {
      const info = await call<{ id: string }>('GET', `/apps/${encodeURIComponent(app)}`).catch(() => undefined);
      if (!info || !coupled.has(info.id)) result.push(app);
    }
    return result;
  }

  return { observePipeline, uncoupledStages };
}
