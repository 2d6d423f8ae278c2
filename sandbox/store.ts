import type { RepoRecord } from './github/commit-graph';
import { isUuid, newId } from './ids';

/**
 * The sandbox's whole state, as plain JSON-able data: records keyed by id, linked by id, with
 * timestamps as Heroku writes them. Everything the APIs answer is derived from it on each request,
 * so `snapshot()` is a deep copy; the Store's indexes are derived from it too, kept in step by
 * `put` and `remove`, and rebuilt from any state a Store is made from.
 */

export type ReleaseStatus = 'pending' | 'succeeded' | 'failed' | 'expired';
export type CouplingStage = 'test' | 'review' | 'development' | 'staging' | 'production';
export type PromotionStatus = 'pending' | 'completed';
export type PromotionTargetStatus = 'pending' | 'succeeded' | 'failed';

export interface Account {
  id: string;
  email: string;
}

/** Heroku's platform generations: Cedar (slugs, Common Runtime) and Fir (OCI images, Fir Private Spaces). */
export type GenerationName = 'cedar' | 'fir';

export interface PipelineRecord {
  id: string;
  name: string;
  /** Every app coupled to the pipeline is of this generation; absent: cedar. */
  generation?: GenerationName;
  createdAt: string;
  updatedAt: string;
}

export interface AppRecord {
  id: string;
  name: string;
  /** Heroku's random web host suffix: https://<name>-<suffix>.herokuapp.com/ */
  webSuffix: string;
  /** Absent: cedar. */
  generation?: GenerationName;
  /** A team app's team; absent: a personal app of the sandbox's account. */
  team?: { id: string; name: string };
  createdAt: string;
  updatedAt: string;
}

export interface CouplingRecord {
  id: string;
  pipelineId: string;
  appId: string;
  stage: CouplingStage;
  createdAt: string;
  updatedAt: string;
}

export interface SlugRecord {
  id: string;
  /** The app the slug was built on; promotions run the same slug on other apps. */
  appId: string;
  commit: string | null;
  commitDescription: string | null;
  checksum: string;
  size: number;
  createdAt: string;
  updatedAt: string;
  /** When Heroku's retention destroyed it (its releases are then expired). */
  deletedAt?: string;
}

