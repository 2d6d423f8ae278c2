import { z } from 'zod';
import type { AlertFacts, AlertPolicy, FiringAlert } from '../../domain/health';
import { holdingSeries } from '../../domain/promql';
import { joinUrl } from '../join-url';
import { secretFrom, type HealthHttp } from '../health-http';

const sample = z.tuple([z.number(), z.string()]);
const queryAnswer = z.object({
  status: z.literal('success'),
  data: z.discriminatedUnion('resultType', [
    z.object({
      resultType: z.literal('vector'),
      result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sample })),
    }),
    z.object({ resultType: z.literal('scalar'), result: sample }),
    z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
    z.object({ resultType: z.literal('string'), result: z.unknown() }),
  ]),
});

const prometheusError = z.object({ errorType: z.string().optional(), error: z.string() });

/** PromQL evaluated now against the Prometheus HTTP API (GET /api/v1/query). */
export function prometheusSource(http: HealthHttp, env: NodeJS.ProcessEnv) {
  return async function prometheus(policy: NonNullable<AlertPolicy['prometheus']>): Promise<AlertFacts> {
    const { url, queries, tokenEnv, onUnreachable } = policy;
    const base = { source: 'prometheus' as const, firing: [], ...(onUnreachable === 'pass' ? { onUnreachable } : {}) };
    const token = tokenEnv ? secretFrom(env, tokenEnv) : undefined;
    if (token && !token.ok) return { ...base, error: token.error };
    const headers = token?.ok ? { authorization: `Bearer ${token.value}` } : undefined;
    const firing: FiringAlert[] = [];
    for (const query of queries) {
      const read = await http.json(
        {
          source: 'prometheus',
          url: joinUrl(url, `/api/v1/query?${new URLSearchParams({ query: query.query })}`),
          ...(headers ? { headers } : {}),
          secrets: token?.ok ? [token.value] : [],
          explain: (body) => {
            const parsed = prometheusError.safeParse(body);
            return parsed.success ? parsed.data.error : undefined;
          },
        },
        queryAnswer,
      );
      if (!read.ok) return { ...base, error: read.error, ...(read.unreachable ? { unreachable: true } : {}) };
      const held = holdingSeries(query, read.value.data);
      if (typeof held === 'string') return { ...base, error: `${query.name ?? query.query}: ${held}` };
      firing.push(...held);
    }
    return { ...base, firing };
  };
}
