/**
 * One API token's request budget, as pure policy (no timers, no I/O; the clock is passed in).
 *
 * The API counts what is left (`RateLimit-Remaining`, `X-RateLimit-Remaining`) across everyone using
 * the token: every worker, people, CI. Each answer tells the budget that count; in between it adds the
 * refill and takes off what is in flight. Calls wait their turn:
 * - nothing automatic takes the pool below the **reserve** (people's share); a person's own command
 *   (`conveyor apply`) may use the reserve, never the last token;
 * - a person's command first, then promotions (their polls, rollbacks, release watches), then routine
 *   calls (observations, formation and CI checks);
 * - among calls of one rank, the one whose pipeline was served longest ago goes first (a pipeline
 *   never served goes before all; served counts per priority: a pipeline's promotion polls and
 *   release watches do not spend its turn to be observed), so when the budget is short every
 *   pipeline is observed in turn
 *   and none starves; a pipeline whose call gave up keeps its place for when it comes back;
 * - after a person's command, a call that continues an attempt already served (an observation's
 *   slug or release history after its latest-releases, a promotion's next poll) goes first, oldest
 *   attempt first, even before a promotion's fresh call: the tokens its attempt spent are wasted if
 *   it gives up or times out and starts again, and behind every other pipeline's next look it would
 *   wait a whole round. Near the reserve a fresh call goes only when no continuing call waits, so
 *   few attempts are open at once and a promotion waits for a few calls at most;
 * - a 429 says the pool is empty now: nothing goes until it has refilled above the floor again;
 * - short (near the reserve), one call at a time: every answer's count, which includes what other
 *   workers and people spent, decides the next; so several workers on one token overshoot the reserve
 *   by at most about one call each, whatever their number of pipelines.
 */

/** Who asks: a person's own command, a promotion, or a routine look. */
export type Priority = 'person' | 'promotion' | 'routine';

const RANK: Record<Priority, number> = { person: 0, promotion: 1, routine: 2 };

export interface BudgetSettings {
  /** The pool's size: Heroku 4,500 per token, GitHub 5,000 an hour. */
  pool: number;
  /** Continuous refill (Heroku: 75 a minute); absent for a window that refills at once at its reset (GitHub). */
  refillPerMinute?: number;
  /** Requests kept for people: no automatic call takes the pool below this. */
  reserve: number;
  /** When the budget is short and the last count is older than this, count again (free) before spending. */
  staleMs: number;
}

/** A count the API gave: what is left, when, and (a window) when it is full again. */
export interface Count {
  remaining: number;
  resetAt?: number;
}

interface Waiter {
  id: number;
  priority: Priority;
  key: string;
  since: number;
  /** The attempt (one activity's one try) the call is part of, when the caller says. */
  attempt?: string;
}

/** A call in flight longer than this no longer holds the one-at-a-time rule (its socket may never answer). */
const STUCK_MS = 10_000;

/** How many pipelines' last service the budget remembers (more than any fleet's pipelines per token). */
const REMEMBERED = 20_000;
/** An attempt first served longer ago than this is over (an activity's calls come within seconds): its calls are fresh again. */
const ATTEMPT_MS = 5 * 60_000;

/** A pipeline's turn is kept per priority: its promotion calls served do not put its observations last. */
const turnOf = (priority: Priority, key: string) => `${priority} ${key}`;

export class Budget {
  private count?: Count & { at: number };
  /** Calls granted and not ended: ticket -> when it went. */
  private readonly flying = new Map<number, number>();
  /** Calls the last count may not include yet: granted since it, and those in flight when it came. */
  private spent = 0;
  private readonly waiting: Waiter[] = [];
  private readonly served = new Map<string, number>();
  /** Attempts with a call granted: when their first one went. */
  private readonly attempts = new Map<string, number>();
  private ids = 0;

  constructor(readonly settings: BudgetSettings) {
    if (!(settings.pool > 0)) throw new Error(`a budget's pool must be more than 0 (got ${settings.pool})`);
    if (!(settings.reserve >= 0 && settings.reserve < settings.pool))
      throw new Error(
        `a budget's reserve must be at least 0 and less than its pool ${settings.pool} (got ${settings.reserve})`,
      );
  }

