import { z } from 'zod';
import { badRequest, conflict, invalidParams, notFound } from './errors';
import {
  appJson,
  couplingJson,
  generationJson,
  GENERATIONS,
  ociImageJson,
  pipelineJson,
  promotionJson,
  promotionTargetJson,
  releaseJson,
  slugJson,
  webhookDeliveryJson,
  webhookEventJson,
  webhookJson,
  type Json,
} from './json';
import { appFeatureJson, FEATURES, formationJson } from './formation';
import { jsonBody, raise, Router, type ApiRequest, type Reply, type RoutedCall } from '../http';
import { newId, randomHex, timestamp } from '../ids';
import type { Platform } from './platform';
import { accountJson, collaboratorJson, TEAM_APP_PERMISSIONS } from './people';
import { herokuToken } from '../auth';
import { startPromotion, type PromotionOrder } from './promotions';
import { integerField, InvalidRange, paginate, uuidField, type RangeField } from './range';
import { eligibleForRollback, rollback, runsBuild } from './releases';
import type { AppRecord, PipelineRecord, ReleaseRecord, Store, WebhookRecord } from '../store';

/** GET /account/rate-limits: answered without taking a token from the bucket. */
export const RATE_LIMITS_ROUTE = '/account/rate-limits';

const ok = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 200, body, headers });
const created = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 201, body, headers });

/** The body checked against its shape: 400 when it is not JSON, 422 naming the first bad field otherwise. */
function parseBody<T>(call: ApiRequest, shape: z.ZodType<T>): T {
  const parsed = shape.safeParse(jsonBody(call, badRequest) ?? {});
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  throw invalidParams(`Invalid params: ${issue.path.join('.') || 'body'}: ${issue.message}`);
}

/** One page of a list, as the request's Range header asks. */
function page<T>(
  call: ApiRequest,
  items: T[],
  json: (item: T) => Json,
  fields: RangeField<T>[],
  defaultField: string,
): Reply {
  try {
    const { items: selected, status, headers } = paginate(items, call.headers.range, fields, defaultField);
    return { status, headers, body: selected.map(json) };
  } catch (error) {
    if (error instanceof InvalidRange) throw badRequest(error.message);
    throw error;
  }
}

const idRef = z.object({ id: z.string() });

const promotionRequest = z.object({
  pipeline: idRef,
  source: z.object({ app: idRef, release: idRef.optional() }),
  targets: z.array(z.object({ app: idRef })).min(1),
});

const couplingRequest = z.object({
  app: z.string().min(1),
  pipeline: z.string().min(1),
  stage: z.enum(['test', 'review', 'development', 'staging', 'production']),
});

const rollbackRequest = z.object({ release: z.union([z.string().min(1), z.number().int().positive()]) });

const webhookRequest = z
  .object({
    include: z.array(z.string().min(1)).min(1),
    level: z.enum(['notify', 'sync']),
    url: z.string(),
    secret: z.string().min(1).nullable().optional(),
    authorization: z.string().nullable().optional(),
  })
  .strict();

/** PATCH takes any of the fields POST takes. */
const webhookChange = webhookRequest.partial();

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** A receiver URL the sandbox can deliver to (http or https on loopback), or 422. */
function deliverableUrl(text: string): string {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || !/^https?:$/.test(url.protocol))
    throw invalidParams('Invalid params: url: must be an http or https URL.');
  if (!LOOPBACK.test(url.hostname))
    throw invalidParams(
      'Invalid params: url: the sandbox only delivers to loopback addresses (127.0.0.1, localhost, [::1]).',
    );
  return text;
}

/**
 * A promotion request checked as Heroku does: the pipeline, the source app and every target app exist
 * and are coupled to it; the source release (the app's current one by default) succeeded and has a slug.
 */
