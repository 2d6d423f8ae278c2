import { z } from 'zod';
import { fetchFailure } from './fetch-failure';
import { joinUrl } from './join-url';
import { HealthHttp } from './health-http';
import { pagerdutySource } from './sources/pagerduty';
import { reachesImpact, type IncidentFacts, type IncidentPolicy, type OpenIncident } from '../domain/health';

export interface HttpSourceOptions {
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** How long one source may take to answer before it counts as unreadable. */
  timeoutMs?: number;
}

export const DEFAULT_SOURCE_TIMEOUT_MS = 5_000;

export { fetchFailure } from './fetch-failure';

export type Read<T> =
  { ok: true; value: T } | { ok: false; error: string; /** The HTTP status, when one came. */ status?: number };

/**
 * GETs a JSON document and checks its shape. Every way a source can be down or odd becomes an
 * error text rather than an exception, so the gate can fail closed and say why.
 * Shared by the status and alert adapters.
 */
export async function readJson<S extends z.ZodType>(
  fetcher: typeof fetch,
  url: string,
  shape: S,
  { timeoutMs, headers = {} }: { timeoutMs: number; headers?: Record<string, string> },
): Promise<Read<z.output<S>>> {
  let body: unknown;
  try {
    const response = await fetcher(url, {
      headers: { accept: 'application/json', ...headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return {
        ok: false,
        status: response.status,
        error: `GET ${url} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
      };
    }
    body = await response.json();
  } catch (error) {
    if (error instanceof SyntaxError) return { ok: false, error: `GET ${url} answered something that is not JSON` };
    return { ok: false, error: `GET ${url} failed: ${fetchFailure(error, timeoutMs)}` };
  }
  const parsed = shape.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const [issue] = parsed.error.issues;
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return { ok: false, error: `GET ${url} answered an unexpected document (${where}${issue.message})` };
}

export { joinUrl } from './join-url';

const herokuCurrentStatus = z.object({
  status: z.array(z.object({ system: z.string(), status: z.string() })),
  incidents: z.array(z.object({ title: z.string(), full_url: z.string().nullish() })),
});

const statuspageUnresolved = z.object({
  incidents: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      impact: z.string(),
      shortlink: z.string().nullish(),
      components: z.array(z.object({ id: z.string(), name: z.string() })).default([]),
    }),
  ),
});

const sameName = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

/** Incident sources (Heroku's status site, an Atlassian Statuspage, PagerDuty) read over HTTP. */
export function statusActivities(options: HttpSourceOptions & { env?: NodeJS.ProcessEnv; http?: HealthHttp } = {}) {
  const fetcher = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
  const pagerduty = pagerdutySource(
    options.http ?? new HealthHttp({ fetch: fetcher, timeoutMs, cacheMs: 0 }),
    options.env ?? process.env,
  );

  async function herokuStatus({ url, systems }: NonNullable<IncidentPolicy['herokuStatus']>): Promise<IncidentFacts> {
    const read = await readJson(fetcher, joinUrl(url, '/api/v4/current-status'), herokuCurrentStatus, { timeoutMs });
    if (!read.ok) return { source: 'heroku-status', incidents: [], degraded: [], error: read.error };
    const relevant = (system: string) => systems.length === 0 || systems.some((name) => sameName(name, system));
    return {
      source: 'heroku-status',
      // Heroku lists only open incidents here, and does not grade them: every one counts.
      incidents: read.value.incidents.map(({ title, full_url }): OpenIncident =>
        full_url ? { title, url: full_url } : { title },
      ),
      degraded: read.value.status
        .filter((s) => s.status !== 'green' && relevant(s.system))
        .map(({ system, status }) => ({ system, status })),
    };
  }

  async function statuspage({
    url,
    minImpact,
    components,
  }: NonNullable<IncidentPolicy['statuspage']>): Promise<IncidentFacts> {
    const read = await readJson(fetcher, joinUrl(url, '/api/v2/incidents/unresolved.json'), statuspageUnresolved, {
      timeoutMs,
    });
    if (!read.ok) return { source: 'statuspage', incidents: [], degraded: [], error: read.error };
    const concerns = (affected: { id: string; name: string }[]) =>
      components.length === 0 ||
      affected.some((c) => components.some((wanted) => wanted === c.id || sameName(wanted, c.name)));
    return {
      source: 'statuspage',
      incidents: read.value.incidents
        .filter((incident) => reachesImpact(incident.impact, minImpact) && concerns(incident.components))
        .map((incident): OpenIncident => ({
          title: incident.name,
          impact: incident.impact,
          ...(incident.shortlink ? { url: incident.shortlink } : {}),
          components: incident.components.map((c) => c.name),
        })),
      degraded: [],
    };
  }

  /** One facts entry per configured source, Heroku first; an unreadable source is a fact with `error`. */
  async function incidentFacts(policy: IncidentPolicy): Promise<IncidentFacts[]> {
    return Promise.all([
      ...(policy.herokuStatus ? [herokuStatus(policy.herokuStatus)] : []),
      ...(policy.statuspage ? [statuspage(policy.statuspage)] : []),
      ...(policy.pagerduty ? [pagerduty(policy.pagerduty)] : []),
    ]);
  }

  return { incidentFacts };
}
