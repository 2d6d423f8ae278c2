import { createHash } from 'node:crypto';
import type Heroku from 'heroku-client';
import type { Octokit } from 'octokit';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Budget, type BudgetSettings, type Count, type Priority } from '../domain/budget';
import type { Service } from './errors';

export type { BudgetSettings, Priority } from '../domain/budget';

/**
 * Activities whose calls go ahead of routine looks: a promotion's polls, a rollback, a release phase
 * watched, and the costly facts that decide a promotion (a target's formation and preboot, a commit's
 * CI): a pass asks them only for a candidate the gates that need no I/O let through, or to confirm a
 * decided one. Routine, they waited behind every other pipeline's next look right after their own
 * pipeline's observation was served, gave up, and the pass began again with another observation.
 */
const PROMOTION_ACTIVITIES = new Set(['promote', 'rollback', 'awaitRelease', 'zeroDowntimeFacts', 'ciFacts']);

/** The longest a call waits in-process for its turn; then its activity is retried when its turn comes. */
const MAX_WAIT_MS = 10_000;
/** A person's command (apply) waits longer: there is no activity to retry it. */
const PERSON_WAIT_MS = 120_000;
/** No retry is told to wait less or more than this. */
const MIN_RETRY_MS = 1_000;
const MAX_RETRY_MS = 15 * 60_000;

/** Who is calling and how long it may wait, read from the activity running now (none: a person's command). */
export interface Caller {
  priority: Priority;
  /** Fairness key: the workflow (one pipeline) the call is made for. */
  key: string;
  waitCapMs: number;
  /** What the call is for, in the budget's tally: the activity's type, or `person` / `background`. */
  kind?: string;
  /** The activity attempt the call is part of: its later calls continue it (domain/budget.ts). */
  attempt?: string;
}

/** Outside any activity: a person's command (apply), unless the client says it works in the background. */
const PERSON: Caller = { priority: 'person', key: 'person', waitCapMs: PERSON_WAIT_MS, kind: 'person' };
/** A worker's own background chore (re-confirming webhook subscriptions): routine, never inside the reserve. */
export const BACKGROUND: Caller = {
  priority: 'routine',
  key: 'background',
  waitCapMs: PERSON_WAIT_MS,
  kind: 'background',
};

/** The caller of the code running now: the activity's workflow and type, or `outside` when no activity runs. */
export function currentCaller(outside: Caller = PERSON): Caller {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return outside;
  }
  const info = context.info;
  // A waiting call must not outlive its activity's heartbeat timeout or deadline: a third of either at most.
  const caps = [
    MAX_WAIT_MS,
    info.startToCloseTimeoutMs / 3,
    ...(info.heartbeatTimeoutMs ? [info.heartbeatTimeoutMs / 4] : []),
  ];
  return {
    priority: PROMOTION_ACTIVITIES.has(info.activityType) ? 'promotion' : 'routine',
    key: info.workflowExecution?.workflowId ?? info.activityId,
    waitCapMs: Math.max(0, Math.min(...caps)),
    kind: info.activityType,
    attempt: `${info.workflowExecution?.runId ?? ''}/${info.activityId}/${info.attempt}`,
  };
}

/** What one kind of caller got from the budget: calls sent after waiting their turn, sent at once (POSTs), given up (retried later), answered 429. */
export interface Tally {
  granted: number;
  taken: number;
  gaveUp: number;
  limited: number;
}

const clampRetry = (ms: number) => Math.round(Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, ms)));

/**
 * One token's budget in this process (see domain/budget.ts for the policy): calls wait here for their
 * turn, answers tell it the API's count, a free count is asked when short and the last one is stale.
 */
export class ApiBudget {
  readonly budget: Budget;
  private readonly grants = new Map<number, () => void>();
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private counting = false;
  private countFailedAt = -Infinity;
  private readonly tallies = new Map<string, Tally>();

  constructor(
    readonly api: Service,
    settings: BudgetSettings,
    private counter?: () => Promise<Count>,
    private readonly now: () => number = Date.now,
  ) {
    this.budget = new Budget(settings);
  }

  /** The free count (Heroku: GET /account/rate-limits), when the first client of this token is made. */
  countWith(counter: () => Promise<Count>): void {
    this.counter ??= counter;
  }

