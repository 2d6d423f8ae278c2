import type { WebhookBody, WebhookPolicy, ZeroDowntimeMode } from './checks';
import type { AlertPolicy, IncidentPolicy, UrlPolicy } from './health';
import type { Candidate } from './gates';
import { stageOf } from './plan';
import type { Observation } from './observation';
import { stagePolicy, type Service } from './service';

/** What the health checks of one target stage need gathered this cycle. */
export interface HealthRequest {
  stage: string;
  incident?: IncidentPolicy;
  alerts?: AlertPolicy;
  urls?: UrlPolicy;
  /** `generation`: the pipeline's, once observed (what the platform offers differs per generation). */
  zeroDowntime?: { app: string; mode: ZeroDowntimeMode; generation?: string };
  ci?: { repo: string; commit: string };
  webhook?: { policy: WebhookPolicy; body: WebhookBody };
}

const configured = (policy: object | undefined) => !!policy && Object.keys(policy).length > 0;

/**
 * The health facts the candidates' target stages need, one request per stage that has checks. The
 * policy defaults live here: zero-downtime readiness blocks by default on a stage coupled as
 * production, CI status is checked unless the service turns it off, and a custom check is sent the
 * promotion it judges.
 */
export function healthRequests(
  service: Service,
  observation: Observation | null,
  candidates: readonly Candidate[],
  platformChecks = true,
): HealthRequest[] {
  const requests: HealthRequest[] = [];
  for (const { pair, source } of candidates) {
    const { alerts, urls, zeroDowntime, webhook } = stagePolicy(service, pair.to);
    const request: HealthRequest = { stage: pair.to };
    if (configured(service.incident)) request.incident = service.incident;
    if (configured(alerts)) request.alerts = alerts;
    if (urls?.urls.length) request.urls = urls;
    const coupledAsProduction = (observation && stageOf(observation, pair.to)?.coupling) === 'production';
    const mode = zeroDowntime ?? (coupledAsProduction ? 'block' : 'off');
    const generation = observation?.generation;
    if (platformChecks && mode !== 'off')
      request.zeroDowntime = { app: pair.to, mode, ...(generation ? { generation } : {}) };
    if (platformChecks && service.ci !== false && source.commit)
      request.ci = { repo: service.repo, commit: source.commit };
    if (platformChecks && webhook)
      request.webhook = {
        policy: webhook,
        body: {
          service: service.name,
          source: pair.from,
          target: pair.to,
          release: source.version,
          commit: source.commit,
        },
      };
    if (request.incident || request.alerts || request.urls || request.zeroDowntime || request.ci || request.webhook)
      requests.push(request);
  }
  return requests;
}
