// Stand-ins for the monitoring providers conveyor reads, each answering as its public API documents:
// Datadog (GET /api/v1/monitor, /api/v1/monitor/{id}), New Relic NerdGraph (POST /graphql, aiIssues),
// PagerDuty (GET /incidents) and Grafana's Alertmanager-compatible API
// (GET /api/alertmanager/grafana/api/v2/alerts). Each checks its keys, and can be told to be down or
// to rate-limit with its provider's 429 and headers.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Provider = 'datadog' | 'newrelic' | 'pagerduty' | 'grafana';

export interface ProviderKeys {
  datadogApiKey: string;
  datadogAppKey: string;
  newRelicKey: string;
  pagerdutyToken: string;
  grafanaToken: string;
}

export interface ProviderFakes {
  /** Base URLs, as a policy names them. */
  datadogUrl: string;
  newRelicUrl: string;
  pagerdutyUrl: string;
  grafanaUrl: string;
  keys: ProviderKeys;
  /** Datadog: a monitor and its overall state ('OK', 'Alert', 'Warn', 'No Data'). */
  setMonitor(monitor: { id: number; name: string; tags: string[]; state: string }): void;
  /** New Relic: an issue, ACTIVATED until closed. */
  openIssue(issue: {
    id: string;
    title: string;
    accountId: number;
    policyId: number;
    entityGuid?: string;
    priority?: string;
  }): void;
  closeIssue(id: string): void;
  /** PagerDuty: an incident on a service, triggered until acknowledged or resolved. */
  openIncident(incident: { id: string; title: string; serviceId: string; urgency: 'low' | 'high' }): void;
  setIncidentStatus(id: string, status: 'triggered' | 'acknowledged' | 'resolved'): void;
  /** Grafana: a firing Grafana-managed alert until resolved. */
  fireGrafana(labels: Record<string, string>): void;
  resolveGrafana(labels: Record<string, string>): void;
  /** The next `times` requests to the provider answer 429 with its documented headers. */
  rateLimit(provider: Provider, times: number): void;
  /** The next `times` requests to the provider answer `status` (a 5xx: down). */
  fail(provider: Provider, status: number, times: number): void;
  /** Requests each provider received, with the headers they carried. */
  requests: { provider: Provider; method: string; path: string; headers: IncomingMessage['headers'] }[];
  stop(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

/** Fields of NerdGraph's AiIssuesIssue the stand-in knows (a subset of New Relic's documented ones). */
const ISSUE_FIELDS = [
  'issueId',
  'title',
  'priority',
  'state',
  'activatedAt',
  'createdAt',
  'updatedAt',
  'accountIds',
  'entityGuids',
];

const fingerprint = (labels: Record<string, string>) =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(labels).sort()))
    .digest('hex')
    .slice(0, 16);

/** Alertmanager's matcher text name="value" (or name=value), equality only. */
const parseFilter = (text: string): [string, string] | undefined => {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*$/.exec(text);
  return m ? [m[1], m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]] : undefined;
};

