import { setCheck, setStatus, type CheckInput, type StatusInput } from '../github/ci';
import { commitOn, newRepo, resolveRef, type CommitRecord, type RepoRecord } from '../github/commit-graph';
import { featureNamed, FEATURES, provisionApp, scale, setAppFeature } from '../heroku/formation';
import { newId, randomHex, timestamp } from '../ids';
import type { Platform, Timing } from '../heroku/platform';
import { TEAM_APP_PERMISSIONS } from '../heroku/people';
import type { RateLimitChange, RateLimiter, RateLimitSettings } from '../heroku/rate-limit';
import { createRelease, expireRelease, recordLiveRelease } from '../heroku/releases';
import {
  appInput,
  checked,
  checkInput,
  formationInput,
  handDeployInput,
  ScenarioError,
  scenarioFile,
  serviceInput,
  statusInput,
  type ScenarioFile,
  type ServiceInput,
} from './input';
import { buildOciImage, buildSlug, buildTarballSlug } from '../heroku/slugs';
import type { AppRecord, CouplingStage, ReleaseRecord, ReleaseStatus, SandboxState, ServiceRecord } from '../store';

export interface CreatedService {
  pipelineId: string;
  /** In stage order. */
  apps: { name: string; id: string }[];
  /** The initial commit every app runs. */
  commit: string;
}

/**
 * A commit built and released on one app (pending until its release phase ends): into a slug on a
 * Cedar app, into an OCI image on a Fir app (then `slugId` is null).
 */
export interface Deployed {
  sha: string;
  version: number;
  releaseId: string;
  slugId: string | null;
  ociImageId: string | null;
}

/** A release made by hand from a tarball or an image: no commit known, and for an image no slug. */
export interface HandDeployed {
  sha: null;
  version: number;
  releaseId: string;
  slugId: string | null;
  ociImageId: string | null;
}

export interface ScenarioRelease {
  id: string;
  app: string;
  version: number;
  status: ReleaseStatus;
  current: boolean;
  description: string;
  slugId: string | null;
  ociImageId: string | null;
  commit: string | null;
  /** The release phase's error message, once it failed. */
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ScenarioPromotion {
  id: string;
  /** Name of the pipeline (which may have been destroyed since), and its id. */
  pipeline: string;
  pipelineId: string;
  /** Source app name. */
  source: string;
  sourceRelease: { id: string; version: number };
  commit: string | null;
  status: 'pending' | 'completed';
  createdAt: string;
  updatedAt: string;
  targets: {
    id: string;
    app: string;
    status: 'pending' | 'succeeded' | 'failed';
    releaseId: string | null;
    errorMessage: string | null;
  }[];
}

export interface SandboxSnapshot extends SandboxState {
  timing: Timing;
  rateLimit: RateLimitSettings;
}

/**
 * Coupling stages: the first two apps are `staging` and the rest `production`; with only two apps
 * the first is `staging` and the second `production` (a pipeline always ends in production).
 */
export const couplingStage = (index: number, count: number): CouplingStage =>
  index < Math.min(2, count - 1) ? 'staging' : 'production';

/**
 * The scenario API: how a test or the demo makes things happen on "Heroku" and "GitHub" (services,
 * merges, hotfixes, failing release phases, rate limits) and observes what a client did.
 * Services are named by their pipeline name.
 */
export class Scenario {
  constructor(
    private readonly platform: Platform,
    private readonly limiter: RateLimiter,
  ) {}

  /** Names of pipelines destroyed by `recreatePipeline`, by id: their promotions still name them. */
  private readonly destroyedPipelines = new Map<string, string>();

  private get state(): SandboxState {
    return this.platform.store.state;
  }