  /** The lowest the pool may go for a call of this priority. */
  floor(priority: Priority): number {
    return priority === 'person' ? 0 : this.settings.reserve;
  }

  /** Whether a count has been seen yet. */
  get known(): boolean {
    return this.count !== undefined;
  }

  /** What is left now, by the last count, the refill since and the calls made since (the whole pool before any count). */
  estimate(now: number): number {
    return this.refilled(now) - this.spent;
  }

  /** Calls waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Short: close enough to the reserve that a stale count could spend other workers' share. */
  short(now: number): boolean {
    return this.estimate(now) < this.settings.reserve + Math.max(10, this.settings.pool / 100);
  }

  /** Whether to count again (free) before spending: no count yet, or short on one that is stale. */
  needsCount(now: number): boolean {
    if (!this.count) return true;
    return this.waiting.length > 0 && this.short(now) && now - this.count.at >= this.settings.staleMs;
  }

  /**
   * A call that waits its turn; answers its ticket (the same once granted). `attempt` names the
   * activity attempt it belongs to: once one of its calls went, the others continue it (see above).
   */
  enqueue(priority: Priority, key: string, now: number, attempt?: string): number {
    const id = ++this.ids;
    this.waiting.push({ id, priority, key, since: now, ...(attempt !== undefined ? { attempt } : {}) });
    return id;
  }

  /** A waiting call that gave up (it keeps its pipeline's place: see `served`). */
  cancel(id: number): void {
    const at = this.waiting.findIndex((w) => w.id === id);
    if (at >= 0) this.waiting.splice(at, 1);
  }

  /** A call that does not wait (a promotion's POST, once decided and confirmed): counted, granted; answers its ticket. */
  take(now: number): number {
    const id = ++this.ids;
    this.fly(id, now);
    return id;
  }

  private fly(id: number, now: number): void {
    this.flying.set(id, now);
    this.spent++;
  }

  /** Calls in flight for less than STUCK_MS: one that never answers must not hold the budget for ever. */
  private flyingNow(now: number): number {
    let young = 0;
    for (const since of this.flying.values()) if (now - since < STUCK_MS) young++;
    return young;
  }

  /** The waiting calls the pool allows now, best first; they are in flight from here. */
  grant(now: number): number[] {
    const granted: number[] = [];
    for (const waiter of this.ordered(now)) {
      // Floors only rise down the order, so once one must wait every later one must too.
      if (this.estimate(now) - this.floor(waiter.priority) < 1) break;
      // Short: one call at a time, so each answer's count (other workers' spending in it) decides the next.
      if (this.flyingNow(now) > 0 && this.short(now)) break;
      this.cancel(waiter.id);
      this.fly(waiter.id, now);
      const turn = turnOf(waiter.priority, waiter.key);
      this.served.delete(turn);
      this.served.set(turn, now);
      if (this.served.size > REMEMBERED) this.served.delete(this.served.keys().next().value!);
      if (waiter.attempt !== undefined && !this.attempts.has(waiter.attempt)) {
        this.attempts.set(waiter.attempt, now);
        if (this.attempts.size > REMEMBERED) this.attempts.delete(this.attempts.keys().next().value!);
      }
      granted.push(waiter.id);
    }
    return granted;
  }

  /** The call with this ticket ended (answered or not: one that got no answer stays spent until the next count). */
  finished(id: number): void {
    this.flying.delete(id);
  }

  /** The API's count, from an answer or a free count. Calls still in flight may not be in it: they stay spent. */
  counted(count: Count, now: number): void {
    this.count = { ...count, at: now };
    this.spent = this.flying.size;
  }

  /** A 429: the pool is empty now (a window: until `resetAt`). */
  limited(now: number, resetAt?: number): void {
    this.counted({ remaining: 0, ...(resetAt !== undefined ? { resetAt } : {}) }, now);
  }

