// Health of the world around a promotion: what to ask (policies) and what was answered (facts).
// Plain data only: both travel through workflow history, so nothing here is a secret.

/** Statuspage's impact levels, least first; an incident counts when it reaches the policy's minimum. */
export const impacts = ['none', 'minor', 'major', 'critical'] as const;
export type Impact = (typeof impacts)[number];

/**
 * What a source that cannot be read does to the gate: 'hold' (the default: fail closed) or 'pass'
 * with a warning. Only a source that did not answer counts (no connection, a timeout, 5xx, 429):
 * a missing or refused key always holds, since passing would switch the check off unnoticed.
 */
export type Unreachable = 'hold' | 'pass';

/** PagerDuty's urgencies, least first. */
export const urgencies = ['low', 'high'] as const;
export type Urgency = (typeof urgencies)[number];

/** Datadog's monitor states that can hold a promotion. */
export const datadogStates = ['Alert', 'Warn', 'No Data'] as const;
export type DatadogState = (typeof datadogStates)[number];

/** Where to look for incidents; an absent source is not asked. */
export interface IncidentPolicy {
  herokuStatus?: {
    url: string;
    /** e.g. ["Apps", "Data"]; empty = any non-green system counts. */
    systems: string[];
  };
  statuspage?: {
    /** Base URL of an Atlassian Statuspage. */
    url: string;
    minImpact: Impact;
    /** Component names or ids; empty = all. */
    components: string[];
  };
  pagerduty?: {
    /** The REST API, https://api.pagerduty.com unless pointed elsewhere. */
    url: string;
    /** Service ids (such as PIJ90N7) whose open incidents hold. */
    serviceIds: string[];
    /** The least urgency that holds. */
    minUrgency: Urgency;
    /** Target stages it holds promotions into; empty = every stage. */
    stages: string[];
    /** The name of the worker's environment variable holding the API key (never the key). */
    tokenEnv: string;
    onUnreachable?: Unreachable;
  };
}

/** Which alerts hold a promotion; an absent source is not asked. */
export interface AlertPolicy {
  librato?: {
    url: string;
    /** Empty = every alert of the account. */
    alertIds: string[];
  };
  alertmanager?: {
    url: string;
    /** label = value; an alert counts only when all match. */
    matchers: Record<string, string>;
    /** The worker's environment variable holding a bearer token, when the Alertmanager needs one. */
    tokenEnv?: string;
    onUnreachable?: Unreachable;
  };
  /** Grafana-managed alerts, read through Grafana's Alertmanager-compatible API. */
  grafana?: {
    /** Grafana's base URL; the alerts are at /api/alertmanager/grafana/api/v2/alerts under it. */
    url: string;
    matchers: Record<string, string>;
    /** The worker's environment variable holding a service account token. */
    tokenEnv: string;
    onUnreachable?: Unreachable;
  };
  /** PromQL expressions evaluated at decision time (and while a release bakes). */
  prometheus?: {
    url: string;
    queries: PromQuery[];
    /** The worker's environment variable holding a bearer token, when the server needs one. */
    tokenEnv?: string;
    onUnreachable?: Unreachable;
  };
  datadog?: {
    /** The API base; https://api.<site> where site comes from the policy, DD_SITE, else datadoghq.com. */
    url?: string;
    site?: string;
    /** Monitor tags, all of which a monitor must carry (monitor_tags); with ids, either matches. */
    tags: string[];
    ids: number[];
    /** Monitor states that hold. */
    states: DatadogState[];
    apiKeyEnv: string;
    appKeyEnv: string;
    onUnreachable?: Unreachable;
  };
  newRelic?: {
    /** The NerdGraph endpoint (https://api.newrelic.com/graphql, or api.eu.newrelic.com for EU accounts). */
    url: string;
    accountId: number;
    /** Alert policy ids; empty = any. */
    policyIds: number[];
    /** Entity guids; empty = any. */
    entityGuids: string[];
    apiKeyEnv: string;
    onUnreachable?: Unreachable;
  };
}

