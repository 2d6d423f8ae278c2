import type { IncomingMessage } from 'node:http';
import Heroku from 'heroku-client';
import { Octokit } from 'octokit';
import type { HttpObserver } from './metrics';
import { HEROKU_POST_TIMEOUT_MS, type HerokuPost } from '../activities/heroku-post';
import { budgetHeroku, budgetOctokit, headerCount, type ApiBudget, type Caller } from '../activities/api-budget';

/**
 * heroku-client with a Bearer token (its default is Basic) against any Platform API base URL.
 * `observe` sees every answer (method, path, status, RateLimit-Remaining), through heroku-client's
 * own `middleware` option. With a `budget`, every request waits its turn in it and every answer's
 * `RateLimit-Remaining` is its count (see activities/api-budget.ts).
 */
export function herokuClient(
  baseUrl: string,
  token: string,
  observe?: HttpObserver,
  budget?: ApiBudget,
  /** Who calls outside any activity (default: a person's command, which may use the reserve). */
  outside?: Caller,
): Heroku {
  const middleware =
    observe || budget
      ? (response: IncomingMessage & { req?: { method?: string; path?: string } }, next: () => void) => {
          try {
            const count = headerCount(header(response.headers['ratelimit-remaining']));
            if (budget && count) budget.counted(count);
            observe?.({
              method: response.req?.method ?? 'GET',
              path: response.req?.path ?? '/',
              status: response.statusCode ?? 'error',
              rateLimitRemaining: header(response.headers['ratelimit-remaining']),
            });
          } finally {
            next();
          }
        }
      : undefined;
  const heroku = new Heroku({
    host: baseUrl,
    headers: { Authorization: `Bearer ${token}` },
    ...(middleware ? { middleware } : {}),
  } as ConstructorParameters<typeof Heroku>[0]);
  return budget ? budgetHeroku(heroku, budget, outside) : heroku;
}

const header = (value: string | string[] | undefined | null) => (Array.isArray(value) ? value[0] : value) ?? null;

/**
 * octokit against any GitHub REST base URL; retries are Temporal's job, not octokit's. `observe` sees
 * every answer; with a `budget` every request waits its turn in it.
 */
export function githubClient(baseUrl: string, token: string, observe?: HttpObserver, budget?: ApiBudget): Octokit {
  const octokit = new Octokit({
    baseUrl,
    auth: token,
    retry: { enabled: false },
    throttle: { enabled: false },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  if (observe) {
    octokit.hook.after('request', (response, options) => {
      observe({
        method: options.method,
        path: String(options.url),
        status: response.status,
        rateLimitRemaining: header(response.headers['x-ratelimit-remaining']),
      });
    });
    octokit.hook.error('request', (error, options) => {
      const e = error as { status?: number; response?: { headers?: Record<string, string> } };
      observe({
        method: options.method,
        path: String(options.url),
        status: e.status ?? 'error',
        rateLimitRemaining: header(e.response?.headers?.['x-ratelimit-remaining']),
      });
      throw error;
    });
  }
  return budget ? budgetOctokit(octokit, budget) : octokit;
}

export { HEROKU_POST_TIMEOUT_MS, type HerokuPost } from '../activities/heroku-post';

/**
 * POSTs that must not be repeated (a promotion, a rollback) go through this, not heroku-client:
 * heroku-client re-sends a request whose socket died, even a POST the server already acted on,
 * which would promote twice. A failed POST here fails once; the activity's retry decides again.
 */
export function herokuPoster(baseUrl: string, token: string, observe?: HttpObserver, budget?: ApiBudget): HerokuPost {
  return async (path, body) => {
    // A decided, confirmed POST never waits for its turn (it would go stale); it is counted all the same.
    const ticket = budget?.take();
    const response = await Promise.resolve()
      .then(() =>
        fetch(new URL(path, baseUrl), {
          method: 'POST',
          headers: {
            Accept: 'application/vnd.heroku+json; version=3',
            Authorization: `Bearer ${token}`,
            'Content-Type': 'application/json',
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(HEROKU_POST_TIMEOUT_MS),
        }),
      )
      .catch((error) => {
        observe?.({ method: 'POST', path, status: 'error' });
        throw error;
      })
      .finally(() => ticket !== undefined && budget?.finished(ticket));
    const count = headerCount(response.headers.get('ratelimit-remaining'));
    if (budget && count) budget.counted(count);
    const wait = budget && response.status === 429 ? budget.limited('promotion') : undefined;
    observe?.({
      method: 'POST',
      path,
      status: response.status,
      rateLimitRemaining: response.headers.get('ratelimit-remaining'),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Left as text: a 2xx that is not JSON is refused by the caller's guard.
    }
    if (!response.ok)
      throw Object.assign(new Error(`Expected response to be successful, got ${response.status}`), {
        statusCode: response.status,
        body: parsed,
        // A 429 waits for the bucket: classify reads this as the activity's nextRetryDelay.
        ...(wait !== undefined ? { headers: { 'retry-after': String(Math.ceil(wait / 1000)) } } : {}),
      });
    return parsed;
  };
}