  /**
   * A pipeline named `name` with the `stages` apps coupled in order, a repository with an initial
   * commit on `branch`, and that commit's slug released (succeeded) on every app.
   */
  async createService(input: ServiceInput): Promise<CreatedService> {
    const spec = checked(serviceInput, input);
    const { store } = this.platform;
    if (store.pipeline(spec.name)) throw new ScenarioError(`pipeline ${spec.name} already exists`);
    const taken = spec.stages.find((name) => store.app(name));
    if (taken) throw new ScenarioError(`app ${taken} already exists`);

    const now = timestamp();
    const fir = spec.generation === 'fir' ? ({ generation: 'fir' } as const) : {};
    const pipeline = { id: newId(), name: spec.name, ...fir, createdAt: now, updatedAt: now };
    store.put('pipelines', pipeline);
    const apps = spec.stages.map((name): AppRecord => ({
      id: newId(),
      name,
      webSuffix: randomHex(6),
      ...fir,
      createdAt: now,
      updatedAt: now,
    }));
    apps.forEach((app, i) => {
      store.put('apps', app);
      const coupling = {
        id: newId(),
        pipelineId: pipeline.id,
        appId: app.id,
        stage: couplingStage(i, apps.length),
        createdAt: now,
        updatedAt: now,
      };
      store.put('couplings', coupling);
      provisionApp(store, app, coupling.stage);
    });

    const repo = this.repoWithBranch(spec.repo, spec.branch);
    const head = repo.commits[repo.branches[spec.branch]];
    const artifact = this.build(apps[0], head);
    for (const app of apps)
      recordLiveRelease(this.platform, app.id, { ...artifact, description: deployDescription(head) });
    this.state.services[spec.name] = {
      name: spec.name,
      pipelineId: pipeline.id,
      stageAppIds: apps.map((a) => a.id),
      repo: spec.repo,
      branch: spec.branch,
    };
    return { pipelineId: pipeline.id, apps: apps.map(({ name, id }) => ({ name, id })), commit: head.sha };
  }

  /**
   * An app in no pipeline (of `generation`, cedar by default), with no release yet: to couple by
   * hand (POST /pipeline-couplings), e.g. to see a coupling across generations refused.
   */
  createApp(name: string, generation: 'cedar' | 'fir' = 'cedar'): { id: string; name: string } {
    const spec = checked(appInput, { name, generation });
    if (this.platform.store.app(spec.name)) throw new ScenarioError(`app ${spec.name} already exists`);
    const now = timestamp();
    const app: AppRecord = {
      id: newId(),
      name: spec.name,
      webSuffix: randomHex(6),
      ...(spec.generation === 'fir' ? { generation: 'fir' as const } : {}),
      createdAt: now,
      updatedAt: now,
    };
    this.platform.store.put('apps', app);
    provisionApp(this.platform.store, app, 'production');
    return { id: app.id, name: app.name };
  }

  /** A person with a Heroku account of their own (signs in at id.heroku.com by this email). */
  addPerson(email: string, name: string | null = null): { id: string; email: string } {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new ScenarioError(`"${email}" is not an email address`);
    const person = this.platform.people.addPerson(email, name);
    return { id: person.id, email: person.email };
  }

  /** An OAuth client registered with its callback URL, as `heroku clients:create` does: its id and secret. */
  registerOAuthClient(name: string, redirectUri: string): { id: string; secret: string } {
    if (!URL.canParse(redirectUri)) throw new ScenarioError(`"${redirectUri}" is not a URL`);
    const client = this.platform.people.registerClient(name, redirectUri);
    return { id: client.id, secret: client.secret };
  }

  /** The app now belongs to a team (created by name when new): its collaborators get permissions. */
  moveAppToTeam(app: string, team: string): void {
    const found = this.platform.store.app(app) ?? raiseScenario(`no app ${app}`);
    const known = Object.values(this.state.apps).find((a) => a.team?.name === team)?.team;
    found.team = known ?? { id: newId(), name: team };
  }

  /**
   * `email` collaborates on `app`: on a personal app with full access (role "collaborator"); on a
   * team app as a member with `permissions` (view, deploy, operate, manage), or as an admin (all).
   */
  addCollaborator(
    app: string,
    email: string,
    options: { permissions?: string[]; role?: 'admin' | 'member' } = {},
  ): void {
    const found = this.platform.store.app(app) ?? raiseScenario(`no app ${app}`);
    const person = this.platform.people.byEmail(email) ?? raiseScenario(`no person ${email} (addPerson first)`);
    const permissions = options.permissions ?? ['view'];
    const unknown = permissions.find((p) => !(p in TEAM_APP_PERMISSIONS));
    if (unknown) throw new ScenarioError(`"${unknown}" is not a team app permission (view, deploy, operate, manage)`);
    const role = found.team ? (options.role ?? 'member') : 'collaborator';
    this.platform.people.collaborate(found.id, person.id, Boolean(found.team), role, permissions);
  }

