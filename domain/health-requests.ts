import type { WebhookBody, WebhookPolicy, ZeroDowntimeMode } from './checks';
import { concernsStage, type AlertPolicy, type IncidentPolicy, type UrlPolicy } from './health';
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

/** The incident policy asked for promotions into `stage`: undefined when none of its sources concerns it. */
function incidentFor(policy: IncidentPolicy | undefined, stage: string): IncidentPolicy | undefined {
  if (!configured(policy)) return undefined;
  const { pagerduty, ...others } = policy!;
  // The whole policy is asked (one read serves every stage); the gate keeps PagerDuty to its stages.
  return configured(others) || (pagerduty && concernsStage(pagerduty, stage)) ? policy : undefined;
}

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
): HealthRequest[] {
  const requests: HealthRequest[] = [];
  for (const { pair, source } of candidates) {
    const { alerts, urls, zeroDowntime, webhook } = stagePolicy(service, pair.to);
    const request: HealthRequest = { stage: pair.to };
    const incident = incidentFor(service.incident, pair.to);
    if (incident) request.incident = incident;
    if (configured(alerts)) request.alerts = alerts;
    if (urls?.urls.length) request.urls = urls;
    const coupledAsProduction = (observation && stageOf(observation, pair.to)?.coupling) === 'production';
    const mode = zeroDowntime ?? (coupledAsProduction ? 'block' : 'off');
    const generation = observation?.generation;
    if (mode !== 'off') request.zeroDowntime = { app: pair.to, mode, ...(generation ? { generation } : {}) };
    if (service.ci !== false && source.commit) request.ci = { repo: service.repo, commit: source.commit };
    if (webhook)
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