/** An OCI image built by Cloud Native Buildpacks (Fir); releases run it instead of a slug. Immutable but for deletion. */
export interface OciImageRecord {
  id: string;
  /** The app the image was built on; promotions run the same image on other apps. */
  appId: string;
  /** The git sha it was built from; null for an image pushed by hand. */
  commit: string | null;
  commitDescription: string | null;
  /** "sha256:<hex>" */
  digest: string;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

export interface ReleaseRecord {
  id: string;
  appId: string;
  version: number;
  slugId: string | null;
  /** The OCI image a release without a slug runs (a hand-made image release); absent for slug releases. */
  ociImageId?: string;
  description: string;
  /**
   * Its life cycle: pending, then succeeded or failed. Heroku's answers show `expired` instead once
   * `expiredAt` is set, but the app still runs it if it ran it (the store keeps the life-cycle status).
   */
  status: ReleaseStatus;
  /** When retention destroyed its artifact: it can no longer be promoted by id or rolled back to. */
  expiredAt?: string;
  /** The message its release phase fails with; null when the phase succeeds. Fixed when created. */
  phaseError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PromotionRecord {
  id: string;
  pipelineId: string;
  sourceAppId: string;
  sourceReleaseId: string;
  status: PromotionStatus;
  createdAt: string;
  updatedAt: string;
}

export interface PromotionTargetRecord {
  id: string;
  promotionId: string;
  appId: string;
  /** The release the promotion created on the target; null until it exists. */
  releaseId: string | null;
  status: PromotionTargetStatus;
  errorMessage: string | null;
}

export interface WebhookRecord {
  id: string;
  appId: string;
  include: string[];
  level: 'notify' | 'sync';
  url: string;
  /** Signs every delivery (Heroku-Webhook-Hmac-SHA256). */
  secret: string;
  /** Sent as the deliveries' Authorization header, when set. */
  authorization: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One event of an app (a release created or changed), as GET /apps/{app}/webhook-events shows it. */
export interface WebhookEventRecord {
  id: string;
  appId: string;
  include: string;
  /** {action, actor, data, previous_data, resource, version}: what every delivery of it carries. */
  payload: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export type DeliveryStatus = 'pending' | 'scheduled' | 'retrying' | 'failed' | 'succeeded';

/** One attempt to deliver an event to a webhook. */
export interface DeliveryAttempt {
  id: string;
  /** The receiver's HTTP status; null when it did not answer. */
  code: number | null;
  errorClass: string | null;
  status: 'scheduled' | 'succeeded' | 'failed';
  createdAt: string;
  updatedAt: string;
}

/** An event's delivery to one webhook, with its attempts (`sync` webhooks retry). */
export interface WebhookDeliveryRecord {
  id: string;
  /** Creation order across the sandbox, for `Range: seq ..` (as Heroku's CLI lists deliveries). */
  seq: number;
  appId: string;
  webhookId: string;
  eventId: string;
  status: DeliveryStatus;
  numAttempts: number;
  nextAttemptAt: string | null;
  lastAttempt: DeliveryAttempt | null;
  createdAt: string;
  updatedAt: string;
}

/** What the next releases of an app do in their release phase (set by the scenario). */
export interface ReleasePhase {
  /** Fail with this message; null to succeed. */
  fail: string | null;
}

/** One process type of an app's formation (created with the app; changed by the scenario). */
export interface FormationRecord {
  id: string;
  appId: string;
  /** Process type, e.g. "web". */
  type: string;
  quantity: number;
  /** Dyno size name, e.g. "Standard-1X". */
  size: string;
  command: string;
  createdAt: string;
  updatedAt: string;
}

/** Whether one Heroku Labs feature (see formation.ts's catalog) is enabled on an app. */
export interface AppFeatureRecord {
  appId: string;
  /** Catalog name, e.g. "preboot". */
  name: string;
  enabled: boolean;
  updatedAt: string;
}

export type CheckRunStatus = 'queued' | 'in_progress' | 'completed';
export type CheckConclusion =
  'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'stale';
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

/** A GitHub check run on a commit; only the newest run of each name is kept (GitHub's `filter=latest`). */
export interface CheckRunRecord {
  /** GitHub's ids are integers. */
  id: number;
  /** "owner/name" in lower case, as `repos` is keyed. */
  repo: string;
  sha: string;
  name: string;
  status: CheckRunStatus;
  /** Set exactly when completed. */
  conclusion: CheckConclusion | null;
  startedAt: string;
  completedAt: string | null;
}

/** A GitHub commit status; only the newest of each context is kept (what the combined status shows). */
export interface CommitStatusRecord {
  id: number;
  repo: string;
  sha: string;
  context: string;
  state: CommitState;
  description: string | null;
  targetUrl: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A scenario's service: a pipeline, its apps in order and the repository they are built from. */
export interface ServiceRecord {
  name: string;
  pipelineId: string;
  /** App ids in stage order. */
  stageAppIds: string[];
  /** "owner/name". */
  repo: string;
  branch: string;
}

export interface SandboxState {
  account: Account;
  pipelines: Record<string, PipelineRecord>;
  apps: Record<string, AppRecord>;
  couplings: Record<string, CouplingRecord>;
  slugs: Record<string, SlugRecord>;
  /** Absent in snapshots taken before Fir. */
  ociImages?: Record<string, OciImageRecord>;
  releases: Record<string, ReleaseRecord>;
  promotions: Record<string, PromotionRecord>;
  promotionTargets: Record<string, PromotionTargetRecord>;
  webhooks: Record<string, WebhookRecord>;
  webhookEvents: Record<string, WebhookEventRecord>;
  webhookDeliveries: Record<string, WebhookDeliveryRecord>;
  /** By app id; an app without an entry succeeds. */
  releasePhases: Record<string, ReleasePhase>;
  /** By service (pipeline) name. */
  services: Record<string, ServiceRecord>;
  formations: Record<string, FormationRecord>;
  /** By "<app id>:<feature name>"; a catalog feature without an entry is disabled. */
  appFeatures: Record<string, AppFeatureRecord>;
  /** By id (as a string). */
  checkRuns: Record<string, CheckRunRecord>;
  commitStatuses: Record<string, CommitStatusRecord>;
  /** By "owner/name" in lower case (GitHub's names are case-insensitive). */
  repos: Record<string, RepoRecord>;
}

export function emptyState(): SandboxState {
  return {
    account: { id: newId(), email: 'sandbox@example.com' },
    pipelines: {},
    apps: {},
    couplings: {},
    slugs: {},
    ociImages: {},
    releases: {},
    promotions: {},
    promotionTargets: {},
    webhooks: {},
    webhookEvents: {},
    webhookDeliveries: {},
    releasePhases: {},
    services: {},
    repos: {},
    formations: {},
    appFeatures: {},
    checkRuns: {},
    commitStatuses: {},
  };
}

const byVersion = (a: ReleaseRecord, b: ReleaseRecord) => a.version - b.version;

/** The kinds of record the store indexes, by their collection in the state. */
export interface IndexedRecords {
  apps: AppRecord;
  pipelines: PipelineRecord;
  couplings: CouplingRecord;
  releases: ReleaseRecord;
  promotionTargets: PromotionTargetRecord;
  webhooks: WebhookRecord;
  webhookEvents: WebhookEventRecord;
  webhookDeliveries: WebhookDeliveryRecord;
  formations: FormationRecord;
}
export type IndexedKind = keyof IndexedRecords;

/**
 * Records grouped by a field that never changes once stored (an app's name, a release's app), each
 * group in the order its records were stored, as `Object.values(collection).filter(...)` lists them:
 * storing an id again keeps its place, removing it and storing it again puts it last.
 */
class Grouping<T extends { id: string }> {
  private readonly groups = new Map<string, Map<string, T>>();