  /** A merge: a new commit on the service's branch, built and released on its first stage. */
  async merge(service: string, options: { message?: string } = {}): Promise<Deployed> {
    const found = this.service(service);
    const repo = this.repoOf(found);
    const commit = commitOn(
      repo,
      found.branch,
      options.message ?? `Merge pull request #${Object.keys(repo.commits).length}`,
    );
    return this.deploy(found.stageAppIds[0], commit);
  }

  /**
   * A hotfix: a commit on a new branch `hotfix/<n>` whose parent is the commit `app` runs (not the
   * branch head), released directly on `app`.
   */
  async hotfix(service: string, app: string, options: { message?: string } = {}): Promise<Deployed> {
    const found = this.service(service);
    const target = this.stageOf(found, app);
    const running = this.platform.store.currentRelease(target.id);
    const base = running ? this.commitOf(running) : null;
    if (!base) throw new ScenarioError(`${app} runs no commit to hotfix`);
    const repo = this.repoOf(found);
    const n = Object.keys(repo.branches).filter((branch) => branch.startsWith('hotfix/')).length + 1;
    const commit = commitOn(repo, `hotfix/${n}`, options.message ?? `Hotfix ${n}`, base);
    return this.deploy(target.id, commit);
  }

  /**
   * The commit `app` runs, built again into a new slug and released on `app` (pending until its
   * release phase ends): one commit from two builds, as when apps were built one by one before they
   * were coupled into a pipeline.
   */
  async rebuild(service: string, app: string): Promise<Deployed> {
    const found = this.service(service);
    const target = this.stageOf(found, app);
    const running = this.platform.store.currentRelease(target.id);
    const sha = running ? this.commitOf(running) : null;
    if (!sha) throw new ScenarioError(`${app} runs no commit to build again`);
    return this.deploy(target.id, this.commitIn(found.repo, sha));
  }

  /**
   * The service's pipeline destroyed and created again under the same name, its apps coupled again
   * in the same stages (what a person does to start a pipeline over): a new pipeline id; the old one
   * answers 404. Releases on the apps are untouched.
   */
  recreatePipeline(service: string): { pipelineId: string } {
    const found = this.service(service);
    const old = this.state.pipelines[found.pipelineId];
    const couplings = this.platform.store.couplingsOf(old.id);
    const now = timestamp();
    const pipeline = {
      id: newId(),
      name: old.name,
      ...(old.generation ? { generation: old.generation } : {}),
      createdAt: now,
      updatedAt: now,
    };
    const { store } = this.platform;
    store.remove('pipelines', old.id);
    this.destroyedPipelines.set(old.id, old.name);
    store.put('pipelines', pipeline);
    for (const coupling of couplings) {
      store.remove('couplings', coupling.id);
      const again = { ...coupling, id: newId(), pipelineId: pipeline.id, createdAt: now, updatedAt: now };
      store.put('couplings', again);
    }
    found.pipelineId = pipeline.id;
    return { pipelineId: pipeline.id };
  }

  /**
   * A release whose commit nobody can know, made by hand on `app` (a stage of `service`) and pending
   * until its release phase ends: `artifact: 'tarball'` runs a slug built from a tarball with no
   * commit (`POST /apps/{app}/slugs` without `commit`, then `POST /apps/{app}/releases {slug}`);
   * `'image'` runs an OCI image, so the release has no slug at all (`slug` null, one `oci-image`
   * artifact). `commit` in the answer is null; `slugId` is null for an image.
   */
  async handDeploy(
    service: string,
    app: string,
    options: { artifact: 'tarball' | 'image'; description?: string },
  ): Promise<HandDeployed> {
    const spec = checked(handDeployInput, options);
    const target = this.stageOf(this.service(service), app);
    if (spec.artifact === 'tarball' && target.generation === 'fir')
      throw new ScenarioError(`${app} is a Fir app: it runs OCI images, not slugs (use artifact: image)`);
    if (spec.artifact === 'tarball') {
      const slug = buildTarballSlug(this.platform.store, target.id);
      const release = createRelease(this.platform, target.id, {
        slugId: slug.id,
        description: spec.description ?? 'Deploy hand-built slug',
      });
      return { sha: null, version: release.version, releaseId: release.id, slugId: slug.id, ociImageId: null };
    }
    // An image pushed by hand (`POST /apps/{app}/oci-images` without a commit): its commit is "".
    const image = buildOciImage(this.platform.store, target.id, null);
    const release = createRelease(this.platform, target.id, {
      slugId: null,
      ociImageId: image.id,
      description: spec.description ?? 'Deploy image',
    });
    return { sha: null, version: release.version, releaseId: release.id, slugId: null, ociImageId: image.id };
  }

