import { randomSeed, randomStream } from './random';
import { brokenReply, destroyed } from './reply';
import {
  faultRuleInput,
  type FaultApi,
  type FaultKind,
  type FaultRule,
  type FaultRuleState,
  type FaultTotals,
} from './rules';
import { herokuError, RATE_LIMITED } from '../heroku/errors';
import { HttpError, type Reply, type RoutedCall } from '../http';
import type { RateLimiter } from '../heroku/rate-limit';
import { checked, ScenarioError } from '../scenario/input';

export type { FaultKind, FaultRule, FaultRuleState, FaultTotals } from './rules';

export type ApiName = FaultApi;

/**
 * The slot for fault injection. It sees every routed, authenticated, rate-limited API call just
 * before its handler and may answer instead (an error status, a delay, a broken body) or pass it on
 * with `next()`. `Faults.hook` fills it; `passThrough` is the hook that injects nothing.
 */
export type FaultHook = (api: ApiName, call: RoutedCall, next: () => Promise<Reply>) => Promise<Reply>;

export const passThrough: FaultHook = (_api, _call, next) => next();

/** The endpoint as `requestCounts()` names it: "GET /apps/{app}/releases", "GET /github/repos/{owner}/{repo}/compare/{basehead}". */
export const endpointOf = (api: ApiName, call: RoutedCall): string =>
  `${call.method} ${api === 'github' ? '/github' : ''}${call.template}`;

interface ActiveRule extends FaultRuleState {
  random: () => number;
}

const HEROKU_ERROR_IDS: Record<number, [id: string, message: string]> = {
  500: ['internal_server_error', 'Internal server error.'],
  502: ['bad_gateway', 'Bad gateway.'],
  503: ['service_unavailable', 'The service is temporarily unavailable.'],
  504: ['gateway_timeout', 'Gateway timeout.'],
  401: ['unauthorized', 'Invalid credentials provided.'],
  403: ['forbidden', 'You do not have access to the app.'],
};

const GITHUB_DOCS = 'https://docs.github.com/rest';

const githubError = (status: number, message: string, headers?: Record<string, string>): Reply => ({
  status,
  body: { message, documentation_url: GITHUB_DOCS, status: String(status) },
  headers,
});

/** An HTML page where JSON was due, as a misbehaving proxy or load balancer sends it. */
const NOT_JSON =
  '<!DOCTYPE html>\n<html><head><title>Application Error</title></head><body><h1>Something went wrong</h1></body></html>\n';

export interface FaultsOptions {
  /** Emptied by `rate-limit-storm` faults on Heroku endpoints. */
  limiter: RateLimiter;
  /** Seeds the randomness of rules with a `rate` below 1; random (and shown by `seed`) when absent. */
  seed?: number;
}

/**
 * Fault injection per endpoint: rules that make calls fail the way real APIs and networks do, for
 * "safe failure" tests and chaos runs.
 *
 * A call goes through the rules in the order they were injected. Each rule whose `api`/`endpoint`
 * matches and whose `count` is not used up fires with probability `rate` (a seeded stream per rule).
 * A firing `latency` rule waits, then the call goes on to the next rules; any other firing rule answers
 * the call, and later rules do not see it.
 *
 * - `error`, `rate-limit-storm`, `reset` answer BEFORE the handler: the call did not act (a faulted
 *   POST /pipeline-promotions promoted nothing).
 * - `latency` waits before the handler.
 * - `reset-after`, `malformed`, `truncated` run the handler FIRST and break its answer: the call acted
 *   (a promotion was posted) but the client cannot tell.
 */
export class Faults {
  private readonly rules = new Map<string, ActiveRule>();
  private readonly limiter: RateLimiter;
  private currentSeed: number;
  private nextId = 1;
  private totalsSoFar: FaultTotals;
  private readonly sleepers = new Set<() => void>();
  private stopped = false;

  constructor(options: FaultsOptions) {
    this.limiter = options.limiter;
    this.currentSeed = (options.seed ?? randomSeed()) >>> 0;
    this.totalsSoFar = this.emptyTotals();
  }

  /** The seed of the rules' randomness. */
  get seed(): number {
    return this.currentSeed;
  }

  /** Reseeds: every rule's random stream restarts from `seed` (their counts stay). */
  reseed(seed: number): void {
    if (!Number.isInteger(seed)) throw new ScenarioError('seed: must be an integer');
    this.currentSeed = seed >>> 0;
    this.totalsSoFar.seed = this.currentSeed;
    for (const rule of this.rules.values()) rule.random = randomStream(this.currentSeed, rule.id);
  }

  /** Adds a rule (after the others); answers it as `list()` shows it. Throws a ScenarioError for a bad rule or a taken id. */
  inject(rule: FaultRule): FaultRuleState {
    const spec = checked(faultRuleInput, rule);
    const id = spec.id ?? this.freshId();
    if (this.rules.has(id)) throw new ScenarioError(`id: a fault rule ${id} exists already`);
    const active: ActiveRule = {
      id,
      api: spec.api ?? null,
      endpoint: spec.endpoint ?? null,
      kind: spec.kind,
      rate: spec.rate ?? 1,
      count: spec.count ?? null,
      status: spec.kind === 'error' ? (spec.status ?? 503) : null,
      delayMs: spec.delayMs ?? null,
      matched: 0,
      fired: 0,
      exhausted: false,
      random: randomStream(this.currentSeed, id),
    };
    this.rules.set(id, active);
    return stateOf(active);
  }

