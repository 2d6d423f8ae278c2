import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendBroken } from './faults/reply';
import { faultsApi } from './faults/api';
import { Faults } from './faults/faults';
import { githubApi } from './github/api';
import { herokuApi } from './heroku/api';
import { herokuIdentityApi } from './heroku/oauth';
import { HttpError, readRequest, send, type ApiRequest, type Reply } from './http';
import { randomHex } from './ids';
import { Platform } from './heroku/platform';
import { followPromotionTargets } from './heroku/promotions';
import { HEROKU_RATE_LIMIT, RateLimiter, type RateLimitSettings } from './heroku/rate-limit';
import { Scenario } from './scenario/scenario';
import { scenarioApi } from './scenario/api';
import { Store } from './store';
import { WebhookDeliveries, webhooksApi } from './heroku/webhooks';

export interface SandboxOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** The API token both APIs accept; a random one by default. */
  token?: string;
  /** From POST /pipeline-promotions to the targets' new releases (default 1500). */
  promotionDelayMs?: number;
  /** How long a new release stays pending before it succeeds or fails (default 500). */
  releasePhaseMs?: number;
  /** Heroku's rate limit (default: a bucket of 4500, refilled at 75 a minute). */
  rateLimit?: Partial<RateLimitSettings>;
  /** Seeds fault injection's randomness (rules with a `rate`), so a chaos run can be replayed; random by default (see `faults.seed`). */
  seed?: number;
}

export interface Sandbox {
  /** The Heroku Platform API, e.g. http://127.0.0.1:PORT */
  herokuUrl: string;
  /** The GitHub REST API, e.g. http://127.0.0.1:PORT/github */
  githubUrl: string;
  /** Heroku's OAuth web flow, standing for https://id.heroku.com: {identityUrl}/oauth/authorize and /oauth/token. */
  identityUrl: string;
  token: string;
  scenario: Scenario;
  /** Fault injection per endpoint: `inject(rule)`, `clear(id?)`, `list()`, `totals()` (see faults.ts and the README). */
  faults: Faults;
  /** Webhook deliveries: `configure({lost, duplicated, lateMs, retryDelaysMs})` makes them lost, doubled or late (seeded). */
  webhooks: Pick<WebhookDeliveries, 'configure' | 'current'>;
  /** Requests per endpoint, e.g. {"GET /pipelines/{id}/latest-releases": 3, "GET /github/repos/{owner}/{repo}/compare/{basehead}": 1}. */
  requestCounts(): Record<string, number>;
  resetCounts(): void;
  /** Heroku's answers by status since the last `resetCounts()`, e.g. {"200": 40, "429": 3} (benchmarks count 429s). */
  answerCounts(): Record<string, number>;
  /**
   * Calls `listener` with every Heroku and GitHub request as it arrives, before rate limit, auth,
   * faults or handler (so a POST delayed by a latency fault is seen when it was sent). Answers a
   * function that removes the listener. For chaos runs: when did a client really send a promotion.
   */
  onRequest(listener: (request: ArrivedRequest) => void): () => void;
  stop(): Promise<void>;
}

export interface ArrivedRequest {
  /** As `requestCounts()` names it: "POST /pipeline-promotions". */
  endpoint: string;
  /** The path below the API's prefix, e.g. "/apps/api-qa01/releases". */
  path: string;
  /** The raw body ("" when there is none). */
  body: string;
  /** Date.now() on arrival. */
  at: number;
}

type Api = (request: ApiRequest) => Promise<Reply>;

/** Starts the sandbox: one HTTP server on 127.0.0.1 serving Heroku at /, GitHub under /github and the scenario API under /_sandbox. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const token = options.token ?? `sandbox-${randomHex(16)}`;
  const store = new Store();
  const platform = new Platform(store, {
    promotionDelayMs: options.promotionDelayMs ?? 1_500,
    releasePhaseMs: options.releasePhaseMs ?? 500,
  });
  followPromotionTargets(platform);
  const limiter = new RateLimiter({ ...HEROKU_RATE_LIMIT, ...options.rateLimit });
  limiter.bucket(token); // exists from the start, so setRateLimit({remaining}) applies before the first call
  const scenario = new Scenario(platform, limiter);
  const faults = new Faults({ limiter, seed: options.seed });
  const webhooks = new WebhookDeliveries(platform, { seed: faults.seed });

  const counts = new Map<string, number>();
  const listeners = new Set<(request: ArrivedRequest) => void>();
  const answers = new Map<string, number>();
  const answered = (status: number) => answers.set(String(status), (answers.get(String(status)) ?? 0) + 1);
  const count = (endpoint: string, request: ApiRequest) => {
    counts.set(endpoint, (counts.get(endpoint) ?? 0) + 1);
    if (listeners.size === 0) return;
    const arrived = { endpoint, path: request.path, body: request.body, at: Date.now() };
    for (const listener of listeners) listener(arrived);
  };
  let origin = '';
  const apis: [prefix: string, api: Api][] = [
    ['/_sandbox/faults', faultsApi(faults)],
    ['/_sandbox/webhooks', webhooksApi(webhooks)],
    ['/_sandbox', scenarioApi(scenario)],
    ['/github', githubApi({ store, token, baseUrl: () => `${origin}/github`, faults: faults.hook, count })],
    ['/id', herokuIdentityApi(platform.people)],
    ['', herokuApi({ platform, token, limiter, faults: faults.hook, count, answered })],
  ];

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
    const [prefix, api] = apis.find(([prefix]) => prefix === '' || path === prefix || path.startsWith(`${prefix}/`))!;
    try {
      const reply = await api(await readRequest(req, prefix));
      if (!sendBroken(res, reply)) send(res, reply);
    } catch (error) {
      if (!(error instanceof HttpError)) console.error('[sandbox] request failed:', error);
      send(res, error instanceof HttpError ? error.reply : { status: 500, body: { message: 'sandbox error' } });
    }
  }

  const server = createServer((req, res) => void serve(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let stopped: Promise<void> | undefined;
  return {
    herokuUrl: origin,
    githubUrl: `${origin}/github`,
    identityUrl: `${origin}/id`,
    token,
    scenario,
    faults,
    webhooks,
    requestCounts: () => Object.fromEntries(counts),
    resetCounts: () => {
      counts.clear();
      answers.clear();
    },
    answerCounts: () => Object.fromEntries(answers),
    onRequest(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    stop() {
      stopped ??= (async () => {
        platform.stop();
        faults.stop();
        await webhooks.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return stopped;
    },
  };
}