/** One PromQL check: it holds when the expression returns a series (above `above`, when given). */
export interface PromQuery {
  /** How the check is named in reasons; the expression when absent. */
  name?: string;
  /** PromQL; ${stage} stands for the target stage's app name. */
  query: string;
  above?: number;
}

/** URLs of the target stage that must answer 200 before it receives a release. */
export interface UrlPolicy {
  urls: string[];
  timeoutMs: number;
  followRedirects: boolean;
}

export type IncidentSource = 'heroku-status' | 'statuspage' | 'pagerduty';
export type AlertSource = 'librato' | 'alertmanager' | 'grafana' | 'prometheus' | 'datadog' | 'new-relic';

export interface OpenIncident {
  title: string;
  impact?: string;
  url?: string;
  components?: string[];
}

/** What one incident source said, already narrowed to the policy's impact and components. */
export interface IncidentFacts {
  source: IncidentSource;
  incidents: OpenIncident[];
  degraded: { system: string; status: string }[];
  /** The source could not be read; the gate then fails closed, unless it did not answer and `onUnreachable` is 'pass'. */
  error?: string;
  /** The error is the source not answering (no connection, a timeout, 5xx, 429), not a refusal. */
  unreachable?: boolean;
  onUnreachable?: Unreachable;
  /** The stages these facts concern (PagerDuty's `stages`); absent or empty: every stage. */
  stages?: string[];
}

export interface FiringAlert {
  id: string;
  name: string;
  /** ISO 8601. */
  since?: string;
}

/** What one alert source said, already narrowed to the policy's alerts. */
export interface AlertFacts {
  source: AlertSource;
  firing: FiringAlert[];
  /** The source could not be read; the gate then fails closed, unless it did not answer and `onUnreachable` is 'pass'. */
  error?: string;
  /** The error is the source not answering (no connection, a timeout, 5xx, 429), not a refusal. */
  unreachable?: boolean;
  onUnreachable?: Unreachable;
}

/** How one URL answered: its status (null when none came), how long it took, or why it failed. */
export interface UrlFact {
  url: string;
  status: number | null;
  ms: number;
  error?: string;
}

/** Names as people know them, for verdict reasons. */
export const sourceNames: Record<IncidentSource | AlertSource, string> = {
  'heroku-status': 'Heroku status',
  statuspage: 'statuspage',
  pagerduty: 'PagerDuty',
  librato: 'Librato',
  alertmanager: 'Alertmanager',
  grafana: 'Grafana',
  prometheus: 'Prometheus',
  datadog: 'Datadog',
  'new-relic': 'New Relic',
};

/** Whether a failed read lets the gate pass with a warning: only a source that did not answer, and only when told. */
export const passesUnread = (facts: { error?: string; unreachable?: boolean; onUnreachable?: Unreachable }): boolean =>
  facts.error !== undefined && facts.unreachable === true && facts.onUnreachable === 'pass';

/** An answer that says the source did not answer: none came, a 5xx, or a 429 (rate limited). */
export const isUnreachableStatus = (status: number | undefined): boolean =>
  status === undefined || status === 429 || status >= 500;

/** Whether an incident of PagerDuty `urgency` reaches `minimum`; an urgency it never documented counts as high. */
export function reachesUrgency(urgency: string, minimum: Urgency): boolean {
  const level = urgencies.indexOf(urgency as Urgency);
  return (level === -1 ? urgencies.length : level) >= urgencies.indexOf(minimum);
}

/** Whether incident facts concern promotions into `stage`. */
export const concernsStage = (facts: { stages?: string[] }, stage: string): boolean =>
  !facts.stages?.length || facts.stages.includes(stage);

/** A PromQL expression with ${stage} replaced by the target stage's name. */
export const promQueryFor = (query: string, stage: string): string => query.replaceAll('${stage}', stage);

/**
 * Whether an incident of `impact` reaches `minimum`. Statuspage's "maintenance" counts as none;
 * an impact it never documented counts as critical, so a surprise holds rather than slips through.
 */
export function reachesImpact(impact: string, minimum: Impact): boolean {
  const level = impact === 'maintenance' ? 0 : impacts.indexOf(impact as Impact);
  return (level === -1 ? impacts.length : level) >= impacts.indexOf(minimum);
}
