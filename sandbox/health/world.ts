// The state behind the health stand-ins: incidents, system colours, Librato alerts and probe
// answers, rendered in the shapes the real services answer (see shared/heroku/NOTES.md).

export type SystemStatus = 'green' | 'yellow' | 'red';
export type StatuspageImpact = 'none' | 'minor' | 'major' | 'critical' | 'maintenance';

export interface IncidentInput {
  source: 'heroku-status' | 'statuspage';
  title: string;
  /** Statuspage only; "minor" when not given. */
  impact?: StatuspageImpact;
  /** Statuspage component names. */
  components?: string[];
}

export interface ProbeAnswer {
  status: number;
  delayMs?: number;
  /** Sent as the Location header, for redirects. */
  location?: string;
}

/** What a test or the demo may change while the stand-ins run. */
export interface HealthControls {
  /** Opens an incident on one source; answers its id. */
  openIncident(incident: IncidentInput): string;
  resolveIncident(id: string): void;
  setSystem(system: string, status: SystemStatus): void;
  fireLibrato(alertId: string | number): void;
  clearLibrato(alertId: string | number): void;
  setProbe(name: string, answer: ProbeAnswer): void;
}

interface Incident extends Required<IncidentInput> {
  id: string;
  createdAt: string;
}

const COMPONENT_STATUS: Record<StatuspageImpact, string> = {
  none: 'operational',
  minor: 'degraded_performance',
  major: 'partial_outage',
  critical: 'major_outage',
  maintenance: 'under_maintenance',
};

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
const epochSeconds = () => Math.floor(Date.now() / 1000);
// Librato's ids are numbers; ids given as digits are answered as numbers too.
const libratoId = (id: string) => (/^\d+$/.test(id) ? Number(id) : id);

export class HealthWorld implements HealthControls {
  private readonly incidents = new Map<string, Incident>();
  private readonly systems = new Map<string, SystemStatus>([
    ['Apps', 'green'],
    ['Data', 'green'],
    ['Tools', 'green'],
  ]);
  private readonly firing = new Map<string, number>();
  private readonly cleared = new Map<string, number>();
  private readonly probes = new Map<string, ProbeAnswer>();
  private nextId = 2400;

  /** `baseUrl` is where the stand-ins listen, so links in payloads lead back to them. */
  constructor(private readonly baseUrl: string) {}

  openIncident({ source, title, impact = 'minor', components = [] }: IncidentInput): string {
    const id =
      source === 'heroku-status' ? String(++this.nextId) : `sp${(++this.nextId).toString(36).padStart(10, '0')}`;
    this.incidents.set(id, { id, source, title, impact, components, createdAt: new Date().toISOString() });
    return id;
  }

  resolveIncident(id: string): void {
    if (!this.incidents.delete(id)) throw new Error(`no open incident ${id}`);
  }

  setSystem(system: string, status: SystemStatus): void {
    this.systems.set(system, status);
  }

  fireLibrato(alertId: string | number): void {
    const id = String(alertId);
    this.cleared.delete(id);
    if (!this.firing.has(id)) this.firing.set(id, epochSeconds());
  }

  clearLibrato(alertId: string | number): void {
    const id = String(alertId);
    if (this.firing.delete(id)) this.cleared.set(id, epochSeconds());
  }

  setProbe(name: string, answer: ProbeAnswer): void {
    this.probes.set(name, answer);
  }

  probe(name: string): ProbeAnswer | undefined {
    return this.probes.get(name);
  }

  private open(source: IncidentInput['source']): Incident[] {
    return [...this.incidents.values()].filter((incident) => incident.source === source);
  }

  /** GET /api/v4/current-status of status.heroku.com. */
  herokuCurrentStatus() {
    return {
      status: [...this.systems].map(([system, status]) => ({ system, status })),
      incidents: this.open('heroku-status').map((incident) => ({
        id: Number(incident.id),
        title: incident.title,
        state: 'issue',
        resolved: false,
        created_at: incident.createdAt,
        updated_at: incident.createdAt,
        full_url: `${this.baseUrl}/heroku-status/incidents/${incident.id}`,
        updates: [
          {
            id: Number(incident.id) * 10,
            update_type: 'issue',
            contents: `We are investigating: ${incident.title}.`,
            status_dev: 'yellow',
            status_prod: 'yellow',
            created_at: incident.createdAt,
            updated_at: incident.createdAt,
          },
        ],
      })),
      scheduled: [],
    };
  }

  /** GET /api/v2/incidents/unresolved.json of an Atlassian Statuspage. */
  statuspageUnresolved() {
    return {
      page: {
        id: 'sandboxpage01',
        name: 'Sandbox',
        url: `${this.baseUrl}/statuspage`,
        time_zone: 'Etc/UTC',
        updated_at: new Date().toISOString(),
      },
      incidents: this.open('statuspage').map((incident) => ({
        id: incident.id,
        name: incident.title,
        status: 'investigating',
        impact: incident.impact,
        created_at: incident.createdAt,
        updated_at: incident.createdAt,
        started_at: incident.createdAt,
        monitoring_at: null,
        resolved_at: null,
        shortlink: `${this.baseUrl}/statuspage/incidents/${incident.id}`,
        page_id: 'sandboxpage01',
        incident_updates: [
          {
            id: `${incident.id}u1`,
            status: 'investigating',
            body: `We are investigating: ${incident.title}.`,
            incident_id: incident.id,
            created_at: incident.createdAt,
          },
        ],
        components: incident.components.map((name) => ({
          id: `cmp-${slug(name)}`,
          name,
          status: COMPONENT_STATUS[incident.impact],
        })),
      })),
    };
  }

  /** GET /v1/alerts/status of Librato. */
  libratoStatus() {
    return {
      firing: [...this.firing].map(([id, at]) => ({ id: libratoId(id), triggered_at: at })),
      cleared: [...this.cleared].map(([id, at]) => ({ id: libratoId(id), cleared_at: at })),
    };
  }
}