  constructor(private readonly keyOf: (record: T) => string) {}

  /** Stores the record; `replaced`, the one of the same id it replaces (it keeps its place if in the same group). */
  add(record: T, replaced?: T): void {
    const key = this.keyOf(record);
    if (replaced && this.keyOf(replaced) !== key) this.remove(replaced);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = new Map()));
    group.set(record.id, record);
  }

  remove(record: T): void {
    const key = this.keyOf(record);
    const group = this.groups.get(key);
    if (!group?.delete(record.id)) return;
    if (group.size === 0) this.groups.delete(key);
  }

  /** A new array: callers may sort or change it. */
  of(key: string): T[] {
    const group = this.groups.get(key);
    return group ? [...group.values()] : [];
  }

  first(key: string): T | undefined {
    const group = this.groups.get(key);
    return group ? group.values().next().value : undefined;
  }
}

type Indexes = { [K in IndexedKind]: Grouping<IndexedRecords[K]>[] };

/** Every index, by the kind of record it groups. */
function newIndexes(): Indexes {
  return {
    apps: [new Grouping<AppRecord>((a) => a.name)],
    pipelines: [new Grouping<PipelineRecord>((p) => p.name)],
    couplings: [new Grouping<CouplingRecord>((c) => c.pipelineId), new Grouping<CouplingRecord>((c) => c.appId)],
    releases: [new Grouping<ReleaseRecord>((r) => r.appId)],
    promotionTargets: [new Grouping<PromotionTargetRecord>((t) => t.promotionId)],
    webhooks: [new Grouping<WebhookRecord>((w) => w.appId)],
    webhookEvents: [new Grouping<WebhookEventRecord>((e) => e.appId)],
    webhookDeliveries: [new Grouping<WebhookDeliveryRecord>((d) => d.appId)],
    formations: [new Grouping<FormationRecord>((f) => f.appId)],
  };
}

/**
 * Look-ups over the state. Each answers undefined for what does not exist; callers decide what that means.
 * The state stays plain data, but the kinds in IndexedRecords are stored and removed only through
 * `put` and `remove`, which keep indexes in step (a pipeline's couplings or an app's releases are found
 * without reading every record the sandbox holds: at 1,000 pipelines it holds 12,000 apps). A store made
 * from a state indexes it first, so it answers exactly as the store the state came from.
 */
export class Store {
  private readonly indexes = newIndexes();
  /** Promotion targets by the release the promotion made on them (set by `setTargetRelease`). */
  private readonly targetsByRelease = new Map<string, PromotionTargetRecord>();

