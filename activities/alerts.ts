import { z } from 'zod';
import type { AlertFacts, AlertPolicy, FiringAlert } from '../domain/health';
import { DEFAULT_SOURCE_TIMEOUT_MS, joinUrl, readJson, type HttpSourceOptions } from './status';

export interface AlertSourceOptions extends HttpSourceOptions {
  /** Librato credentials come from the worker's environment, never from the (non-secret) policy. */
  libratoEmail?: string;
  libratoToken?: string;
}

export const LIBRATO_CREDENTIALS_MISSING = "LIBRATO_EMAIL/LIBRATO_TOKEN not set in the worker's environment";

const libratoStatus = z.object({
  firing: z.array(z.object({ id: z.union([z.number(), z.string()]), triggered_at: z.number().nullish() })),
});

const alertmanagerAlerts = z.array(
  z.object({
    labels: z.record(z.string(), z.string()),
    fingerprint: z.string(),
    startsAt: z.string().optional(),
    status: z.object({ state: z.string() }),
  }),
);

/** Alertmanager's matcher syntax: the value is quoted, so quotes and backslashes in it are escaped. */
const matcherText = (name: string, value: string) => `${name}="${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** Alert sources (Librato, Prometheus Alertmanager) read over HTTP. */
export function alertActivities(options: AlertSourceOptions = {}) {
  const fetcher = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;

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

  async function alertmanager({ url, matchers }: NonNullable<AlertPolicy['alertmanager']>): Promise<AlertFacts> {
    const query = new URLSearchParams({ active: 'true', silenced: 'false', inhibited: 'false' });
    for (const [name, value] of Object.entries(matchers)) query.append('filter', matcherText(name, value));
    const read = await readJson(fetcher, joinUrl(url, `/api/v2/alerts?${query}`), alertmanagerAlerts, { timeoutMs });
    if (!read.ok) return { source: 'alertmanager', firing: [], error: read.error };
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
    return { source: 'alertmanager', firing };
  }

  /** One facts entry per configured source, Librato first; an unreadable source is a fact with `error`. */
  async function alertFacts(policy: AlertPolicy): Promise<AlertFacts[]> {
    return Promise.all([
      ...(policy.librato ? [librato(policy.librato)] : []),
      ...(policy.alertmanager ? [alertmanager(policy.alertmanager)] : []),
    ]);
  }

  return { alertFacts };
}
