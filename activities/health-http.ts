import type { z } from 'zod';
import { isUnreachableStatus } from '../domain/health';
import { backoffUntil, DOCUMENTED_PER_MINUTE, fitsMinute } from '../domain/source-limits';
import { fetchFailure } from './fetch-failure';

/** What became of one call to a health source, for the metrics: an HTTP status, no answer, or not sent. */
export type SourceCallResult = number | 'error' | 'cached' | 'rate-limited';
export type SourceObserver = (source: string, result: SourceCallResult) => void;

export interface HealthHttpOptions {
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** How long an answer serves identical asks (one pass asks once per policy); 5s unless given. */
  cacheMs?: number;
  observe?: SourceObserver;
  now?: () => number;
}

/** A read that failed: why, in words; whether the source did not answer (rather than refused). */
export interface Failure {
  ok: false;
  error: string;
  unreachable: boolean;
  status?: number;
}
export type Exchange<T> = { ok: true; value: T } | Failure;

export interface Request {
  /** The source, as metrics and limits know it: datadog, pagerduty... */
  source: string;
  method?: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Secrets the request carries: never in an error text, even when a server echoes them. */
  secrets?: string[];
  /** The provider's own words for a refused request, read from its error body. */
  explain?: (body: unknown) => string | undefined;
}

export const DEFAULT_CACHE_MS = 5_000;

const scrub = (text: string, secrets: string[] = []) =>
  secrets.filter((s) => s.length >= 4).reduce((out, secret) => out.replaceAll(secret, '***'), text);

/**
 * Calls to the health providers: one answer per identical ask within `cacheMs` (concurrent asks share
 * it), no call while a provider's rate limit says wait, each provider's documented rate kept, every
 * call counted. Failures come back as values, never exceptions, so a gate can say why it holds.
 */
export class HealthHttp {
  private readonly fetcher: typeof fetch;
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private readonly answers = new Map<string, { until: number; answer: Promise<Exchange<unknown>> }>();
  private readonly waits = new Map<string, number>();
  private readonly sent = new Map<string, number[]>();

  constructor(private readonly options: HealthHttpOptions = {}) {
    this.fetcher = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    this.now = options.now ?? Date.now;
  }

  private count(source: string, result: SourceCallResult): void {
    try {
      this.options.observe?.(source, result);
    } catch {
      // Metrics never fail a read.
    }
  }

  /** The JSON answer of `request`, checked against `shape`. */
  async json<S extends z.ZodType>(request: Request, shape: S): Promise<Exchange<z.output<S>>> {
    const key = JSON.stringify([request.method ?? 'GET', request.url, request.headers, request.body]);
    const now = this.now();
    for (const [k, entry] of this.answers) if (entry.until <= now) this.answers.delete(k);
    const cached = this.answers.get(key);
    if (cached) {
      this.count(request.source, 'cached');
      return (await cached.answer) as Exchange<z.output<S>>;
    }
    const answer = this.send(request, shape);
    this.answers.set(key, { until: now + this.cacheMs, answer });
    return answer;
  }

  private async send<S extends z.ZodType>(request: Request, shape: S): Promise<Exchange<z.output<S>>> {
    const { source, method = 'GET', url } = request;
    const what = `${method} ${url}`;
    const limit = `${source} ${new URL(url).origin}`;
    const now = this.now();
    const waitUntil = this.waits.get(limit);
    const sent = (this.sent.get(limit) ?? []).filter((at) => now - at < 60_000);
    if ((waitUntil !== undefined && waitUntil > now) || !fitsMinute(sent, now, DOCUMENTED_PER_MINUTE[source])) {
      this.count(source, 'rate-limited');
      const until = new Date(waitUntil && waitUntil > now ? waitUntil : now + 60_000).toISOString();
      return { ok: false, unreachable: true, error: `not asked: rate limited until ${until}` };
    }
    sent.push(now);
    this.sent.set(limit, sent);
    let response: Response;
    try {
      response = await this.fetcher(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...request.headers,
        },
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      this.count(source, 'error');
      return {
        ok: false,
        unreachable: true,
        error: scrub(`${what} failed: ${fetchFailure(error, this.timeoutMs)}`, request.secrets),
      };
    }
    this.count(source, response.status);
    const header = (name: string) => response.headers.get(name);
    const until = backoffUntil(
      {
        status: response.status,
        retryAfter: header('retry-after'),
        remaining: header('x-ratelimit-remaining') ?? header('ratelimit-remaining'),
        reset: header('x-ratelimit-reset') ?? header('ratelimit-reset'),
      },
      this.now(),
    );
    if (until !== undefined) this.waits.set(limit, until);
    let body: unknown;
    try {
      const text = await response.text();
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
      if (response.ok) return { ok: false, unreachable: false, error: `${what} answered something that is not JSON` };
    }
    if (!response.ok) {
      const said = request.explain?.(body);
      const waiting = response.status === 429 && until ? ` (rate limited until ${new Date(until).toISOString()})` : '';
      return {
        ok: false,
        status: response.status,
        unreachable: isUnreachableStatus(response.status),
        error: scrub(
          `${what} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${said ? `: ${said}` : ''}${waiting}`,
          request.secrets,
        ),
      };
    }
    const parsed = shape.safeParse(body);
    if (parsed.success) return { ok: true, value: parsed.data };
    const [issue] = parsed.error.issues;
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    return {
      ok: false,
      unreachable: false,
      error: `${what} answered an unexpected document (${where}${issue.message})`,
    };
  }
}

/** The value of an environment variable the policy names, or a failure saying which is missing. */
export function secretFrom(env: NodeJS.ProcessEnv, name: string): { ok: true; value: string } | Failure {
  const value = env[name];
  return value
    ? { ok: true, value }
    : { ok: false, unreachable: false, error: `${name} is not set in the worker's environment` };
}
