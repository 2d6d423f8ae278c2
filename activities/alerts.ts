import { z } from 'zod';
import type { AlertFacts, AlertPolicy, FiringAlert } from '../domain/health';
import { DEFAULT_SOURCE_TIMEOUT_MS, joinUrl, readJson, type HttpSourceOptions } from './status';
import { HealthHttp, secretFrom } from './health-http';
import { datadogSource } from './sources/datadog';
import { newRelicSource } from './sources/new-relic';
import { prometheusSource } from './sources/prometheus';

export interface AlertSourceOptions extends HttpSourceOptions {
  /** Librato credentials come from the worker's environment, never from the (non-secret) policy. */
  libratoEmail?: string;
  libratoToken?: string;
  /** Where the keys the policies name are read; the worker's environment by default. */
  env?: NodeJS.ProcessEnv;
  /** Cache, limits and metrics shared by the health sources; one of its own otherwise. */
  http?: HealthHttp;
}

/** Where Grafana serves its own alerts through the Alertmanager API (Grafana-managed alerting). */
export const GRAFANA_ALERTMANAGER_PATH = '/api/alertmanager/grafana';

export const LIBRATO_CREDENTIALS_MISSING = "LIBRATO_EMAIL/LIBRATO_TOKEN not set in the worker's environment";

const libratoStatus = z.object({
  firing: z.array(z.object({ id: z.union([z.number(), z.string()]), triggered_at: z.number().nullish() })),
});

const alertmanagerAlertList = z.array(
  z.object({
    labels: z.record(z.string(), z.string()),
    fingerprint: z.string(),
    startsAt: z.string().optional(),
    status: z.object({ state: z.string() }),
  }),
);

/** Alertmanager's matcher syntax: the value is quoted, so quotes and backslashes in it are escaped. */
const matcherText = (name: string, value: string) => `${name}="${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** Alert sources read over HTTP: Librato, Alertmanager, Grafana, Prometheus, Datadog, New Relic. */
export function alertActivities(options: AlertSourceOptions = {}) {
  const fetcher = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
  const env = options.env ?? process.env;
  // Without the worker's shared reader, every ask is sent: nothing to share a pass with.
  const http = options.http ?? new HealthHttp({ fetch: fetcher, timeoutMs, cacheMs: 0 });
  const prometheus = prometheusSource(http, env);
  const datadog = datadogSource(http, env);
  const newRelic = newRelicSource(http, env);

  async function librato({ url, alertIds }: NonNullable<AlertPolicy['librato']>): Promise<AlertFacts> {
    const { libratoEmail: email, libratoToken: token } = options;
    if (!email || !token) return { source: 'librato', firing: [], error: LIBRATO_CREDENTIALS_MISSING };
    const authorization = `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;
    const read = await readJson(fetcher, joinUrl(url, '/v1/alerts/status'), libratoStatus, {
      timeoutMs,
      headers: { authorization },
    });
    if (!read.ok) {
      const hint = read.status === 401 ? '; check LIBRATO_EMAIL/LIBRATO_TOKEN' : '';
      return { source: 'librato', firing: [], error: `${read.error}${hint}` };
    }
    const watched = (id: string) => alertIds.length === 0 || alertIds.includes(id);
    const firing = read.value.firing
      .map(({ id, triggered_at }): FiringAlert => {
        // Librato's status names alerts only by id, and dates them in epoch seconds.
        const alert = { id: String(id), name: `alert ${id}` };
        return triggered_at ? { ...alert, since: new Date(triggered_at * 1000).toISOString() } : alert;
      })
      .filter((alert) => watched(alert.id));
    return { source: 'librato', firing };
  }

  /** Active, unsilenced, uninhibited alerts matching every matcher: Alertmanager's API v2, or Grafana's copy of it. */
  async function alertmanagerAlerts(
    source: 'alertmanager' | 'grafana',
    base: string,
    matchers: Record<string, string>,
    tokenEnv: string | undefined,
    onUnreachable: 'hold' | 'pass' | undefined,
  ): Promise<AlertFacts> {
    const empty = { source, firing: [], ...(onUnreachable === 'pass' ? { onUnreachable } : {}) };
    const token = tokenEnv ? secretFrom(env, tokenEnv) : undefined;
    if (token && !token.ok) return { ...empty, error: token.error };
    const query = new URLSearchParams({ active: 'true', silenced: 'false', inhibited: 'false' });
    for (const [name, value] of Object.entries(matchers)) query.append('filter', matcherText(name, value));
    const read = await http.json(
      {
        source,
        url: joinUrl(base, `/api/v2/alerts?${query}`),
        ...(token?.ok ? { headers: { authorization: `Bearer ${token.value}` }, secrets: [token.value] } : {}),
        explain: (body) => (typeof body === 'object' && body && 'message' in body ? String(body.message) : undefined),
      },
      alertmanagerAlertList,
    );
    if (!read.ok) return { ...empty, error: read.error, ...(read.unreachable ? { unreachable: true } : {}) };
    // Filtered again here: a proxy or an old Alertmanager that ignores `filter` must not widen the gate.
    const matches = (labels: Record<string, string>) =>
      Object.entries(matchers).every(([name, value]) => labels[name] === value);
    const firing = read.value
      .filter((alert) => alert.status.state === 'active' && matches(alert.labels))
      .map(({ labels, fingerprint, startsAt }): FiringAlert => ({
        id: fingerprint,
        name: labels.alertname ?? fingerprint,
        ...(startsAt ? { since: startsAt } : {}),
      }));
    return { ...empty, firing };
  }

  const alertmanager = ({ url, matchers, tokenEnv, onUnreachable }: NonNullable<AlertPolicy['alertmanager']>) =>
    alertmanagerAlerts('alertmanager', url, matchers, tokenEnv, onUnreachable);
  const grafana = ({ url, matchers, tokenEnv, onUnreachable }: NonNullable<AlertPolicy['grafana']>) =>
    alertmanagerAlerts('grafana', joinUrl(url, GRAFANA_ALERTMANAGER_PATH), matchers, tokenEnv, onUnreachable);

  /** One facts entry per configured source, Librato first; an unreadable source is a fact with `error`. */
  async function alertFacts(policy: AlertPolicy): Promise<AlertFacts[]> {
    return Promise.all([
      ...(policy.librato ? [librato(policy.librato)] : []),
      ...(policy.alertmanager ? [alertmanager(policy.alertmanager)] : []),
      ...(policy.grafana ? [grafana(policy.grafana)] : []),
      ...(policy.prometheus ? [prometheus(policy.prometheus)] : []),
      ...(policy.datadog ? [datadog(policy.datadog)] : []),
      ...(policy.newRelic ? [newRelic(policy.newRelic)] : []),
    ]);
  }

  return { alertFacts };
}