  constructor(readonly state: SandboxState = emptyState()) {
    for (const kind of Object.keys(this.indexes) as IndexedKind[])
      for (const record of Object.values(this.table(kind))) this.index(kind, record);
    for (const target of Object.values(state.promotionTargets))
      if (target.releaseId !== null && !this.targetsByRelease.has(target.releaseId))
        this.targetsByRelease.set(target.releaseId, target);
  }

  /** Stores a record of an indexed kind (a new one, or one of the same id replaced in its place). */
  put<K extends IndexedKind>(kind: K, record: IndexedRecords[K]): void {
    const table = this.table(kind);
    const old = table[record.id];
    table[record.id] = record;
    this.index(kind, record, old);
  }

  /** Removes the record of that id, if there is one. */
  remove(kind: IndexedKind, id: string): void {
    const table = this.table(kind);
    const old = table[id];
    if (!old) return;
    delete table[id];
    this.unindex(kind, old);
  }

  /** Records the release a promotion made on its target. */
  setTargetRelease(target: PromotionTargetRecord, releaseId: string): void {
    if (target.releaseId !== null && this.targetsByRelease.get(target.releaseId) === target)
      this.targetsByRelease.delete(target.releaseId);
    target.releaseId = releaseId;
    if (!this.targetsByRelease.has(releaseId)) this.targetsByRelease.set(releaseId, target);
  }

  private table<K extends IndexedKind>(kind: K): Record<string, IndexedRecords[K]> {
    return this.state[kind] as Record<string, IndexedRecords[K]>;
  }

  private groupings<K extends IndexedKind>(kind: K): Grouping<IndexedRecords[K]>[] {
    return this.indexes[kind];
  }

  private index<K extends IndexedKind>(kind: K, record: IndexedRecords[K], replaced?: IndexedRecords[K]): void {
    for (const grouping of this.groupings(kind)) grouping.add(record, replaced);
  }

  private unindex<K extends IndexedKind>(kind: K, record: IndexedRecords[K]): void {
    for (const grouping of this.groupings(kind)) grouping.remove(record);
  }

  /** By id or name, as Heroku's `app_id_or_name`. */
  app(idOrName: string): AppRecord | undefined {
    if (isUuid(idOrName)) return this.state.apps[idOrName.toLowerCase()];
    return this.indexes.apps[0].first(idOrName);
  }

  /** By id only, where Heroku's schema takes `app_id` (promotion bodies). */
  appById(id: string): AppRecord | undefined {
    return isUuid(id) ? this.state.apps[id.toLowerCase()] : undefined;
  }

  /** By id or name, as Heroku's `pipeline_id_or_name`. */
  pipeline(idOrName: string): PipelineRecord | undefined {
    if (isUuid(idOrName)) return this.state.pipelines[idOrName.toLowerCase()];
    return this.indexes.pipelines[0].first(idOrName);
  }

  /** By id only, where Heroku's href takes `pipeline_id`. */
  pipelineById(id: string): PipelineRecord | undefined {
    return isUuid(id) ? this.state.pipelines[id.toLowerCase()] : undefined;
  }

  couplingsOf(pipelineId: string): CouplingRecord[] {
    return this.indexes.couplings[0].of(pipelineId);
  }

  couplingOfApp(appId: string): CouplingRecord | undefined {
    return this.indexes.couplings[1].first(appId);
  }

  /** The app's releases, oldest first. */
  releasesOf(appId: string): ReleaseRecord[] {
    return this.indexes.releases[0].of(appId).sort(byVersion);
  }

  /** By id or version number, as Heroku's `release_id_or_version`. */
  release(appId: string, idOrVersion: string): ReleaseRecord | undefined {
    if (/^\d+$/.test(idOrVersion)) return this.releasesOf(appId).find((r) => r.version === Number(idOrVersion));
    const release = isUuid(idOrVersion) ? this.state.releases[idOrVersion.toLowerCase()] : undefined;
    return release?.appId === appId ? release : undefined;
  }

  /** The app's newest release, whatever its status. */
  latestRelease(appId: string): ReleaseRecord | undefined {
    return this.releasesOf(appId).at(-1);
  }

  /** The release the app runs: its newest succeeded one. */
  currentRelease(appId: string): ReleaseRecord | undefined {
    return this.releasesOf(appId)
      .reverse()
      .find((r) => r.status === 'succeeded');
  }

