import { ApplicationFailure } from '@temporalio/activity';

/**
 * How the Heroku and GitHub adapters turn a failed call into a Temporal failure.
 *
 * | what the client threw | failure |
 * |---|---|
 * | 400 401 402 403 404 409 422 | non-retryable `<Service>Rejected`: a person must act (token, name, input) |
 * | 429 (GitHub also: 403 with `X-RateLimit-Remaining: 0`, or `Retry-After`) | retryable `<Service>RateLimited` with `nextRetryDelay` |
 * | 5xx and any other status | retryable `<Service>Unavailable` |
 * | no answer: reset, refused, timed out (heroku-client: `Error` with `code`; octokit: `RequestError` status 500 without `response`) | retryable `<Service>Unavailable` |
 * | a 2xx body that is not JSON (heroku-client: `SyntaxError`) or not an object/array (`jsonAnswer`) | retryable `<Service>Unavailable` |
 * | an `ApplicationFailure` already | thrown as it is |
 */

export type Service = 'Heroku' | 'GitHub';

/** Statuses that will not change by asking again: a person must act (token, name, input). */
const PERMANENT = new Set([400, 401, 402, 403, 404, 409, 422]);

/**
 * The wait after a Heroku 429 when its `RateLimit-Remaining` is unknown or 0: Heroku refills about 75
 * tokens a minute, so 20 s buys ~25 calls, a whole observation and then some. heroku-client's errors
 * carry no response headers, so in practice this is the delay.
 */
export const HEROKU_RATE_LIMIT_DELAY_MS = 20_000;

/** Heroku's refill: one token every 800 ms (75 a minute). */
const HEROKU_MS_PER_TOKEN = 60_000 / 75;

/** The wait after a GitHub rate limit that gives no reset time. */
export const GITHUB_RATE_LIMIT_DELAY_MS = 60_000;

/** No rate-limit wait is shorter or longer than this. */
const MIN_RATE_LIMIT_DELAY_MS = 1_000;
const MAX_RATE_LIMIT_DELAY_MS = 15 * 60_000;

type Headers = Record<string, string | string[] | number | undefined>;

interface ClientError {
  name?: string;
  message?: string;
  code?: string;
  /** heroku-client */
  statusCode?: number;
  /** octokit */
  status?: number;
  body?: unknown;
  headers?: Headers;
  response?: { status?: number; headers?: Headers; data?: unknown };
  cause?: { code?: string; message?: string; cause?: { code?: string; message?: string } };
}

/**
 * Turns an HTTP client's error into a Temporal failure (see the table above): permanent ones are
 * non-retryable so the workflow can show the pipeline blocked; the rest are retried, rate limits after
 * `nextRetryDelay`.
 */
export function classify(service: Service, call: string, error: unknown): never {
  if (error instanceof ApplicationFailure) throw error;
  const e = (error ?? {}) as ClientError;
  const status = answeredStatus(e);

  if (status === undefined) {
    if (error instanceof SyntaxError) {
      throw ApplicationFailure.retryable(
        `${service} answered ${call} with a body that is not JSON: ${e.message}`,
        `${service}Unavailable`,
      );
    }
    throw ApplicationFailure.retryable(
      `${service} unreachable for ${call}: ${networkDetail(e, error)}`,
      `${service}Unavailable`,
    );
  }

  const body = (e.body ?? e.response?.data) as { id?: string; message?: string } | string | undefined;
  const detail = (typeof body === 'object' && body?.message) || e.message || String(error);
  const bodyId = typeof body === 'object' && body?.id ? ` ${body.id}` : '';
  const text = `${service} answered ${status}${bodyId} to ${call}: ${detail}`;
  const headers = lowerCased(e.response?.headers ?? e.headers);

  const delay = rateLimitDelayMs(service, status, headers, Date.now());
  if (delay !== undefined) {
    throw ApplicationFailure.create({
      message: text,
      type: `${service}RateLimited`,
      nonRetryable: false,
      nextRetryDelay: delay,
    });
  }
  if (PERMANENT.has(status)) throw ApplicationFailure.nonRetryable(text, `${service}Rejected`);
  throw ApplicationFailure.retryable(text, `${service}Unavailable`);
}

/**
 * `body` when it is what a JSON API answers (an array, or an object with at least one property);
 * otherwise throws a retryable `<Service>Unavailable` failure, so a broken answer is never taken for
 * data. Needed because octokit hands a 2xx body that is not JSON (or was cut short) to its caller as a
 * string, and heroku-client turns an empty 2xx body into `{}`.
 * Safe inside the adapters' try/catch: `classify` rethrows it unchanged.
 */
export function jsonAnswer<T>(service: Service, call: string, body: T): T {
  const isArray = Array.isArray(body);
  const isObject = typeof body === 'object' && body !== null && !isArray && !(body instanceof ArrayBuffer);
  if (isArray || (isObject && Object.keys(body).length > 0)) return body;
  const shown =
    typeof body === 'string'
      ? JSON.stringify(body.length > 80 ? `${body.slice(0, 80)}…` : body)
      : isObject
        ? '{}'
        : String(body);
  throw ApplicationFailure.retryable(
    `${service} answered ${call} with a body that is not a JSON object or array: ${shown}`,
    `${service}Unavailable`,
  );
}

/** The status of an answer the server gave; undefined when there was none (octokit reports those as 500 without a response). */
function answeredStatus(e: ClientError): number | undefined {
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.status === 'number' && e.status > 0) {
    const octokitNetworkError = e.name === 'HttpError' && e.response === undefined;
    return octokitNetworkError ? undefined : e.status;
  }
  return undefined;
}

/** "ECONNRESET socket hang up", "UND_ERR_SOCKET other side closed"... */
function networkDetail(e: ClientError, error: unknown): string {
  const code = e.code ?? e.cause?.code ?? e.cause?.cause?.code;
  const message = e.message || String(error);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

function lowerCased(headers: Headers | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {}))
    if (value !== undefined) out[name.toLowerCase()] = String(value);
  return out;
}

const clamp = (ms: number) => Math.round(Math.min(MAX_RATE_LIMIT_DELAY_MS, Math.max(MIN_RATE_LIMIT_DELAY_MS, ms)));

/** The wait before retrying a rate-limited call, or undefined when the answer is not a rate limit. */
function rateLimitDelayMs(
  service: Service,
  status: number,
  headers: Record<string, string>,
  now: number,
): number | undefined {
  const retryAfter = retryAfterMs(headers['retry-after'], now);
  if (service === 'GitHub') {
    const exhausted = headers['x-ratelimit-remaining'] === '0';
    if (status !== 429 && !(status === 403 && (exhausted || retryAfter !== undefined))) return undefined;
    if (retryAfter !== undefined) return clamp(retryAfter);
    const reset = Number(headers['x-ratelimit-reset']);
    if (exhausted && Number.isFinite(reset) && reset > 0) return clamp(reset * 1000 - now + 1_000);
    return GITHUB_RATE_LIMIT_DELAY_MS;
  }
  if (status !== 429) return undefined;
  if (retryAfter !== undefined) return clamp(retryAfter);
  // Until ~25 tokens are back: 20 s from empty, less when some remain.
  const remaining = Number(headers['ratelimit-remaining']);
  if (headers['ratelimit-remaining'] !== undefined && Number.isFinite(remaining) && remaining > 0) {
    return clamp(HEROKU_RATE_LIMIT_DELAY_MS - remaining * HEROKU_MS_PER_TOKEN);
  }
  return HEROKU_RATE_LIMIT_DELAY_MS;
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`. */
function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
