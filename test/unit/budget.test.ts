import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Budget, parseReserve, type BudgetSettings, type Priority } from '../../domain/budget';
import { settledGreen } from '../../activities/ci';

/** Heroku's pool, refill and the default reserve (20 %). */
const HEROKU: BudgetSettings = { pool: 4_500, refillPerMinute: 75, reserve: 900, staleMs: 2_000 };
const MS_PER_TOKEN = 800;

/** The API's side: a token bucket like Heroku's, which every caller of the token draws from. */
class Bucket {
  level: number;
  at = 0;
  constructor(
    level: number,
    readonly settings: BudgetSettings,
  ) {
    this.level = level;
  }
  take(now: number): boolean {
    this.level = Math.min(this.settings.pool, this.level + ((now - this.at) * this.settings.refillPerMinute!) / 60_000);
    this.at = now;
    if (this.level < 1) return false;
    this.level -= 1;
    return true;
  }
}

/** Grants at `now` as the calls' answers come back one by one (near the reserve the budget lets one go at a time). */
function grantAll(budget: Budget, now: number): number[] {
  const granted: number[] = [];
  for (let next = budget.grant(now); next.length > 0; next = budget.grant(now)) {
    granted.push(...next);
    for (const id of next) budget.finished(id);
  }
  return granted;
}

/**
 * Every `tickMs` the budget grants what it may; each granted call takes a token from the bucket and
 * its answer tells the budget the count. `wants(key)` says how many calls a pipeline has waiting:
 * a pipeline asks again as soon as one of its calls is answered (it is always behind).
 */
function run(
  budget: Budget,
  bucket: Bucket,
  callers: { key: string; priority: Priority; parallel: number }[],
  untilMs: number,
  tickMs = 100,
) {
  const served = new Map<string, number>(callers.map((c) => [c.key, 0]));
  const owner = new Map<number, (typeof callers)[number]>();
  let refused = 0;
  let lowest = Infinity;
  for (const caller of callers)
    for (let i = 0; i < caller.parallel; i++) owner.set(budget.enqueue(caller.priority, caller.key, 0), caller);
  for (let now = 0; now <= untilMs; now += tickMs) {
    for (const id of budget.grant(now)) {
      const caller = owner.get(id)!;
      if (!bucket.take(now)) refused++;
      else served.set(caller.key, served.get(caller.key)! + 1);
      lowest = Math.min(lowest, Math.floor(bucket.level));
      budget.counted({ remaining: Math.floor(bucket.level) }, now);
      budget.finished(id);
      owner.set(budget.enqueue(caller.priority, caller.key, now), caller);
    }
  }
  return { served, refused, lowest };
}