  /**
   * Waits for this call's turn. A call that would wait longer than its caller may fails with a
   * retryable `<Api>RateLimited` whose `nextRetryDelay` is when its turn comes; its pipeline keeps its place.
   */
  async acquire(caller: Caller = currentCaller()): Promise<number> {
    const id = this.budget.enqueue(caller.priority, caller.key, this.now(), caller.attempt);
    const granted = new Promise<void>((resolve) => this.grants.set(id, resolve));
    this.pump();
    if (!this.grants.has(id)) return this.tallied(caller, 'granted', id);
    const signal = safeSignal();
    let timeout: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const gaveUp = new Promise<'timeout' | 'cancelled'>((resolve) => {
      timeout = setTimeout(() => resolve('timeout'), caller.waitCapMs);
      onAbort = () => resolve('cancelled');
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const outcome = await Promise.race([granted.then(() => 'granted' as const), gaveUp]);
    clearTimeout(timeout);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    // Granted in the same moment it gave up: the turn is taken, so the call goes (or, cancelled, gives it back).
    const grantedMeanwhile = !this.grants.has(id);
    if (outcome === 'granted' || (grantedMeanwhile && outcome === 'timeout'))
      return this.tallied(caller, 'granted', id);
    if (grantedMeanwhile) this.finished(id);
    const now = this.now();
    const ahead = this.budget.ahead(id, now);
    this.budget.cancel(id);
    this.grants.delete(id);
    if (outcome === 'cancelled') throw signal?.reason ?? new Error('cancelled while waiting for the API budget');
    const delay = clampRetry(this.budget.retryDelayMs(caller.priority, now, ahead));
    this.tallied(caller, 'gaveUp', id);
    const { reserve } = this.budget.settings;
    throw ApplicationFailure.create({
      // The same words every time (status and the 'blocked' notice compare them); the wait is in nextRetryDelay.
      message: `${this.api} API budget short: the token's pool is down to the ${reserve} requests kept for people; waiting for this pipeline's turn`,
      type: `${this.api}RateLimited`,
      nonRetryable: false,
      nextRetryDelay: delay,
    });
  }

  /** A call that does not wait for its turn (a confirmed promotion's POST): it is counted all the same. */
  take(caller: Caller = currentCaller()): number {
    return this.tallied(caller, 'taken', this.budget.take(this.now()));
  }

  /** What each kind of caller (activity type, `person`, `background`) got from this budget so far. */
  tally(): Record<string, Tally> {
    return Object.fromEntries([...this.tallies].map(([kind, t]) => [kind, { ...t }]));
  }

  private tallied(caller: Caller, what: keyof Tally, id: number): number {
    const kind = caller.kind ?? caller.priority;
    let tally = this.tallies.get(kind);
    if (!tally) this.tallies.set(kind, (tally = { granted: 0, taken: 0, gaveUp: 0, limited: 0 }));
    tally[what]++;
    return id;
  }

  /** An answer's count (`RateLimit-Remaining`, `X-RateLimit-Remaining`). */
  counted(count: Count): void {
    this.budget.counted(count, this.now());
    this.pump();
  }

  /** The granted (or taken) call with this ticket ended. */
  finished(ticket: number): void {
    this.budget.finished(ticket);
    this.pump();
  }

  /** A 429: the pool is empty; answers how long a call of `priority` should wait before it asks again. */
  limited(priority: Priority, resetAt?: number, caller?: Caller): number {
    const now = this.now();
    if (caller) this.tallied(caller, 'limited', 0);
    this.budget.limited(now, resetAt);
    this.pump();
    return clampRetry(this.budget.retryDelayMs(priority, now));
  }

  private pump(): void {
    const now = this.now();
    if (this.counter && this.budget.needsCount(now) && now - this.countFailedAt >= this.budget.settings.staleMs) {
      this.count();
      return;
    }
    for (const id of this.budget.grant(now)) {
      this.grants.get(id)?.();
      this.grants.delete(id);
    }
    const at = this.budget.nextGrantAt(now);
    if (at !== undefined) this.wakeAt(Math.max(at, now + 1));
  }

  private count(): void {
    if (this.counting || !this.counter) return;
    this.counting = true;
    this.counter()
      .then((count) => this.budget.counted(count, this.now()))
      .catch(() => {
        this.countFailedAt = this.now();
      })
      .finally(() => {
        this.counting = false;
        this.pump();
      });
  }

  private wakeAt(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(1, at - this.now()),
    );
    this.timer.unref();
  }
}

function safeSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

const budgets = new Map<string, ApiBudget>();

/** The one budget of this process for a token of an API at a base URL (the token itself is not kept, only its digest). */
export function sharedBudget(api: Service, baseUrl: string, token: string, settings: BudgetSettings): ApiBudget {
  const key = `${api} ${baseUrl} ${createHash('sha256').update(token).digest('hex')}`;
  let budget = budgets.get(key);
  if (!budget) {
    budget = new ApiBudget(api, settings);
    budgets.set(key, budget);
  }
  return budget;
}

type HerokuRequest = Heroku['request'];

/** Paths Heroku answers without taking a token. */
const FREE = new Set(['/account/rate-limits']);

/**
 * Every heroku-client request through the budget: it waits its turn, and a 429 tells the budget the
 * pool is empty and its error carries `Retry-After` from the bucket (classify turns that into the
 * activity's `nextRetryDelay`). POSTs never wait. Counts come from the answers (the client's middleware).
 */
export function budgetHeroku(heroku: Heroku, budget: ApiBudget, outside?: Caller): Heroku {
  const request: HerokuRequest = heroku.request.bind(heroku);
  budget.countWith(async () => {
    const answer: { remaining?: unknown } | undefined = await request({ method: 'GET', path: '/account/rate-limits' });
    if (typeof answer?.remaining !== 'number') throw new Error('no remaining in /account/rate-limits');
    return { remaining: answer.remaining };
  });
  heroku.request = (async (options: Parameters<HerokuRequest>[0]) => {
    if (FREE.has(String(options.path))) return request(options);
    const caller = currentCaller(outside);
    const ticket =
      (options.method ?? 'GET').toUpperCase() === 'POST' ? budget.take(caller) : await budget.acquire(caller);
    try {
      return await request(options);
    } catch (error) {
      const e = error as { statusCode?: number; headers?: Record<string, string> };
      if (e?.statusCode === 429) {
        const wait = budget.limited(caller.priority, undefined, caller);
        e.headers = { ...e.headers, 'retry-after': String(Math.ceil(wait / 1000)) };
      }
      throw error;
    } finally {
      budget.finished(ticket);
    }
  }) as HerokuRequest;
  return heroku;
}

/** A count from an answer's header value, when it carries one. */
export function headerCount(remaining: string | null | undefined, resetSeconds?: string | null): Count | undefined {
  if (remaining === null || remaining === undefined || remaining === '') return undefined;
  const value = Number(remaining);
  if (!Number.isFinite(value) || value < 0) return undefined;
  const reset = Number(resetSeconds);
  return {
    remaining: value,
    ...(resetSeconds && Number.isFinite(reset) && reset > 0 ? { resetAt: reset * 1000 } : {}),
  };
}

/**
 * Every octokit request through the budget: it waits its turn, and each answer's
 * `X-RateLimit-Remaining` (and `X-RateLimit-Reset`) is the count. A rate-limited answer (429, or 403
 * with nothing left) empties the pool until its reset; classify sets the retry from the same headers.
 */
export function budgetOctokit(octokit: Octokit, budget: ApiBudget): Octokit {
  octokit.hook.wrap('request', async (request, options) => {
    const ticket = await budget.acquire();
    try {
      const response = await request(options);
      const count = headerCount(response.headers['x-ratelimit-remaining'], response.headers['x-ratelimit-reset']);
      if (count) budget.counted(count);
      return response;
    } catch (error) {
      const e = error as { status?: number; response?: { headers?: Record<string, string | undefined> } };
      const headers = e.response?.headers ?? {};
      const count = headerCount(headers['x-ratelimit-remaining'], headers['x-ratelimit-reset']);
      if (e.status === 429 || (e.status === 403 && count?.remaining === 0)) budget.limited('routine', count?.resetAt);
      else if (count) budget.counted(count);
      throw error;
    } finally {
      budget.finished(ticket);
    }
  });
  return octokit;
}