  nextVersion(appId: string): number {
    return (this.latestRelease(appId)?.version ?? 0) + 1;
  }

  /** A slug as seen from an app: the app built it, or one of the app's releases runs it. */
  slugOf(appId: string, slugId: string): SlugRecord | undefined {
    const slug = isUuid(slugId) ? this.state.slugs[slugId.toLowerCase()] : undefined;
    if (!slug) return undefined;
    return slug.appId === appId || this.releasesOf(appId).some((r) => r.slugId === slug.id) ? slug : undefined;
  }

  /** An OCI image as seen from an app, by id or digest: the app built it, or one of its releases runs it. */
  ociImageOf(appId: string, idOrDigest: string): OciImageRecord | undefined {
    const images = this.state.ociImages ?? {};
    const image = isUuid(idOrDigest)
      ? images[idOrDigest.toLowerCase()]
      : Object.values(images).find((i) => i.digest === idOrDigest);
    if (!image) return undefined;
    return image.appId === appId || this.releasesOf(appId).some((r) => r.ociImageId === image.id) ? image : undefined;
  }

  /** The app's generation (cedar unless created on Fir). */
  generationOf(appId: string): GenerationName {
    return this.state.apps[appId]?.generation ?? 'cedar';
  }

  promotion(id: string): PromotionRecord | undefined {
    return isUuid(id) ? this.state.promotions[id.toLowerCase()] : undefined;
  }

  targetsOf(promotionId: string): PromotionTargetRecord[] {
    return this.indexes.promotionTargets[0].of(promotionId);
  }

  /** The promotion target a promotion made this release on, if it did. */
  targetOfRelease(releaseId: string): PromotionTargetRecord | undefined {
    return this.targetsByRelease.get(releaseId);
  }

  webhooksOf(appId: string): WebhookRecord[] {
    return this.indexes.webhooks[0].of(appId);
  }

  /** The app's webhook by id (an id of another app's webhook is not found). */
  webhook(appId: string, id: string): WebhookRecord | undefined {
    const found = isUuid(id) ? this.state.webhooks[id.toLowerCase()] : undefined;
    return found?.appId === appId ? found : undefined;
  }

  deliveriesOf(appId: string): WebhookDeliveryRecord[] {
    return this.indexes.webhookDeliveries[0].of(appId);
  }

  eventsOf(appId: string): WebhookEventRecord[] {
    return this.indexes.webhookEvents[0].of(appId);
  }

  /** The app's process types, in type order. */
  formationsOf(appId: string): FormationRecord[] {
    return this.indexes.formations[0].of(appId).sort((a, b) => a.type.localeCompare(b.type));
  }

  /** By id or process type, as Heroku's `formation_id_or_type`. */
  formation(appId: string, idOrType: string): FormationRecord | undefined {
    return this.formationsOf(appId).find(
      (f) => f.type === idOrType || (isUuid(idOrType) && f.id === idOrType.toLowerCase()),
    );
  }

  appFeature(appId: string, name: string): AppFeatureRecord | undefined {
    return this.state.appFeatures[`${appId}:${name}`];
  }

  /** The commit's check runs, oldest first. */
  checkRunsOf(repo: string, sha: string): CheckRunRecord[] {
    return Object.values(this.state.checkRuns)
      .filter((r) => r.repo === repo.toLowerCase() && r.sha === sha)
      .sort((a, b) => a.id - b.id);
  }

  /** The commit's statuses (the newest of each context), oldest first. */
  statusesOf(repo: string, sha: string): CommitStatusRecord[] {
    return Object.values(this.state.commitStatuses)
      .filter((s) => s.repo === repo.toLowerCase() && s.sha === sha)
      .sort((a, b) => a.id - b.id);
  }

  /** A new GitHub-style integer id, above every one given so far. */
  nextGitHubId(): number {
    const ids = [...Object.values(this.state.checkRuns), ...Object.values(this.state.commitStatuses)].map((r) => r.id);
    return Math.max(4_000_000_000, ...ids) + 1;
  }

  service(name: string): ServiceRecord | undefined {
    return this.state.services[name];
  }

  repo(fullName: string): RepoRecord | undefined {
    return this.state.repos[fullName.toLowerCase()];
  }
}