describe('API budget: one pool per token', () => {
  test('when the budget is short, every pipeline is observed in turn and a busy one takes no more than its share', () => {
    const budget = new Budget(HEROKU);
    const bucket = new Bucket(HEROKU.reserve, HEROKU);
    budget.counted({ remaining: HEROKU.reserve }, 0);
    // 12 pipelines, one of them with 5 calls waiting at once; 60 s of refill is 75 tokens.
    const callers = Array.from({ length: 12 }, (_, i) => ({
      key: `conveyor/p${i}`,
      priority: 'routine' as const,
      parallel: i === 0 ? 5 : 1,
    }));
    const { served, refused } = run(budget, bucket, callers, 60_000);
    const counts = [...served.values()];
    assert.equal(refused, 0, 'no call was sent into an empty bucket');
    assert.ok(Math.min(...counts) >= 5, `every pipeline was served about 6 times: ${counts.join(' ')}`);
    assert.ok(
      Math.max(...counts) - Math.min(...counts) <= 1,
      `no pipeline got more than one call over another: ${counts.join(' ')}`,
    );
  });

  test('routine calls never take the pool below the reserve; a person’s own command may use it', () => {
    const budget = new Budget(HEROKU);
    const bucket = new Bucket(HEROKU.reserve + 30, HEROKU);
    budget.counted({ remaining: HEROKU.reserve + 30 }, 0);
    const { served, lowest } = run(budget, bucket, [{ key: 'conveyor/a', priority: 'routine', parallel: 50 }], 5_000);
    const refilled = Math.floor(5_000 / MS_PER_TOKEN);
    const went = served.get('conveyor/a')!;
    assert.ok(
      went >= 30 && went <= 30 + refilled,
      `the 30 requests above the reserve went, then about the refill: ${went}`,
    );
    assert.ok(lowest >= HEROKU.reserve, `the pool stayed at or above ${HEROKU.reserve}: ${lowest}`);
    budget.enqueue('person', 'person', 0);
    assert.equal(budget.grant(0).length, 1, 'a person’s command goes inside the reserve');
  });

  test('a promotion’s call goes before routine observations that waited longer', () => {
    const budget = new Budget(HEROKU);
    budget.counted({ remaining: HEROKU.reserve }, 0);
    const routine = [budget.enqueue('routine', 'conveyor/a', 0), budget.enqueue('routine', 'conveyor/b', 0)];
    const promotion = budget.enqueue('promotion', 'conveyor/c', 500);
    assert.deepEqual(budget.grant(500), [], 'nothing above the reserve yet');
    assert.deepEqual(budget.grant(MS_PER_TOKEN), [promotion], 'the first token back goes to the promotion');
    budget.finished(promotion);
    assert.deepEqual(grantAll(budget, 3 * MS_PER_TOKEN), routine, 'then the observations, oldest first');
  });

  test('a 429 waits until the bucket has refilled above the reserve, not sooner', () => {
    const budget = new Budget(HEROKU);
    budget.counted({ remaining: 4_000 }, 0);
    budget.limited(1_000);
    budget.enqueue('routine', 'conveyor/a', 1_000);
    const wait = budget.retryDelayMs('routine', 1_000);
    assert.equal(
      wait,
      (HEROKU.reserve + 1) * MS_PER_TOKEN,
      'the retry is told when 901 tokens are back (12 min at 75/min)',
    );
    assert.deepEqual(budget.grant(1_000 + wait - MS_PER_TOKEN), [], 'one token short: still waiting');
    assert.equal(budget.grant(1_000 + wait).length, 1, 'granted once the bucket is above the reserve');
  });

  test('a pipeline whose call gave up keeps its place: it goes first when it comes back', () => {
    const budget = new Budget(HEROKU);
    budget.counted({ remaining: HEROKU.reserve + 2 }, 0);
    budget.enqueue('routine', 'conveyor/a', 0);
    budget.enqueue('routine', 'conveyor/b', 0);
    grantAll(budget, 0); // a and b were served at 0
    const late = budget.enqueue('routine', 'conveyor/late', 10);
    budget.cancel(late); // gave up (its activity retries later)
    budget.counted({ remaining: HEROKU.reserve }, 20);
    const a = budget.enqueue('routine', 'conveyor/a', 30);
    const back = budget.enqueue('routine', 'conveyor/late', 40);
    assert.equal(budget.ahead(back), 0, 'the pipeline never served is ahead of one served a moment ago');
    assert.equal(budget.ahead(a), 1);
    assert.ok(budget.retryDelayMs('routine', 40, budget.ahead(a)) > budget.retryDelayMs('routine', 40, 0));
  });

  test('a pipeline whose release watches keep being served still gets its turn to be observed', () => {
    // Seen in the bench's shared pool: a pipeline's release watch (a promotion call) was served every
    // minute, which made it the pipeline served last, so its observation never got a routine turn.
    const budget = new Budget(HEROKU);
    budget.counted({ remaining: HEROKU.reserve + 3 }, 0);
    for (const key of ['conveyor/a', 'conveyor/b']) budget.enqueue('routine', key, 0);
    grantAll(budget, 0); // a and b observed at 0
    budget.enqueue('promotion', 'conveyor/starved', 10);
    grantAll(budget, 10); // its release watch went at 10
    budget.counted({ remaining: HEROKU.reserve }, 20);
    const a = budget.enqueue('routine', 'conveyor/a', 30);
    const starved = budget.enqueue('routine', 'conveyor/starved', 40);
    assert.equal(budget.ahead(starved, 40), 0, 'never observed: its look goes first');
    assert.equal(budget.ahead(a, 40), 1);
  });

  test('near the reserve one call goes at a time, and one that never answers does not hold the others for ever', () => {
    const budget = new Budget(HEROKU);
    budget.counted({ remaining: HEROKU.reserve + 5 }, 0);
    const [hung] = [budget.enqueue('routine', 'conveyor/a', 0), budget.enqueue('routine', 'conveyor/b', 0)];
    assert.deepEqual(budget.grant(0), [hung], 'one at a time: the next waits for its answer');
    assert.deepEqual(budget.grant(5_000), [], 'still waiting for that answer');
    assert.equal(budget.nextGrantAt(5_000), 10_000, 'nothing to do before its answer, or 10 s');
    assert.equal(budget.grant(10_000).length, 1, 'a call silent for 10 s no longer holds the next');
  });

  test('a window budget (GitHub) below its reserve waits for the reset', () => {
    const github = new Budget({ pool: 5_000, reserve: 1_000, staleMs: 60_000 });
    github.counted({ remaining: 1_000, resetAt: 600_000 }, 0);
    github.enqueue('routine', 'conveyor/a', 0);
    assert.deepEqual(github.grant(300_000), [], 'at the reserve: nothing goes');
    assert.equal(github.retryDelayMs('routine', 300_000), 300_000, 'told to come back at the reset');
    assert.equal(github.grant(600_000).length, 1, 'the window reset refills the pool');
  });

  test('short and counted a while ago: count again (free) before spending', () => {
    const budget = new Budget(HEROKU);
    assert.equal(budget.needsCount(0), true, 'nothing known yet');
    budget.counted({ remaining: 4_000 }, 0);
    budget.enqueue('routine', 'conveyor/a', 0);
    assert.equal(budget.needsCount(10_000), false, 'plenty left: the estimate will do');
    budget.counted({ remaining: HEROKU.reserve + 5 }, 10_000);
    assert.equal(budget.needsCount(11_000), false, 'short but counted a moment ago');
    assert.equal(budget.needsCount(12_500), true, 'short and the count is stale: other workers may have spent it');
  });

  test('two workers on one token, each with its own budget, keep the reserve between them', () => {
    const bucket = new Bucket(HEROKU.reserve + 20, HEROKU);
    const workers = [new Budget(HEROKU), new Budget(HEROKU)];
    for (const w of workers) w.counted({ remaining: HEROKU.reserve + 20 }, 0);
    let lowest = Infinity;
    workers.forEach((w, i) => {
      for (let j = 0; j < 30; j++) w.enqueue('routine', `conveyor/w${i}-${j}`, 0);
    });
    let served = 0;
    for (let now = 0; now <= 60_000; now += 100) {
      for (const w of workers) {
        // Each worker grants on what it knows; the answers tell it what the other spent.
        for (const id of w.grant(now)) {
          if (bucket.take(now)) served++;
          lowest = Math.min(lowest, Math.floor(bucket.level));
          w.counted({ remaining: Math.floor(bucket.level) }, now);
          w.finished(id);
        }
      }
    }
    assert.ok(served >= 60, `the refill was used: ${served} calls answered`);
    // Each may overshoot by the calls it made on a count the other had already spent: a few, never the reserve.
    assert.ok(lowest >= HEROKU.reserve - 2, `the pool went no lower than a call each below the reserve: ${lowest}`);
  });

  test('a thousand pipelines on one Heroku pool: each observed about every 13 minutes, none starved, the reserve kept', () => {
    // Each pipeline asks to observe 60 s after its last observation (its tick); the pool allows 75 a minute.
    const budget = new Budget(HEROKU);
    const bucket = new Bucket(HEROKU.pool, HEROKU);
    budget.counted({ remaining: HEROKU.pool }, 0);
    const pipelines = 1_000;
    const owner = new Map<number, number>();
    let due: [number, number][] = Array.from({ length: pipelines }, (_, p) => [p, p * 60]);
    const last = new Array<number>(pipelines).fill(-1);
    let longestGap = 0;
    const observedLate = new Set<number>();
    let refused = 0;
    let lowest = Infinity;
    const settled = 30 * 60_000; // the first burst spends the pool down to the reserve; then the steady state
    for (let now = 0; now <= 75 * 60_000; now += 400) {
      const ready = due.filter(([, at]) => at <= now);
      due = due.filter(([, at]) => at > now);
      for (const [p] of ready) owner.set(budget.enqueue('routine', `conveyor/p${p}`, now), p);
      for (const id of budget.grant(now)) {
        const p = owner.get(id)!;
        if (!bucket.take(now)) refused++;
        lowest = Math.min(lowest, Math.floor(bucket.level));
        budget.counted({ remaining: Math.floor(bucket.level) }, now);
        budget.finished(id);
        if (now > settled) observedLate.add(p);
        if (now > settled && last[p] >= 0) longestGap = Math.max(longestGap, now - last[p]);
        last[p] = now;
        due.push([p, now + 60_000]);
      }
    }
    assert.equal(refused, 0, 'no request met an empty bucket');
    assert.equal(observedLate.size, pipelines, 'every pipeline was observed in the last 45 minutes');
    assert.ok(lowest >= HEROKU.reserve, `the pool never went below the reserve: ${lowest}`);
    const fair = (pipelines / HEROKU.refillPerMinute!) * 60_000;
    assert.ok(
      longestGap > 0 && longestGap <= fair + 60_000,
      `no pipeline waited much over ${fair / 60_000} min: ${longestGap / 60_000} min`,
    );
  });

  test('the reserve is a share of the pool or a number, and a bad one names its setting', () => {
    assert.equal(parseReserve('20%', 4_500, 'CONVEYOR_HEROKU_RESERVE'), 900);
    assert.equal(parseReserve('500', 4_500, 'CONVEYOR_HEROKU_RESERVE'), 500);
    assert.throws(
      () => parseReserve('lots', 4_500, 'CONVEYOR_HEROKU_RESERVE'),
      /CONVEYOR_HEROKU_RESERVE 'lots' is not a reserve/,
    );
    assert.throws(() => parseReserve('100%', 4_500, 'CONVEYOR_HEROKU_RESERVE'), /below 4500/);
  });
});