function promotionOrder(store: Store, body: z.output<typeof promotionRequest>): PromotionOrder {
  const pipeline = store.pipelineById(body.pipeline.id) ?? raise(notFound('pipeline'));
  const coupled = new Set(store.couplingsOf(pipeline.id).map((c) => c.appId));
  const source = store.appById(body.source.app.id) ?? raise(notFound('app'));
  if (!coupled.has(source.id))
    throw invalidParams(`Invalid params: source.app: ${source.name} is not in pipeline ${pipeline.name}.`);
  const sourceRelease = body.source.release
    ? (store.release(source.id, body.source.release.id) ?? raise(notFound('release')))
    : (store.currentRelease(source.id) ??
      raise(invalidParams(`Invalid params: source.app: ${source.name} has no release to promote.`)));
  // Retention destroyed its slug or image: source.release.id must name an unexpired release.
  if (sourceRelease.expiredAt)
    throw invalidParams(
      `Invalid params: source.release: v${sourceRelease.version} of ${source.name} has expired: its build artifact was deleted, so it cannot be promoted.`,
    );
  if (sourceRelease.status !== 'succeeded')
    throw invalidParams(
      `Invalid params: source.release: v${sourceRelease.version} of ${source.name} is ${sourceRelease.status}, not succeeded.`,
    );
  if (!runsBuild(store, sourceRelease))
    throw invalidParams(`Invalid params: source.release: v${sourceRelease.version} of ${source.name} has no slug.`);
  const targetAppIds = body.targets.map(({ app: { id } }, i) => {
    const target = store.appById(id) ?? raise(notFound('app'));
    if (!coupled.has(target.id))
      throw invalidParams(`Invalid params: targets.${i}.app: ${target.name} is not in pipeline ${pipeline.name}.`);
    if (target.id === source.id)
      throw invalidParams(`Invalid params: targets.${i}.app: ${target.name} is the source app.`);
    return target.id;
  });
  if (new Set(targetAppIds).size !== targetAppIds.length)
    throw invalidParams('Invalid params: targets: an app is named twice.');
  return { pipelineId: pipeline.id, sourceRelease, targetAppIds };
}

/**
 * The Platform API endpoints conveyor uses, over the sandbox's state. `remaining` tells the caller's
 * rate-limit tokens (for GET /account/rate-limits).
 */