  /** A commit on a feature branch (branched off the service's branch head), released on the first stage. */
  async pushBranch(service: string, branch: string, options: { message?: string } = {}): Promise<Deployed> {
    const found = this.service(service);
    if (branch === found.branch) throw new ScenarioError(`${branch} is the service's branch: use merge`);
    const repo = this.repoOf(found);
    const commit = commitOn(repo, branch, options.message ?? `Work on ${branch}`, repo.branches[found.branch]);
    return this.deploy(found.stageAppIds[0], commit);
  }

  /**
   * Heroku's artifact retention applied to release `version` of `app` (older than 30 days and more
   * than 20 releases old, in life): its slug or image is deleted and the release shows `expired`;
   * it can no longer be promoted by id or rolled back to. An app running it keeps running it.
   */
  expireRelease(app: string, version: number): ScenarioRelease {
    const found = this.app(app);
    const release = this.platform.store.release(found.id, String(version));
    if (!release) throw new ScenarioError(`${app} has no release v${version}`);
    if (release.status === 'pending') throw new ScenarioError(`v${version} of ${app} is still pending`);
    expireRelease(this.platform, release);
    return this.releases(app).find((r) => r.version === version)!;
  }

  /** Makes the release phase of the app's next releases fail with `fail`; `{}` makes them succeed again. */
  setReleasePhase(app: string, phase: { fail?: string }): void {
    const found = this.app(app);
    if (phase.fail) this.state.releasePhases[found.id] = { fail: phase.fail };
    else delete this.state.releasePhases[found.id];
  }

  /** Scales the app's process types, e.g. {web: 2}; null removes a type (as if its slug declared none). */
  setFormation(app: string, quantities: Record<string, number | null>): void {
    scale(this.platform.store, this.app(app), checked(formationInput, quantities));
  }

  /** Turns a Heroku Labs feature of the app on or off, e.g. ('api-eu01', 'preboot', true). */
  setFeature(app: string, feature: string, enabled: boolean): void {
    const found = this.app(app);
    if (!featureNamed(feature))
      throw new ScenarioError(`no feature ${feature} (there are: ${FEATURES.map((f) => f.name).join(', ')})`);
    if (typeof enabled !== 'boolean') throw new ScenarioError('enabled: must be true or false');
    setAppFeature(this.platform.store, found, feature, enabled);
  }

  /** Reports a check run on a commit (a sha, a 7+ prefix or a branch) of `repo` ("owner/name"); the same name again updates it. */
  setCheck(repo: string, commit: string, check: CheckInput): void {
    const spec = checked(checkInput, check);
    setCheck(this.platform.store, repo, this.commitIn(repo, commit).sha, spec);
  }

  /** Posts a commit status on a commit of `repo`; the same context again replaces it. */
  setStatus(repo: string, commit: string, status: StatusInput): void {
    const spec = checked(statusInput, status);
    setStatus(this.platform.store, repo, this.commitIn(repo, commit).sha, spec);
  }

  /** The app's releases, oldest first. */
  releases(app: string): ScenarioRelease[] {
    const { store } = this.platform;
    const found = this.app(app);
    const current = store.currentRelease(found.id);
    return store.releasesOf(found.id).map((release) => ({
      id: release.id,
      app: found.name,
      version: release.version,
      status: release.expiredAt ? 'expired' : release.status,
      current: release.id === current?.id,
      description: release.description,
      slugId: release.slugId,
      ociImageId: release.ociImageId ?? null,
      commit: this.commitOf(release),
      error: release.status === 'failed' ? release.phaseError : null,
      createdAt: release.createdAt,
      updatedAt: release.updatedAt,
    }));
  }

