// Where the SDK's own metrics (Temporal Core: task latencies, slots, polls, sticky cache) go: a
// Prometheus endpoint scraped from the worker (CONVEYOR_METRICS_ADDRESS), or pushed to an
// OpenTelemetry collector with the SDK's telemetry options, for platforms where nothing can scrape
// a worker (a Heroku worker dyno has no port).
import { parseDuration } from '../domain/duration';
import { SettingsError } from '../config/settings-error';

export interface OtelMetrics {
  /** CONVEYOR_OTEL_METRICS_URL, e.g. http://collector:4317 (gRPC) or https://otlp.example.com/v1/metrics (HTTP). */
  url: string;
  /** OTLP over HTTP rather than gRPC: CONVEYOR_OTEL_METRICS_PROTOCOL=http, or a URL ending in /v1/metrics. */
  http: boolean;
  /** CONVEYOR_OTEL_METRICS_HEADERS, `name=value,name=value` as OTEL_EXPORTER_OTLP_HEADERS (e.g. an API key); never logged. */
  headers: Record<string, string>;
  /** CONVEYOR_OTEL_METRICS_INTERVAL (60s). */
  intervalMs: number;
}

export function otelMetrics(env: NodeJS.ProcessEnv = process.env): OtelMetrics | undefined {
  const url = env.CONVEYOR_OTEL_METRICS_URL || undefined;
  if (!url) return undefined;
  if (!/^(grpcs?|https?):\/\/[^\s/]+/.test(url))
    throw new SettingsError(
      `CONVEYOR_OTEL_METRICS_URL '${url}' is not a collector URL (e.g. http://collector:4317, https://otlp.example.com/v1/metrics)`,
    );
  const protocol = env.CONVEYOR_OTEL_METRICS_PROTOCOL || (/\/v1\/metrics\/?$/.test(url) ? 'http' : 'grpc');
  if (protocol !== 'grpc' && protocol !== 'http')
    throw new SettingsError(`CONVEYOR_OTEL_METRICS_PROTOCOL '${protocol}' is not one of grpc, http`);
  const headers: Record<string, string> = {};
  for (const pair of (env.CONVEYOR_OTEL_METRICS_HEADERS ?? '').split(',').filter((p) => p.trim())) {
    const at = pair.indexOf('=');
    if (at <= 0)
      throw new SettingsError('CONVEYOR_OTEL_METRICS_HEADERS: each header is name=value, separated by commas');
    headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  const interval = env.CONVEYOR_OTEL_METRICS_INTERVAL || '60s';
  const intervalMs = parseDuration(interval);
  if (intervalMs === undefined || intervalMs <= 0)
    throw new SettingsError(`CONVEYOR_OTEL_METRICS_INTERVAL '${interval}' is not a duration (e.g. 30s, 1m)`);
  return { url, http: protocol === 'http', headers, intervalMs };
}