  /** When the first waiting call can go (undefined: none waits). Answers in flight may make it sooner. */
  nextGrantAt(now: number): number | undefined {
    const [first] = this.ordered(now);
    if (!first) return undefined;
    const refilled = now + this.waitMs(this.floor(first.priority) + 1, now);
    if (!this.short(now) || this.flyingNow(now) === 0) return refilled;
    // One at a time: the next goes when the call in flight answers, or once it counts as stuck.
    const young = [...this.flying.values()].filter((since) => now - since < STUCK_MS);
    return Math.max(refilled, Math.min(...young) + STUCK_MS);
  }

  /**
   * How long until a call of this priority would get its turn, `ahead` calls being served first: the
   * wait a call that gives up is told (the activity's `nextRetryDelay`), and a 429's.
   */
  retryDelayMs(priority: Priority, now: number, ahead = 0): number {
    return this.waitMs(this.floor(priority) + 1 + ahead, now);
  }

  /** How many waiting calls are served before the call with this ticket. */
  ahead(id: number, now?: number): number {
    const at = this.ordered(now).findIndex((w) => w.id === id);
    return at < 0 ? 0 : at;
  }

  /** Until the estimate reaches `level`, by the refill (a window: its reset). */
  private waitMs(level: number, now: number): number {
    const missing = level - this.estimate(now);
    if (missing <= 0) return 0;
    const { refillPerMinute } = this.settings;
    if (refillPerMinute !== undefined && refillPerMinute > 0) return Math.ceil((missing * 60_000) / refillPerMinute);
    const resetAt = this.count?.resetAt;
    return resetAt !== undefined && resetAt > now ? resetAt - now : this.settings.staleMs;
  }

  private refilled(now: number): number {
    const { pool, refillPerMinute } = this.settings;
    const count = this.count;
    if (!count) return pool;
    const cap = Math.max(pool, count.remaining);
    if (refillPerMinute === undefined)
      return count.resetAt !== undefined && now >= count.resetAt ? cap : count.remaining;
    return Math.min(cap, count.remaining + (Math.max(0, now - count.at) * refillPerMinute) / 60_000);
  }

  /** When the attempt of this call first went, if it is one that continues (Infinity: a fresh call). */
  private continues(waiter: Waiter, now: number): number {
    const at = waiter.attempt === undefined ? undefined : this.attempts.get(waiter.attempt);
    return at !== undefined && now - at < ATTEMPT_MS ? at : Infinity;
  }

  private ordered(now = this.latest()): Waiter[] {
    const lastServed = (w: Waiter) => this.served.get(turnOf(w.priority, w.key)) ?? -Infinity;
    const earlier = (x: number, y: number) => (x < y ? -1 : x > y ? 1 : 0);
    // A person first; then every call that continues an attempt; then fresh calls by priority.
    const rank = (w: Waiter) =>
      w.priority === 'person' ? 0 : this.continues(w, now) !== Infinity ? 1 : 1 + RANK[w.priority];
    return [...this.waiting].sort(
      (a, b) =>
        rank(a) - rank(b) ||
        earlier(this.continues(a, now), this.continues(b, now)) ||
        earlier(lastServed(a), lastServed(b)) ||
        a.since - b.since ||
        a.id - b.id,
    );
  }

  /** The latest moment the budget has heard of (for ordering where no clock is passed). */
  private latest(): number {
    let at = this.count?.at ?? 0;
    for (const since of this.flying.values()) at = Math.max(at, since);
    for (const w of this.waiting) at = Math.max(at, w.since);
    return at;
  }
}

/** "20%" of the pool, or a number of requests; a clear error naming the setting otherwise. */
export function parseReserve(text: string, pool: number, name: string): number {
  const trimmed = text.trim();
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(trimmed);
  const value = percent ? Math.floor((Number(percent[1]) / 100) * pool) : /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isFinite(value) || value < 0 || value >= pool)
    throw new Error(
      `${name} '${text}' is not a reserve: a share of the pool such as 20% or a number of requests below ${pool}`,
    );
  return value;
}