describe('API budget: an attempt once served is finished first', () => {
  test('a call that continues an attempt already served goes before other pipelines’ fresh looks', () => {
    const budget = new Budget(HEROKU);
    budget.counted({ remaining: HEROKU.reserve + 1 }, 0);
    const first = budget.enqueue('routine', 'conveyor/a', 0, 'a/observe/1');
    assert.deepEqual(grantAll(budget, 0), [first], 'the look of a takes the last token above the reserve');
    const fresh = ['b', 'c', 'd'].map((p) => budget.enqueue('routine', `conveyor/${p}`, 10));
    const next = budget.enqueue('routine', 'conveyor/a', 20, 'a/observe/1');
    budget.counted({ remaining: HEROKU.reserve }, 20);
    assert.equal(budget.ahead(next, 20), 0, 'its slug look-up is next, though a was served last');
    assert.deepEqual(budget.grant(20 + MS_PER_TOKEN), [next], 'the next token finishes the observation');
    budget.finished(next);
    assert.deepEqual(grantAll(budget, 20 + 4 * MS_PER_TOKEN), fresh, 'then the other pipelines, in turn');
  });

  const cases: { name: string; priority: Priority; attempt?: string; at: number; goesFirst: boolean }[] = [
    { name: 'a fresh call of the same pipeline waits its turn', priority: 'routine', at: 20, goesFirst: false },
    {
      name: 'a call of another attempt waits its turn',
      priority: 'routine',
      attempt: 'a/observe/2',
      at: 20,
      goesFirst: false,
    },
    {
      name: 'an attempt first served over 5 minutes ago is over',
      priority: 'routine',
      attempt: 'a/observe/1',
      at: 5 * 60_000 + 1,
      goesFirst: false,
    },
    {
      name: 'a continuing call goes before fresh ones',
      priority: 'routine',
      attempt: 'a/observe/1',
      at: 20,
      goesFirst: true,
    },
  ];
  for (const c of cases)
    test(`continuing: ${c.name}`, () => {
      const budget = new Budget(HEROKU);
      budget.counted({ remaining: HEROKU.reserve + 1 }, 0);
      const first = budget.enqueue('routine', 'conveyor/a', 0, 'a/observe/1');
      grantAll(budget, 0);
      assert.equal(budget.queued, 0, `a's first call went (${first})`);
      budget.enqueue('routine', 'conveyor/b', c.at - 10);
      const call = budget.enqueue(c.priority, 'conveyor/a', c.at, c.attempt);
      assert.equal(budget.ahead(call, c.at) === 0, c.goesFirst);
    });

  test('a started observation finishes before a promotion’s fresh call; a person’s command goes before both', () => {
    const budget = new Budget(HEROKU);
    budget.counted({ remaining: HEROKU.reserve + 1 }, 0);
    const first = budget.enqueue('routine', 'conveyor/a', 0, 'a/observe/1');
    assert.deepEqual(grantAll(budget, 0), [first]);
    const continuing = budget.enqueue('routine', 'conveyor/a', 10, 'a/observe/1');
    const promotion = budget.enqueue('promotion', 'conveyor/b', 20, 'b/promote/1');
    const person = budget.enqueue('person', 'person', 30);
    assert.equal(budget.ahead(person, 30), 0, 'a person’s command first');
    assert.equal(budget.ahead(continuing, 30), 1, 'then the observation already under way (its first call spent)');
    assert.equal(budget.ahead(promotion, 30), 2, 'then the promotion’s first call, before any fresh look');
  });

  /**
   * Pipelines whose looks take two calls (latest-releases, then a new slug) on a pool that binds: a
   * call not granted within 10 s gives up, and its look starts again from the first call. Answers the
   * looks finished and the tokens spent on looks that gave up half-way.
   */
  function looks(withAttempts: boolean) {
    const settings: BudgetSettings = { pool: 45, refillPerMinute: 45, reserve: 9, staleMs: 2_000 };
    const budget = new Budget(settings);
    const bucket = new Bucket(settings.reserve, settings);
    budget.counted({ remaining: settings.reserve }, 0);
    type Look = { pipeline: number; step: number; ticket: number; since: number; try: number };
    const open: Look[] = [];
    let finished = 0;
    let wasted = 0;
    const ask = (pipeline: number, step: number, now: number, attempt: number) => {
      const key = `conveyor/p${pipeline}`;
      const ticket = budget.enqueue('routine', key, now, withAttempts ? `${key}/observe/${attempt}` : undefined);
      open.push({ pipeline, step, ticket, since: now, try: attempt });
    };
    const retries: { pipeline: number; at: number; attempt: number }[] = [];
    for (let p = 0; p < 10; p++) ask(p, 0, 0, 1);
    for (let now = 0; now <= 10 * 60_000; now += 100) {
      for (const r of retries.filter((r) => r.at <= now)) ask(r.pipeline, 0, now, r.attempt);
      retries.splice(0, retries.length, ...retries.filter((r) => r.at > now));
      const granted = new Set(budget.grant(now));
      for (const look of [...open]) {
        if (granted.has(look.ticket)) {
          open.splice(open.indexOf(look), 1);
          bucket.take(now);
          budget.counted({ remaining: Math.floor(bucket.level) }, now);
          budget.finished(look.ticket);
          if (look.step === 0) ask(look.pipeline, 1, now, look.try);
          else {
            finished++;
            retries.push({ pipeline: look.pipeline, at: now + 1_000, attempt: look.try + 1 });
          }
        } else if (now - look.since >= 10_000) {
          // Gave up: its activity is retried, and the look starts again from its first call.
          open.splice(open.indexOf(look), 1);
          budget.cancel(look.ticket);
          if (look.step === 1) wasted++;
          retries.push({ pipeline: look.pipeline, at: now + 1_000, attempt: look.try + 1 });
        }
      }
    }
    return { finished, wasted };
  }

  test('on a pool that binds, looks of several calls finish instead of giving up half-way and starting again', () => {
    const before = looks(false);
    const after = looks(true);
    // 10 minutes of refill at 45 a minute is 450 calls: 225 two-call looks at most.
    assert.ok(
      before.finished < after.finished / 10 && before.wasted > 0,
      `without: looks gave up half-way and started again, for ever (${JSON.stringify(before)})`,
    );
    assert.equal(after.wasted, 0, `with: no look gave up half-way (${JSON.stringify(after)})`);
    assert.ok(after.finished >= 200, `with: about every token did useful work (${after.finished} looks of 225)`);
  });
});

describe('CI answers kept where they cannot change', () => {
  const run = (status: 'queued' | 'in_progress' | 'completed', conclusion: string | null = null) => ({
    name: 'build',
    status,
    conclusion,
  });
  test('a commit whose checks all passed is kept for good', () => {
    assert.equal(
      settledGreen({
        commit: 'a',
        checkRuns: [run('completed', 'success'), run('completed', 'skipped')],
        statuses: [{ context: 'ci', state: 'success' }],
      }),
      true,
    );
  });
  test('a completed failure is asked again: a re-run can turn it green', () => {
    assert.equal(settledGreen({ commit: 'a', checkRuns: [run('completed', 'failure')], statuses: [] }), false);
  });
  test('a check still running, a pending status, or no report yet is asked again', () => {
    assert.equal(settledGreen({ commit: 'a', checkRuns: [run('in_progress')], statuses: [] }), false);
    assert.equal(settledGreen({ commit: 'a', checkRuns: [], statuses: [{ context: 'ci', state: 'pending' }] }), false);
    assert.equal(settledGreen({ commit: 'a', checkRuns: [], statuses: [] }), false);
  });
});