  /** Removes one rule, or every rule; answers how many went. Totals are kept. Does not refill a bucket a storm emptied. */
  clear(id?: string): number {
    if (id === undefined) {
      const n = this.rules.size;
      this.rules.clear();
      return n;
    }
    return this.rules.delete(id) ? 1 : 0;
  }

  /** The rules, in the order they apply, with how often each matched and fired. */
  list(): FaultRuleState[] {
    return [...this.rules.values()].map(stateOf);
  }

  /** Every fault applied since the start or `resetTotals()` (rules cleared since included), and the seed. */
  totals(): FaultTotals {
    return structuredClone(this.totalsSoFar);
  }

  resetTotals(): void {
    this.totalsSoFar = this.emptyTotals();
  }

  /** Ends pending `latency` waits: their calls get no answer (the sandbox is stopping). */
  stop(): void {
    this.stopped = true;
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  /** The FaultHook the APIs call. */
  readonly hook: FaultHook = async (api, call, next) => {
    const endpoint = endpointOf(api, call);
    for (const rule of [...this.rules.values()]) {
      if (!this.fires(rule, api, endpoint)) continue;
      if (rule.kind !== 'latency') return this.apply(rule, api, next);
      if (!(await this.sleep(rule.delayMs ?? 0))) return destroyed();
    }
    return next();
  };

  private fires(rule: ActiveRule, api: ApiName, endpoint: string): boolean {
    if (rule.api && rule.api !== api) return false;
    if (rule.endpoint !== null && rule.endpoint !== endpoint) return false;
    if (this.rules.get(rule.id) !== rule || rule.exhausted) return false; // cleared (or replaced) during a latency wait, or used up
    rule.matched += 1;
    if (rule.rate < 1 && !(rule.random() < rule.rate)) return false;
    rule.fired += 1;
    rule.exhausted = rule.count !== null && rule.fired >= rule.count;
    this.record(rule.kind, endpoint);
    return true;
  }

  private async apply(rule: ActiveRule, api: ApiName, next: () => Promise<Reply>): Promise<Reply> {
    switch (rule.kind) {
      case 'error': {
        const status = rule.status ?? 503;
        if (api === 'github')
          return githubError(
            status,
            status === 401
              ? 'Bad credentials'
              : status === 403
                ? 'Resource not accessible by integration'
                : status === 503
                  ? 'Service Unavailable'
                  : 'Server Error',
          );
        const [id, message] = HEROKU_ERROR_IDS[status] ?? HEROKU_ERROR_IDS[500];
        return herokuError(status, id, message);
      }
      case 'rate-limit-storm':
        if (api === 'github') return githubRateLimited();
        this.limiter.change({ remaining: 0 });
        return RATE_LIMITED;
      case 'reset':
        return destroyed();
      case 'reset-after':
        await answered(next);
        return destroyed();
      case 'malformed': {
        const reply = await answered(next);
        return brokenReply(reply, { kind: 'raw', text: NOT_JSON });
      }
      case 'truncated': {
        const reply = await answered(next);
        const text = JSON.stringify(reply.body ?? null);
        return brokenReply(reply, { kind: 'raw', text: text.slice(0, Math.floor(text.length / 2)) });
      }
      case 'latency':
        return next();
    }
  }

  /** Waits `ms`; false when the sandbox stopped meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve(!this.stopped);
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private record(kind: FaultKind, endpoint: string): void {
    const totals = this.totalsSoFar;
    totals.fired += 1;
    totals.byKind[kind] = (totals.byKind[kind] ?? 0) + 1;
    const perEndpoint = (totals.byEndpoint[endpoint] ??= {});
    perEndpoint[kind] = (perEndpoint[kind] ?? 0) + 1;
  }

  private freshId(): string {
    while (this.rules.has(`fault-${this.nextId}`)) this.nextId += 1;
    return `fault-${this.nextId++}`;
  }

  private emptyTotals(): FaultTotals {
    return { seed: this.currentSeed, fired: 0, byKind: {}, byEndpoint: {} };
  }
}

function stateOf(rule: ActiveRule): FaultRuleState {
  const { random: _random, ...state } = rule;
  return { ...state };
}

/** The handler's reply, or the error reply it threw (a 404, a 422...). */
async function answered(next: () => Promise<Reply>): Promise<Reply> {
  try {
    return await next();
  } catch (error) {
    if (error instanceof HttpError) return error.reply;
    throw error;
  }
}

/** GitHub's primary rate limit: 403 with X-RateLimit-Remaining 0 and the reset a minute away (this call only: GitHub calls are not limited otherwise). */
function githubRateLimited(): Reply {
  return githubError(
    403,
    'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.',
    {
      'X-RateLimit-Limit': '5000',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Used': '5000',
      'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + 60),
    },
  );
}