  /** Every promotion posted so far, oldest first, with its targets. */
  promotions(): ScenarioPromotion[] {
    const { store } = this.platform;
    const appName = (id: string) => this.state.apps[id].name;
    return Object.values(this.state.promotions).map((promotion) => {
      const source = this.state.releases[promotion.sourceReleaseId];
      return {
        id: promotion.id,
        pipeline:
          this.state.pipelines[promotion.pipelineId]?.name ??
          this.destroyedPipelines.get(promotion.pipelineId) ??
          '(destroyed pipeline)',
        pipelineId: promotion.pipelineId,
        source: appName(promotion.sourceAppId),
        sourceRelease: { id: source.id, version: source.version },
        commit: this.commitOf(source),
        status: promotion.status,
        createdAt: promotion.createdAt,
        updatedAt: promotion.updatedAt,
        targets: store.targetsOf(promotion.id).map((t) => ({
          id: t.id,
          app: appName(t.appId),
          status: t.status,
          releaseId: t.releaseId,
          errorMessage: t.errorMessage,
        })),
      };
    });
  }

  /** Changes the Heroku rate limit: the bucket's size, its refill rate, and/or the tokens left now. */
  setRateLimit(change: RateLimitChange): void {
    try {
      this.limiter.change(change);
    } catch (error) {
      throw new ScenarioError((error as Error).message);
    }
  }

  /** A deep copy of the whole state, with the timing and rate-limit settings. */
  snapshot(): SandboxSnapshot {
    return { ...structuredClone(this.state), timing: { ...this.platform.timing }, rateLimit: this.limiter.current() };
  }

  /** Creates every service of a scenario file, in order. */
  async load(file: ScenarioFile): Promise<CreatedService[]> {
    const { services } = checked(scenarioFile, file);
    const created: CreatedService[] = [];
    for (const service of services) created.push(await this.createService(service));
    return created;
  }

  private deploy(appId: string, commit: CommitRecord): Deployed {
    const artifact = this.build(this.state.apps[appId], commit);
    const release = createRelease(this.platform, appId, { ...artifact, description: deployDescription(commit) });
    return {
      sha: commit.sha,
      version: release.version,
      releaseId: release.id,
      slugId: artifact.slugId,
      ociImageId: artifact.ociImageId ?? null,
    };
  }

  /** A build of `commit` on `app`: a slug on Cedar, an OCI image (Cloud Native Buildpacks) on Fir. */
  private build(app: AppRecord, commit: CommitRecord): { slugId: string | null; ociImageId?: string } {
    if (app.generation === 'fir')
      return { slugId: null, ociImageId: buildOciImage(this.platform.store, app.id, commit).id };
    return { slugId: buildSlug(this.platform.store, app.id, commit).id };
  }

  private repoWithBranch(fullName: string, branch: string): RepoRecord {
    const existing = this.platform.store.repo(fullName);
    if (!existing) return (this.state.repos[fullName.toLowerCase()] = newRepo(fullName, branch, 'Initial commit'));
    existing.branches[branch] ??= existing.branches[existing.defaultBranch];
    return existing;
  }

  private commitOf(release: ReleaseRecord): string | null {
    if (release.slugId) return this.state.slugs[release.slugId]?.commit ?? null;
    return this.state.ociImages?.[release.ociImageId ?? '']?.commit ?? null;
  }

  private service(name: string): ServiceRecord {
    return this.platform.store.service(name) ?? raiseScenario(`no service ${name}: createService it first`);
  }

  private app(name: string): AppRecord {
    return this.platform.store.app(name) ?? raiseScenario(`no app ${name}`);
  }

  private stageOf(service: ServiceRecord, app: string): AppRecord {
    const found = this.app(app);
    if (!service.stageAppIds.includes(found.id)) throw new ScenarioError(`${app} is not a stage of ${service.name}`);
    return found;
  }

  private commitIn(repo: string, ref: string): CommitRecord {
    const found = this.platform.store.repo(repo) ?? raiseScenario(`no repository ${repo}: createService it first`);
    return resolveRef(found, ref) ?? raiseScenario(`no commit ${ref} in ${repo}`);
  }

  private repoOf(service: ServiceRecord): RepoRecord {
    return this.platform.store.repo(service.repo) ?? raiseScenario(`no repository ${service.repo}`);
  }
}

/** Heroku's description of a build's release: "Deploy" and the commit's first 8 hex digits. */
const deployDescription = (commit: CommitRecord) => `Deploy ${commit.sha.slice(0, 8)}`;

function raiseScenario(message: string): never {
  throw new ScenarioError(message);
}