export async function startProviderFakes(
  options: { port?: number; keys?: Partial<ProviderKeys> } = {},
): Promise<ProviderFakes> {
  const keys: ProviderKeys = {
    datadogApiKey: 'dd-api-sandbox-0123456789abcdef',
    datadogAppKey: 'dd-app-sandbox-0123456789abcdef01234567',
    newRelicKey: 'NRAK-SANDBOX0123456789ABCDEFGHIJ',
    pagerdutyToken: 'pd-sandbox-token-y_NbAkKc66ryYTWUXYEu',
    grafanaToken: 'glsa_sandbox0123456789abcdef_0123abcd',
    ...options.keys,
  };
  const monitors = new Map<number, { id: number; name: string; tags: string[]; state: string; modified: string }>();
  const issues = new Map<
    string,
    {
      id: string;
      title: string;
      accountId: number;
      policyId: number;
      entityGuid?: string;
      priority: string;
      state: string;
      activatedAt: number;
    }
  >();
  const incidents = new Map<
    string,
    { id: string; number: number; title: string; serviceId: string; urgency: string; status: string; createdAt: string }
  >();
  const grafanaAlerts = new Map<string, { labels: Record<string, string>; startsAt: string }>();
  const limited = new Map<Provider, number>();
  const failing = new Map<Provider, { status: number; times: number }>();
  const requests: ProviderFakes['requests'] = [];
  let incidentNumber = 100;

  /** 429s as each provider documents them. */
  function tooMany(provider: Provider, res: ServerResponse): void {
    if (provider === 'datadog')
      return send(
        res,
        429,
        { errors: ['Rate limit of 1000 requests in 3600 seconds reached. Please try again later.'] },
        {
          'x-ratelimit-limit': '1000',
          'x-ratelimit-period': '3600',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': '2',
          'x-ratelimit-name': 'monitor_read',
        },
      );
    if (provider === 'pagerduty')
      return send(
        res,
        429,
        { error: { message: 'Rate Limit Exceeded', code: 2020 } },
        {
          'ratelimit-limit': '960',
          'ratelimit-remaining': '0',
          'ratelimit-reset': '2',
        },
      );
    if (provider === 'newrelic')
      return send(res, 429, { errors: [{ message: 'Too many requests' }] }, { 'retry-after': '2' });
    return send(res, 429, { message: 'Too many requests' }, { 'retry-after': '2' });
  }

  function datadog(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.headers['dd-api-key'] !== keys.datadogApiKey || req.headers['dd-application-key'] !== keys.datadogAppKey)
      return send(res, 403, { errors: ['Forbidden'] });
    const shape = (m: typeof monitors extends Map<number, infer M> ? M : never) => ({
      id: m.id,
      name: m.name,
      type: 'metric alert',
      query: `avg(last_5m):avg:trace.http.request.errors{${m.tags.join(',')}} > 5`,
      message: '',
      tags: m.tags,
      overall_state: m.state,
      overall_state_modified: m.modified,
      options: {},
      multi: false,
      priority: null,
      created: '2026-01-01T00:00:00.000000+00:00',
      modified: m.modified,
    });
    const headers = {
      'x-ratelimit-limit': '1000',
      'x-ratelimit-period': '10',
      'x-ratelimit-remaining': '999',
      'x-ratelimit-reset': '10',
    };
    const one = /^\/api\/v1\/monitor\/(\d+)$/.exec(url.pathname);
    if (one) {
      const m = monitors.get(Number(one[1]));
      return m ? send(res, 200, shape(m), headers) : send(res, 404, { errors: ['Monitor not found'] }, headers);
    }
    if (url.pathname !== '/api/v1/monitor') return send(res, 404, { errors: ['Not found'] });
    const wanted = (url.searchParams.get('monitor_tags') ?? '').split(',').filter(Boolean);
    const page = Number(url.searchParams.get('page') ?? 0);
    const size = Number(url.searchParams.get('page_size') ?? 100);
    const all = [...monitors.values()].filter((m) => wanted.every((tag) => m.tags.includes(tag)));
    send(res, 200, all.slice(page * size, (page + 1) * size).map(shape), headers);
  }

  async function newRelic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return send(res, 405, { errors: [{ message: 'Use POST' }] });
    const body = (await readBody(req)) as { query?: string; variables?: Record<string, unknown> } | undefined;
    if (req.headers['api-key'] !== keys.newRelicKey)
      return send(res, 200, {
        data: { actor: null },
        errors: [{ message: 'Invalid API key', extensions: { errorClass: 'UNAUTHORIZED' } }],
      });
    if (!body?.query?.includes('aiIssues'))
      return send(res, 200, { errors: [{ message: 'unsupported query in the sandbox' }] });
    const { accountId, filter = {} } = (body.variables ?? {}) as {
      accountId?: number;
      filter?: { states?: string[]; policyIds?: number[]; entityGuids?: string[] };
    };
    const found = [...issues.values()].filter(
      (i) =>
        i.accountId === accountId &&
        (!filter.states?.length || filter.states.includes(i.state)) &&
        (!filter.policyIds?.length || filter.policyIds.includes(i.policyId)) &&
        (!filter.entityGuids?.length || (i.entityGuid !== undefined && filter.entityGuids.includes(i.entityGuid))),
    );
    // GraphQL answers the fields asked for, and refuses a field the type does not have.
    const asked = /issues\s*\{\s*([^{}]*)\}/.exec(body.query.slice(body.query.lastIndexOf('nextCursor')))?.[1];
    const fields = (asked ?? '').split(/[\s,]+/).filter(Boolean);
    const unknown = fields.find((f) => !ISSUE_FIELDS.includes(f));
    if (unknown)
      return send(res, 200, {
        errors: [
          {
            message: `Cannot query field "${unknown}" on type "AiIssuesIssue".`,
            extensions: { classification: 'ValidationError' },
          },
        ],
      });
    const render = (i: (typeof found)[number]) => {
      const all: Record<string, unknown> = {
        issueId: i.id,
        title: [i.title],
        priority: i.priority,
        state: i.state,
        activatedAt: i.activatedAt,
        createdAt: i.activatedAt,
        updatedAt: i.activatedAt,
        accountIds: [i.accountId],
        entityGuids: i.entityGuid ? [i.entityGuid] : [],
      };
      return Object.fromEntries(fields.map((f) => [f, all[f] ?? null]));
    };
    send(res, 200, {
      data: { actor: { account: { aiIssues: { issues: { nextCursor: null, issues: found.map(render) } } } } },
    });
  }

  function pagerduty(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.headers.authorization !== `Token token=${keys.pagerdutyToken}`)
      return send(res, 401, { error: { message: 'Unauthorized', code: 2006 } });
    if (url.pathname !== '/incidents') return send(res, 404, { error: { message: 'Not Found', code: 2100 } });
    const statuses = url.searchParams.getAll('statuses[]');
    const services = url.searchParams.getAll('service_ids[]');
    const urgencies = url.searchParams.getAll('urgencies[]');
    const bad = statuses.find((s) => !['triggered', 'acknowledged', 'resolved'].includes(s));
    if (bad)
      return send(res, 400, {
        error: { message: 'Invalid Input Provided', code: 2001, errors: [`Statuses ${bad} is not a valid status`] },
      });
    const limit = Number(url.searchParams.get('limit') ?? 25);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const all = [...incidents.values()].filter(
      (i) =>
        (!statuses.length || statuses.includes(i.status)) &&
        (!services.length || services.includes(i.serviceId)) &&
        (!urgencies.length || urgencies.includes(i.urgency)),
    );
    const page = all.slice(offset, offset + limit);
    send(
      res,
      200,
      {
        incidents: page.map((i) => ({
          id: i.id,
          type: 'incident',
          summary: `[#${i.number}] ${i.title}`,
          self: `${base}/pagerduty/incidents/${i.id}`,
          html_url: `https://acme.pagerduty.com/incidents/${i.id}`,
          incident_number: i.number,
          title: i.title,
          created_at: i.createdAt,
          status: i.status,
          urgency: i.urgency,
          service: { id: i.serviceId, type: 'service_reference', summary: `service ${i.serviceId}` },
        })),
        limit,
        offset,
        more: offset + limit < all.length,
        total: null,
      },
      { 'ratelimit-limit': '960', 'ratelimit-remaining': '959', 'ratelimit-reset': '60' },
    );
  }

  function grafana(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.headers.authorization !== `Bearer ${keys.grafanaToken}`)
      return send(res, 401, { message: 'Unauthorized', messageId: 'auth.unauthorized', statusCode: 401 });
    if (url.pathname !== '/api/alertmanager/grafana/api/v2/alerts') return send(res, 404, { message: 'Not found' });
    const filters = url.searchParams.getAll('filter').map(parseFilter);
    if (filters.some((f) => !f)) return send(res, 400, { message: 'bad matcher format' });
    const now = new Date().toISOString();
    const alerts = [...grafanaAlerts.values()]
      .filter(({ labels }) => filters.every((f) => labels[f![0]] === f![1]))
      .map(({ labels, startsAt }) => ({
        annotations: { summary: `${labels.alertname ?? 'alert'} is firing` },
        endsAt: new Date(Date.now() + 240_000).toISOString(),
        fingerprint: fingerprint(labels),
        receivers: [{ name: 'grafana-default-email' }],
        startsAt,
        status: { inhibitedBy: [], silencedBy: [], state: 'active' },
        updatedAt: now,
        generatorURL: `${base}/grafana/alerting/grafana/${fingerprint(labels)}/view`,
        labels: { __alert_rule_uid__: `rule-${fingerprint(labels).slice(0, 8)}`, grafana_folder: 'api', ...labels },
      }));
    send(res, 200, alerts);
  }

  const routes: Record<Provider, (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>> = {
    datadog,
    newrelic: (req, res) => newRelic(req, res),
    pagerduty,
    grafana,
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const [, first, ...rest] = url.pathname.split('/');
    const provider = first as Provider;
    if (!Object.hasOwn(routes, provider)) return send(res, 404, { error: `no provider ${first}` });
    const inner = new URL(`/${rest.join('/')}${url.search}`, 'http://fake');
    requests.push({
      provider,
      method: req.method ?? 'GET',
      path: `${inner.pathname}${inner.search}`,
      headers: req.headers,
    });
    const limit = limited.get(provider) ?? 0;
    if (limit > 0) {
      limited.set(provider, limit - 1);
      return tooMany(provider, res);
    }
    const failure = failing.get(provider);
    if (failure && failure.times > 0) {
      failure.times--;
      return send(res, failure.status, { errors: ['Service Unavailable'] });
    }
    Promise.resolve(routes[provider](req, res, inner)).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    datadogUrl: `${base}/datadog`,
    newRelicUrl: `${base}/newrelic/graphql`,
    pagerdutyUrl: `${base}/pagerduty`,
    grafanaUrl: `${base}/grafana`,
    keys,
    requests,
    setMonitor: ({ id, name, tags, state }) =>
      monitors.set(id, { id, name, tags, state, modified: new Date().toISOString() }),
    openIssue: ({ id, title, accountId, policyId, entityGuid, priority = 'CRITICAL' }) =>
      issues.set(id, {
        id,
        title,
        accountId,
        policyId,
        ...(entityGuid ? { entityGuid } : {}),
        priority,
        state: 'ACTIVATED',
        activatedAt: Date.now(),
      }),
    closeIssue: (id) => {
      const issue = issues.get(id);
      if (issue) issue.state = 'CLOSED';
    },
    openIncident: ({ id, title, serviceId, urgency }) =>
      incidents.set(id, {
        id,
        number: ++incidentNumber,
        title,
        serviceId,
        urgency,
        status: 'triggered',
        createdAt: new Date().toISOString(),
      }),
    setIncidentStatus: (id, status) => {
      const incident = incidents.get(id);
      if (!incident) throw new Error(`no incident ${id}`);
      incident.status = status;
    },
    fireGrafana: (labels) => grafanaAlerts.set(fingerprint(labels), { labels, startsAt: new Date().toISOString() }),
    resolveGrafana: (labels) => void grafanaAlerts.delete(fingerprint(labels)),
    rateLimit: (provider, times) => void limited.set(provider, times),
    fail: (provider, status, times) => void failing.set(provider, { status, times }),
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
