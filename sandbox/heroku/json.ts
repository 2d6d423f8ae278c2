import { eligibleForRollback } from './releases';
import type {
  AppRecord,
  CouplingRecord,
  GenerationName,
  OciImageRecord,
  PipelineRecord,
  PromotionRecord,
  PromotionTargetRecord,
  ReleaseRecord,
  SlugRecord,
  Store,
  WebhookDeliveryRecord,
  WebhookEventRecord,
  WebhookRecord,
} from '../store';

/**
 * The Platform API's JSON for each record, with every property the published schema lists for it
 * (its `strictProperties` objects complete), so clients see the shapes Heroku sends.
 */

const STACK = { id: '3f3b1f1e-4d2c-4f7e-9a51-6c0d6c7e2a24', name: 'heroku-24' } as const;
const REGION = { id: '59accabd-516d-4f0e-83e6-6e3757701145', name: 'us' } as const;
const CNB_STACK = { id: 'ba46bf09-7bd1-42fd-90df-a1a9a93eb4a2', name: 'cnb' } as const;

/** Heroku's two generations, with what each lacks (answered by GET /generations/{name} with the 3.sdk variant). */
export const GENERATIONS: Record<
  GenerationName,
  { id: string; name: GenerationName; createdAt: string; unsupportedFeatures: string[] }
> = {
  cedar: {
    id: '0f1c4d6e-8a3b-4c2d-9e5f-7a6b8c9d0e1f',
    name: 'cedar',
    createdAt: '2014-05-01T00:00:00Z',
    unsupportedFeatures: [],
  },
  // Fir (devcenter "Heroku Generations"): Private Spaces replace dynos in a rolling way instead of
  // preboot, telemetry drains replace log drains, no autoscaling, no Docker (container registry) apps.
  fir: {
    id: '3bd1a0c8-7a51-4f0b-9f4e-2f5a8d4c6e10',
    name: 'fir',
    createdAt: '2024-12-01T12:00:00Z',
    unsupportedFeatures: ['preboot', 'log_drains', 'autoscaling', 'container_registry'],
  },
};

const generationRef = (name: GenerationName = 'cedar') => ({ id: GENERATIONS[name].id, name });

export type Json = Record<string, unknown>;

export function appJson(store: Store, app: AppRecord): Json {
  const latest = store.latestRelease(app.id);
  const current = store.currentRelease(app.id);
  const slug = current?.slugId ? store.state.slugs[current.slugId] : undefined;
  const fir = app.generation === 'fir';
  return {
    acm: false,
    archived_at: null,
    buildpack_provided_description: 'Node.js',
    build_stack: fir ? CNB_STACK : STACK,
    created_at: app.createdAt,
    generation: generationRef(app.generation),
    git_url: `https://git.heroku.com/${app.name}.git`,
    id: app.id,
    internal_routing: null,
    maintenance: false,
    name: app.name,
    owner: { email: store.state.account.email, id: store.state.account.id },
    organization: app.team ?? null,
    team: app.team ?? null,
    region: REGION,
    released_at: latest?.createdAt ?? null,
    repo_size: null,
    slug_size: slug?.size ?? null,
    space: null,
    stack: fir ? CNB_STACK : STACK,
    updated_at: app.updatedAt,
    web_url: `https://${app.name}-${app.webSuffix}.herokuapp.com/`,
  };
}

export function pipelineJson(store: Store, pipeline: PipelineRecord): Json {
  return {
    created_at: pipeline.createdAt,
    id: pipeline.id,
    name: pipeline.name,
    owner: { id: store.state.account.id, type: 'user' },
    updated_at: pipeline.updatedAt,
    generation: generationRef(pipeline.generation),
  };
}

export function couplingJson(coupling: CouplingRecord): Json {
  return {
    app: { id: coupling.appId },
    created_at: coupling.createdAt,
    id: coupling.id,
    pipeline: { id: coupling.pipelineId },
    stage: coupling.stage,
    updated_at: coupling.updatedAt,
  };
}

export function releaseJson(store: Store, release: ReleaseRecord): Json {
  const app = store.state.apps[release.appId];
  return {
    addon_plan_names: [],
    artifacts: release.slugId
      ? [{ type: 'slug', id: release.slugId }]
      : release.ociImageId
        ? [{ type: 'oci-image', id: release.ociImageId }]
        : [],
    app: { id: app.id, name: app.name },
    created_at: release.createdAt,
    description: release.description,
    id: release.id,
    updated_at: release.updatedAt,
    slug: release.slugId ? { id: release.slugId } : null,
    status: release.expiredAt ? 'expired' : release.status,
    user: { id: store.state.account.id, email: store.state.account.email },
    version: release.version,
    current: store.currentRelease(release.appId)?.id === release.id,
    output_stream_url: `https://release-output.heroku.com/streams/${release.id}`,
    eligible_for_rollback: eligibleForRollback(store, release),
  };
}

