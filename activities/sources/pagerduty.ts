import { z } from 'zod';
import { reachesUrgency, type IncidentFacts, type IncidentPolicy, type OpenIncident } from '../../domain/health';
import { joinUrl } from '../join-url';
import { secretFrom, type HealthHttp } from '../health-http';

const incidents = z.object({
  incidents: z.array(
    z.object({
      id: z.string(),
      incident_number: z.number().optional(),
      title: z.string(),
      status: z.string(),
      urgency: z.string(),
      html_url: z.string().nullish(),
      service: z.object({ id: z.string(), summary: z.string().nullish() }).nullish(),
    }),
  ),
  more: z.boolean().nullish(),
});

/** PagerDuty's error bodies: {"error": {"message": "Invalid Input Provided", "code": 2001, "errors": [...]}}. */
const explain = (body: unknown) => {
  const parsed = z
    .object({ error: z.object({ message: z.string(), errors: z.array(z.string()).optional() }) })
    .safeParse(body);
  if (!parsed.success) return undefined;
  const { message, errors = [] } = parsed.data.error;
  return [message, ...errors].join('; ');
};

const PAGE = 100;
const MAX_PAGES = 5;

/** Open (triggered or acknowledged) PagerDuty incidents on the given services (GET /incidents). */
export function pagerdutySource(http: HealthHttp, env: NodeJS.ProcessEnv) {
  return async function pagerduty(policy: NonNullable<IncidentPolicy['pagerduty']>): Promise<IncidentFacts> {
    const { url, serviceIds, minUrgency, stages, tokenEnv, onUnreachable } = policy;
    const base = {
      source: 'pagerduty' as const,
      incidents: [],
      degraded: [],
      ...(stages.length ? { stages } : {}),
      ...(onUnreachable === 'pass' ? { onUnreachable } : {}),
    };
    const token = secretFrom(env, tokenEnv);
    if (!token.ok) return { ...base, error: token.error };
    const open: OpenIncident[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams(<[string, string][]>[
        ['statuses[]', 'triggered'],
        ['statuses[]', 'acknowledged'],
        ...serviceIds.map((id) => ['service_ids[]', id]),
        ...(minUrgency === 'high' ? [['urgencies[]', 'high']] : []),
        // Without it PagerDuty lists only incidents created in the last month.
        ['date_range', 'all'],
        ['limit', String(PAGE)],
        ['offset', String(page * PAGE)],
      ]);
      const read = await http.json(
        {
          source: 'pagerduty',
          url: joinUrl(url, `/incidents?${query}`),
          headers: { authorization: `Token token=${token.value}`, accept: 'application/vnd.pagerduty+json;version=2' },
          secrets: [token.value],
          explain,
        },
        incidents,
      );
      if (!read.ok) return { ...base, error: read.error, ...(read.unreachable ? { unreachable: true } : {}) };
      for (const incident of read.value.incidents) {
        // Filtered again here: a proxy that drops the query must not widen the gate.
        if (!['triggered', 'acknowledged'].includes(incident.status)) continue;
        if (incident.service && !serviceIds.includes(incident.service.id)) continue;
        if (!reachesUrgency(incident.urgency, minUrgency)) continue;
        const number = incident.incident_number ? `#${incident.incident_number} ` : '';
        open.push({
          title: `${number}${incident.title}`,
          impact: `${incident.urgency} urgency, ${incident.status}`,
          ...(incident.html_url ? { url: incident.html_url } : {}),
          ...(incident.service?.summary ? { components: [incident.service.summary] } : {}),
        });
      }
      if (!read.value.more) break;
    }
    return { ...base, incidents: open };
  };
}
