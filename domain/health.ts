// Health of the world around a promotion: what to ask (policies) and what was answered (facts).
// Plain data only: both travel through workflow history, so nothing here is a secret.

/** Statuspage's impact levels, least first; an incident counts when it reaches the policy's minimum. */
export const impacts = ['none', 'minor', 'major', 'critical'] as const;
export type Impact = (typeof impacts)[number];

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
  };
}

/** URLs of the target stage that must answer 200 before it receives a release. */
export interface UrlPolicy {
  urls: string[];
  timeoutMs: number;
  followRedirects: boolean;
}

export type IncidentSource = 'heroku-status' | 'statuspage';
export type AlertSource = 'librato' | 'alertmanager';

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
  /** The source could not be read; the gate then fails closed. */
  error?: string;
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
  /** The source could not be read; the gate then fails closed. */
  error?: string;
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
  librato: 'Librato',
  alertmanager: 'Alertmanager',
};

/**
 * Whether an incident of `impact` reaches `minimum`. Statuspage's "maintenance" counts as none;
 * an impact it never documented counts as critical, so a surprise holds rather than slips through.
 */
export function reachesImpact(impact: string, minimum: Impact): boolean {
  const level = impact === 'maintenance' ? 0 : impacts.indexOf(impact as Impact);
  return (level === -1 ? impacts.length : level) >= impacts.indexOf(minimum);
}
