import type { IncomingMessage } from 'node:http';
import Heroku from 'heroku-client';
import { Octokit } from 'octokit';
import { HEROKU_POST_TIMEOUT_MS, type HerokuPost } from './heroku-post';
import { budgetHeroku, budgetOctokit, headerCount, sharedBudget, type ApiBudget, type Caller } from './api-budget';
import { budgetSettings, type BudgetPair } from '../config/budget-settings';

export type Api = 'heroku' | 'github';

/** Records one HTTP exchange with Heroku or GitHub. */
export type HttpObserver = (request: {
  method: string;
  path: string;
  status: number | 'error';
  rateLimitRemaining?: string | null;
}) => void;

/** Where Heroku's Platform API and GitHub's REST API are, and the tokens conveyor uses with them. */
export interface ApiEndpoints {
  herokuUrl: string;
  herokuToken: string;
  githubUrl: string;
  githubToken: string;
}

/** The endpoints from an environment: HEROKU_API_URL, HEROKU_API_KEY, GITHUB_API_URL, GITHUB_TOKEN. */
export function apiEndpoints(env: NodeJS.ProcessEnv = process.env): ApiEndpoints {
  return {
    herokuUrl: env.HEROKU_API_URL || 'https://api.heroku.com',
    herokuToken: env.HEROKU_API_KEY ?? '',
    githubUrl: env.GITHUB_API_URL || 'https://api.github.com',
    githubToken: env.GITHUB_TOKEN ?? '',
  };
}

export interface ApiClientOptions {
  /** The budgets' settings (default: from the environment, see config/budget-settings.ts). */
  budgets?: BudgetPair;
  /** The budgets themselves (default: one per token in this process); a test gives each worker its own. */
  budget?: { heroku?: ApiBudget; github?: ApiBudget };
  /** Sees every answer from each API (the worker's metrics). */
  observe?: (api: Api) => HttpObserver | undefined;
  /** Who calls outside any activity: a person's command (default, may use the reserve) or BACKGROUND. */
  caller?: Caller;
}

export interface ApiClients {
  heroku: Heroku;
  /** Promotion and rollback POSTs, sent at most once (see herokuPoster). */
  herokuPost: HerokuPost;
  github: Octokit;
  herokuBudget: ApiBudget;
  githubBudget: ApiBudget;
}

/**
 * The one place conveyor's Heroku and GitHub clients are made, for the worker, the CLI, the
 * dashboard and the bench alike: every request goes through its token's budget, shared by every
 * caller in the process. Each client is made when first used (a dashboard needs no Heroku client).
 */
export function apiClients(endpoints: ApiEndpoints, options: ApiClientOptions = {}): ApiClients {
  // Read now: a bad budget setting is told before anything connects.
  const budgets = options.budgets ?? budgetSettings(process.env);
  const once = <T>(make: () => T): (() => T) => {
    let made: { value: T } | undefined;
    return () => (made ??= { value: make() }).value;
  };
  const herokuBudget = once(
    () => options.budget?.heroku ?? sharedBudget('Heroku', endpoints.herokuUrl, endpoints.herokuToken, budgets.heroku),
  );
  const githubBudget = once(
    () => options.budget?.github ?? sharedBudget('GitHub', endpoints.githubUrl, endpoints.githubToken, budgets.github),
  );
  const { herokuUrl, herokuToken, githubUrl, githubToken } = endpoints;
  const heroku = once(() =>
    herokuClient(herokuUrl, herokuToken, options.observe?.('heroku'), herokuBudget(), options.caller),
  );
  const herokuPost = once(() => herokuPoster(herokuUrl, herokuToken, options.observe?.('heroku'), herokuBudget()));
  const github = once(() => githubClient(githubUrl, githubToken, options.observe?.('github'), githubBudget()));
  return {
    get heroku() {
      return heroku();
    },
    get herokuPost() {
      return herokuPost();
    },
    get github() {
      return github();
    },
    get herokuBudget() {
      return herokuBudget();
    },
    get githubBudget() {
      return githubBudget();
    },
  };
}

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