export function slugJson(slug: SlugRecord): Json {
  return {
    blob: { method: 'GET', url: `https://slug-storage.example.com/slugs/${slug.id}.tgz` },
    buildpack_provided_description: 'Node.js',
    checksum: slug.checksum,
    commit: slug.commit,
    commit_description: slug.commitDescription,
    created_at: slug.createdAt,
    id: slug.id,
    process_types: { web: 'npm start' },
    size: slug.size,
    stack: STACK,
    updated_at: slug.updatedAt,
    deleted_at: slug.deletedAt ?? null,
  };
}

/** An OCI image; Heroku's commit fields are strings, empty when the image was pushed without a commit. */
export function ociImageJson(image: OciImageRecord): Json {
  return {
    id: image.id,
    base_image_name: 'heroku/heroku:24-cnb',
    base_top_layer: `sha256:${image.digest.slice(-64).split('').reverse().join('')}`,
    commit: image.commit ?? '',
    commit_description: image.commitDescription ?? '',
    image_repo: `${image.appId}/builds`,
    digest: image.digest,
    stack: CNB_STACK,
    process_types: {
      web: {
        name: 'web',
        display_cmd: 'npm start',
        command: '/cnb/process/web',
        working_dir: '/workspace',
        default: true,
      },
    },
    buildpacks: [{ id: 'heroku/nodejs', version: '3.4.0', homepage: 'https://github.com/heroku/buildpacks-nodejs' }],
    created_at: image.createdAt,
    updated_at: image.updatedAt,
    architecture: 'arm64',
    deleted_at: image.deletedAt ?? null,
  };
}

/** A generation; the `3.sdk` variant also answers what the generation does not support. */
export function generationJson(name: GenerationName, sdk: boolean): Json {
  const generation = GENERATIONS[name];
  return {
    created_at: generation.createdAt,
    id: generation.id,
    name: generation.name,
    updated_at: generation.createdAt,
    ...(sdk ? { unsupported_features: generation.unsupportedFeatures } : {}),
  };
}

export function promotionJson(promotion: PromotionRecord): Json {
  return {
    created_at: promotion.createdAt,
    id: promotion.id,
    pipeline: { id: promotion.pipelineId },
    source: { app: { id: promotion.sourceAppId }, release: { id: promotion.sourceReleaseId } },
    status: promotion.status,
    updated_at: promotion.updatedAt,
  };
}

export function promotionTargetJson(target: PromotionTargetRecord): Json {
  return {
    app: { id: target.appId },
    error_message: target.errorMessage,
    id: target.id,
    pipeline_promotion: { id: target.promotionId },
    release: target.releaseId ? { id: target.releaseId } : null,
    status: target.status,
  };
}

export function webhookDeliveryJson(delivery: WebhookDeliveryRecord, store: Store): Json {
  const event = store.state.webhookEvents[delivery.eventId];
  const webhook = store.state.webhooks[delivery.webhookId];
  const attempt = delivery.lastAttempt;
  return {
    created_at: delivery.createdAt,
    event: { id: delivery.eventId, include: event?.include ?? 'api:release' },
    id: delivery.id,
    num_attempts: delivery.numAttempts,
    next_attempt_at: delivery.nextAttemptAt,
    last_attempt: attempt
      ? {
          id: attempt.id,
          code: attempt.code,
          error_class: attempt.errorClass,
          status: attempt.status,
          created_at: attempt.createdAt,
          updated_at: attempt.updatedAt,
        }
      : null,
    status: delivery.status,
    updated_at: delivery.updatedAt,
    webhook: { id: delivery.webhookId, level: webhook?.level ?? 'notify' },
  };
}

export function webhookEventJson(event: WebhookEventRecord): Json {
  return {
    created_at: event.createdAt,
    id: event.id,
    include: event.include,
    payload: event.payload,
    updated_at: event.updatedAt,
  };
}

export function webhookJson(store: Store, webhook: WebhookRecord): Json {
  const app = store.state.apps[webhook.appId];
  return {
    app: { id: app.id, name: app.name },
    created_at: webhook.createdAt,
    id: webhook.id,
    include: webhook.include,
    level: webhook.level,
    updated_at: webhook.updatedAt,
    url: webhook.url,
  };
}