export function herokuRoutes(platform: Platform, remaining: (call: RoutedCall) => number): Router {
  const { store } = platform;

  const app = (call: RoutedCall): AppRecord => store.app(call.params.app) ?? raise(notFound('app'));
  const pipelineById = (call: RoutedCall): PipelineRecord =>
    store.pipelineById(call.params.id) ?? raise(notFound('pipeline'));
  const releaseView = (release: ReleaseRecord) => releaseJson(store, release);
  const webhookOf = (call: RoutedCall): WebhookRecord =>
    store.webhook(app(call).id, call.params.id) ?? raise(notFound('webhook'));
  const releaseFields: RangeField<ReleaseRecord>[] = [uuidField(), integerField('version', (r) => r.version)];
  const { people } = platform;
  /** A personal app lists its owner (the sandbox's account) first; a team app only its collaborators. */
  const collaborators = (found: AppRecord): Json[] => {
    const listed = people.collaboratorsOf(found.id).flatMap((c) => {
      const user = people.person(c.userId);
      return user ? [collaboratorJson(c, found, user)] : [];
    });
    if (found.team) return listed;
    const owner = store.state.account;
    const ownership = {
      id: found.id,
      appId: found.id,
      userId: owner.id,
      role: 'owner' as const,
      permissions: [],
      createdAt: found.createdAt,
    };
    return [collaboratorJson(ownership, found, owner), ...listed];
  };

  return (
    new Router()
      .on('GET', RATE_LIMITS_ROUTE, (call) => ok({ remaining: remaining(call) }))
      .on('GET', '/apps/{app}', (call) => ok(appJson(store, app(call))))
      // Whose token asks: a person's from the OAuth flow, else the sandbox's own account.
      .on('GET', '/account', (call) => {
        const owner = people.tokenOwner(herokuToken(call.headers.authorization));
        return ok(accountJson(owner?.person ?? store.state.account));
      })
      .on('GET', '/apps/{app}/collaborators', (call) => ok(collaborators(app(call))))
      .on('GET', '/teams/apps/{app}/collaborators', (call) => {
        const found = app(call);
        if (!found.team) throw notFound('team_app');
        return ok(collaborators(found));
      })
      .on('GET', '/teams/permissions', () =>
        ok(Object.entries(TEAM_APP_PERMISSIONS).map(([name, description]) => ({ name, description }))),
      )
      .on('GET', '/apps/{app}/pipeline-couplings', (call) => {
        const coupling = store.couplingOfApp(app(call).id) ?? raise(notFound('pipeline_coupling'));
        return ok(couplingJson(coupling));
      })
      .on('GET', '/apps/{app}/releases', (call) =>
        page(call, store.releasesOf(app(call).id), releaseView, releaseFields, 'version'),
      )
      .on('GET', '/apps/{app}/releases/{id_or_version}', (call) => {
        const found = store.release(app(call).id, call.params.id_or_version) ?? raise(notFound('release'));
        return ok(releaseView(found));
      })
      .on('POST', '/apps/{app}/releases', (call) => {
        const target = app(call);
        const { release: wanted } = parseBody(call, rollbackRequest);
        const to = store.release(target.id, String(wanted)) ?? raise(notFound('release'));
        if (to.expiredAt)
          throw invalidParams(
            `Release v${to.version} has expired: its build artifact was deleted, so it cannot be rolled back to.`,
          );
        if (!eligibleForRollback(store, to))
          throw invalidParams(
            `Release v${to.version} is not eligible for rollback: only a succeeded release with a slug (or, on Fir, an image) is.`,
          );
        return created(releaseView(rollback(platform, to)));
      })
      .on('GET', '/apps/{app}/slugs/{id}', (call) => {
        const slug = store.slugOf(app(call).id, call.params.id) ?? raise(notFound('slug'));
        return ok(slugJson(slug));
      })
      .on('GET', '/apps/{app}/oci-images/{id}', (call) => {
        // An array of one, as Heroku answers (the heroku CLI reads [0].commit); by id or digest.
        const image = store.ociImageOf(app(call).id, call.params.id) ?? raise(notFound('oci_image'));
        return ok([ociImageJson(image)]);
      })
      .on('GET', '/generations/{name}', (call) => {
        const wanted = call.params.name.toLowerCase();
        const found =
          Object.values(GENERATIONS).find((g) => g.name === wanted || g.id === wanted) ?? raise(notFound('generation'));
        // `Accept: application/vnd.heroku+json; version=3.sdk` answers the variant with unsupported_features.
        const sdk = /version=3\.sdk/.test(String(call.headers.accept ?? ''));
        return ok(generationJson(found.name, sdk));
      })
      .on('GET', '/apps/{app}/formation', (call) =>
        page(
          call,
          store.formationsOf(app(call).id),
          (formation) => formationJson(store, formation),
          [uuidField()],
          'id',
        ),
      )
      .on('GET', '/apps/{app}/formation/{formation}', (call) => {
        // By id or type; an app whose slug declares no such process type has none (404).
        const formation = store.formation(app(call).id, call.params.formation) ?? raise(notFound('formation'));
        return ok(formationJson(store, formation));
      })
      .on('GET', '/apps/{app}/features', (call) => {
        const found = app(call);
        return page(call, FEATURES, (feature) => appFeatureJson(store, found, feature), [uuidField()], 'id');
      })
      .on('GET', '/apps/{app}/features/{feature}', (call) => {
        const found = app(call);
        const wanted = call.params.feature.toLowerCase();
        const feature =
          FEATURES.find((f) => f.name === call.params.feature || f.id === wanted) ?? raise(notFound('feature'));
        return ok(appFeatureJson(store, found, feature));
      })
      .on('POST', '/apps/{app}/webhooks', (call) => {
        const target = app(call);
        const body = parseBody(call, webhookRequest);
        deliverableUrl(body.url);
        const now = timestamp();
        const webhook: WebhookRecord = {
          id: newId(),
          appId: target.id,
          include: body.include,
          level: body.level,
          url: body.url,
          secret: body.secret ?? randomHex(30),
          authorization: body.authorization ?? null,
          createdAt: now,
          updatedAt: now,
        };
        store.put('webhooks', webhook);
        // As Heroku does, a secret the client did not choose is told once, in a header.
        return created(
          webhookJson(store, webhook),
          body.secret ? undefined : { 'Heroku-Webhook-Secret': webhook.secret },
        );
      })
      .on('GET', '/apps/{app}/webhooks', (call) =>
        page(call, store.webhooksOf(app(call).id), (webhook) => webhookJson(store, webhook), [uuidField()], 'id'),
      )
      .on('GET', '/apps/{app}/webhooks/{id}', (call) => ok(webhookJson(store, webhookOf(call))))
      .on('PATCH', '/apps/{app}/webhooks/{id}', (call) => {
        const webhook = webhookOf(call);
        const change = parseBody(call, webhookChange);
        if (change.url !== undefined) webhook.url = deliverableUrl(change.url);
        if (change.include !== undefined) webhook.include = change.include;
        if (change.level !== undefined) webhook.level = change.level;
        if (change.secret) webhook.secret = change.secret;
        if (change.authorization !== undefined) webhook.authorization = change.authorization;
        webhook.updatedAt = timestamp();
        return ok(webhookJson(store, webhook));
      })
      .on('DELETE', '/apps/{app}/webhooks/{id}', (call) => {
        const webhook = webhookOf(call);
        const answer = webhookJson(store, webhook);
        store.remove('webhooks', webhook.id);
        return ok(answer);
      })
      .on('GET', '/apps/{app}/webhook-deliveries', (call) =>
        page(
          call,
          store.deliveriesOf(app(call).id),
          (delivery) => webhookDeliveryJson(delivery, store),
          [uuidField(), integerField('seq', (d) => d.seq)],
          'id',
        ),
      )
      .on('GET', '/apps/{app}/webhook-deliveries/{id}', (call) => {
        const found = app(call);
        const delivery = store.state.webhookDeliveries[call.params.id.toLowerCase()];
        if (delivery?.appId !== found.id) throw notFound('webhook_delivery');
        return ok(webhookDeliveryJson(delivery, store));
      })
      .on('GET', '/apps/{app}/webhook-events', (call) =>
        page(call, store.eventsOf(app(call).id), webhookEventJson, [uuidField()], 'id'),
      )
      .on('GET', '/apps/{app}/webhook-events/{id}', (call) => {
        const found = app(call);
        const event = store.state.webhookEvents[call.params.id.toLowerCase()];
        if (event?.appId !== found.id) throw notFound('webhook_event');
        return ok(webhookEventJson(event));
      })
      .on('GET', '/pipelines/{id_or_name}', (call) => {
        const pipeline = store.pipeline(call.params.id_or_name) ?? raise(notFound('pipeline'));
        return ok(pipelineJson(store, pipeline));
      })
      .on('POST', '/pipeline-couplings', (call) => {
        const body = parseBody(call, couplingRequest);
        const target = store.app(body.app) ?? raise(notFound('app'));
        const pipeline = store.pipelineById(body.pipeline) ?? raise(notFound('pipeline'));
        if (store.couplingOfApp(target.id))
          throw conflict(`${target.name} is already coupled to a pipeline; remove it from that pipeline first.`);
        const [app, line] = [store.generationOf(target.id), pipeline.generation ?? 'cedar'];
        // All apps of a pipeline share one generation, so a promotion never crosses generations.
        if (app !== line)
          throw invalidParams(
            `Invalid params: app: ${target.name} is a ${app} app and pipeline ${pipeline.name} is ${line}: apps in a pipeline must be of the same generation.`,
          );
        const now = timestamp();
        const coupling = {
          id: newId(),
          pipelineId: pipeline.id,
          appId: target.id,
          stage: body.stage,
          createdAt: now,
          updatedAt: now,
        };
        store.put('couplings', coupling);
        return created(couplingJson(coupling));
      })
      .on('GET', '/pipelines/{id}/pipeline-couplings', (call) =>
        page(call, store.couplingsOf(pipelineById(call).id), couplingJson, [uuidField()], 'id'),
      )
      .on('GET', '/pipelines/{id}/latest-releases', (call) => {
        const latest = store.couplingsOf(pipelineById(call).id).flatMap((c) => store.latestRelease(c.appId) ?? []);
        return page(call, latest, releaseView, [uuidField()], 'id');
      })
      .on('POST', '/pipeline-promotions', (call) => {
        const order = promotionOrder(store, parseBody(call, promotionRequest));
        return created(promotionJson(startPromotion(platform, order)));
      })
      .on('GET', '/pipeline-promotions/{id}', (call) => {
        const promotion = store.promotion(call.params.id) ?? raise(notFound('pipeline_promotion'));
        return ok(promotionJson(promotion));
      })
      .on('GET', '/pipeline-promotions/{id}/promotion-targets', (call) => {
        const promotion = store.promotion(call.params.id) ?? raise(notFound('pipeline_promotion'));
        return page(call, store.targetsOf(promotion.id), promotionTargetJson, [uuidField()], 'id');
      })
  );
}
