import { z } from 'zod';
import type { AlertFacts, AlertPolicy, FiringAlert } from '../../domain/health';
import { joinUrl } from '../join-url';
import { secretFrom, type Exchange, type HealthHttp } from '../health-http';

const monitor = z.object({
  id: z.number(),
  name: z.string(),
  overall_state: z.string(),
  overall_state_modified: z.string().nullish(),
});
type Monitor = z.output<typeof monitor>;

/** Datadog's error bodies: {"errors": ["Forbidden"]}. */
const explain = (body: unknown) => {
  const parsed = z.object({ errors: z.array(z.string()) }).safeParse(body);
  return parsed.success ? parsed.data.errors.join('; ') : undefined;
};

/** Monitors read page by page (1,000 a page, as the API allows); a few pages at most. */
const PAGE_SIZE = 1_000;
const MAX_PAGES = 5;

/** Datadog monitors in the watched states: by tags (GET /api/v1/monitor?monitor_tags=) and by id. */
export function datadogSource(http: HealthHttp, env: NodeJS.ProcessEnv) {
  return async function datadog(policy: NonNullable<AlertPolicy['datadog']>): Promise<AlertFacts> {
    const { tags, ids, states, apiKeyEnv, appKeyEnv, onUnreachable } = policy;
    const base = { source: 'datadog' as const, firing: [], ...(onUnreachable === 'pass' ? { onUnreachable } : {}) };
    const apiKey = secretFrom(env, apiKeyEnv);
    if (!apiKey.ok) return { ...base, error: apiKey.error };
    const appKey = secretFrom(env, appKeyEnv);
    if (!appKey.ok) return { ...base, error: appKey.error };
    const api = policy.url ?? `https://api.${policy.site ?? env.DD_SITE ?? 'datadoghq.com'}`;
    const ask = <S extends z.ZodType>(path: string, shape: S) =>
      http.json(
        {
          source: 'datadog',
          url: joinUrl(api, path),
          headers: { 'dd-api-key': apiKey.value, 'dd-application-key': appKey.value },
          secrets: [apiKey.value, appKey.value],
          explain,
        },
        shape,
      );
    const failed = (read: Exchange<unknown> & { ok: false }): AlertFacts => ({
      ...base,
      error: read.error,
      ...(read.unreachable ? { unreachable: true } : {}),
    });

    const found = new Map<number, Monitor>();
    if (tags.length) {
      for (let page = 0; page < MAX_PAGES; page++) {
        const query = new URLSearchParams({
          monitor_tags: tags.join(','),
          page: String(page),
          page_size: String(PAGE_SIZE),
        });
        const read = await ask(`/api/v1/monitor?${query}`, z.array(monitor));
        if (!read.ok) return failed(read);
        for (const m of read.value) found.set(m.id, m);
        if (read.value.length < PAGE_SIZE) break;
      }
    }
    for (const id of ids) {
      if (found.has(id)) continue;
      const read = await ask(`/api/v1/monitor/${id}`, monitor);
      if (!read.ok)
        return failed(read.status === 404 ? { ...read, error: `monitor ${id} not found (${read.error})` } : read);
      found.set(id, read.value);
    }
    const firing = [...found.values()]
      .filter((m) => (states as string[]).includes(m.overall_state))
      .map((m): FiringAlert => ({
        id: String(m.id),
        name: `${m.name} (${m.id}, ${m.overall_state})`,
        ...(m.overall_state_modified ? { since: m.overall_state_modified } : {}),
      }));
    return { ...base, firing };
  };
}
