import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Heroku from 'heroku-client';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApiBudget, budgetHeroku, currentCaller, type Caller } from '../../activities/api-budget';
import { classify } from '../../activities/errors';

const SETTINGS = { pool: 4_500, refillPerMinute: 75, reserve: 900, staleMs: 2_000 };

/** A heroku-client stand-in: answers `answer` (or throws it when it is an Error-like failure). */
function fakeHeroku(answer: () => unknown): Heroku {
  return {
    request: () => {
      const value = answer();
      return value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
    },
  } as unknown as Heroku;
}

describe('API budget in a worker: waiting calls and 429s', () => {
  test('a call that would wait longer than its activity may fails retryable, told to come back when its turn comes', async () => {
    const budget = new ApiBudget('Heroku', SETTINGS);
    budget.counted({ remaining: SETTINGS.reserve });
    const refused = await budget.acquire({ priority: 'routine', key: 'conveyor/a', waitCapMs: 20 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(refused instanceof ApplicationFailure, 'refused with an ApplicationFailure');
    assert.equal(refused.type, 'HerokuRateLimited');
    assert.equal(refused.nonRetryable, false);
    assert.match(refused.message, /Heroku API budget short: .* 900 requests kept for people/);
    const delay = Number(refused.nextRetryDelay);
    assert.ok(delay > 0 && delay <= 1_000, `the next token is about a second away: ${delay} ms`);
  });

  test('a 429 from Heroku is retried when the bucket is back above the reserve, not sooner', async () => {
    const budget = new ApiBudget('Heroku', SETTINGS);
    budget.counted({ remaining: 3_000 });
    const limited = Object.assign(new Error('Expected response to be successful, got 429'), {
      statusCode: 429,
      body: { id: 'rate_limit', message: 'Your account reached the API rate limit' },
    });
    const heroku = budgetHeroku(
      fakeHeroku(() => limited),
      budget,
    );
    // An observation's call, as a worker runs it.
    const observing = new MockActivityEnvironment({ activityType: 'observePipeline', startToCloseTimeoutMs: 30_000 });
    const error = await observing.run(() =>
      heroku.request({ method: 'GET', path: '/apps/a' }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    let failure: unknown;
    try {
      classify('Heroku', 'GET /apps/a', error);
    } catch (e) {
      failure = e;
    }
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, 'HerokuRateLimited');
    // 901 tokens at 75 a minute is 12 minutes: the retry waits for the refill above the reserve.
    const delay = Number(failure.nextRetryDelay);
    assert.ok(delay >= 11 * 60_000 && delay <= 15 * 60_000, `told to wait about 12 minutes: ${delay} ms`);
  });

  test('a person’s command is not held by the reserve, and the free count is asked before the first call', async () => {
    const asked: string[] = [];
    const heroku = budgetHeroku(
      {
        request: (options: { path: string }) => {
          asked.push(options.path);
          return Promise.resolve(options.path === '/account/rate-limits' ? { remaining: 100 } : { id: 'x' });
        },
      } as unknown as Heroku,
      new ApiBudget('Heroku', SETTINGS),
    );
    // Outside any activity the caller is a person: 100 left is inside the reserve, and still it goes.
    assert.deepEqual(await heroku.request({ method: 'GET', path: '/apps/a' }), { id: 'x' });
    assert.deepEqual(asked, ['/account/rate-limits', '/apps/a']);
  });
  test('an activity’s next call continues its attempt: it goes before another pipeline’s call that waited longer', async () => {
    let now = 0;
    const budget = new ApiBudget('Heroku', SETTINGS, undefined, () => now);
    budget.counted({ remaining: SETTINGS.reserve + 1 });
    const answered: string[] = [];
    const heroku = budgetHeroku(
      fakeHeroku(() => ({})),
      budget,
    );
    const activity = (workflowId: string) =>
      new MockActivityEnvironment({
        activityType: 'observePipeline',
        activityId: '1',
        attempt: 1,
        startToCloseTimeoutMs: 30_000,
        workflowExecution: { workflowId, runId: `${workflowId}-run` },
      });
    const a = activity('conveyor/a');
    let secondCall: Promise<unknown> | undefined;
    const observingA = a.run(async () => {
      await heroku.request({ method: 'GET', path: '/pipelines/a/latest-releases' });
      answered.push('a: latest-releases');
      secondCall = heroku.request({ method: 'GET', path: '/apps/a1/slugs/s' }).then(() => answered.push('a: slug'));
      await secondCall;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const observingB = activity('conveyor/b').run(() =>
      heroku
        .request({ method: 'GET', path: '/pipelines/b/latest-releases' })
        .then(() => answered.push('b: latest-releases')),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      answered,
      ['a: latest-releases'],
      'the last token above the reserve went to a; b and a’s slug wait',
    );
    now += 800; // one token refilled (75 a minute)
    budget.counted({ remaining: SETTINGS.reserve + 1 });
    await secondCall;
    assert.deepEqual(answered, ['a: latest-releases', 'a: slug'], 'the token finished a’s observation first');
    now += 800;
    budget.counted({ remaining: SETTINGS.reserve + 1 });
    await Promise.all([observingA, observingB]);
    assert.deepEqual(budget.tally(), { observePipeline: { granted: 3, taken: 0, gaveUp: 0, limited: 0 } });
  });
  const ranks: [activityType: string, priority: string][] = [
    ['observePipeline', 'routine'],
    ['webhookCheck', 'routine'],
    ['promote', 'promotion'],
    ['rollback', 'promotion'],
    ['awaitRelease', 'promotion'],
    // Asked only for a candidate the cheap gates let through: the step before its promotion.
    ['zeroDowntimeFacts', 'promotion'],
    ['ciFacts', 'promotion'],
  ];
  for (const [activityType, priority] of ranks)
    test(`a call of ${activityType} waits as a ${priority} call`, async () => {
      const env = new MockActivityEnvironment({ activityType, startToCloseTimeoutMs: 30_000 });
      const caller = await env.run<[], Caller, () => Promise<Caller>>(() => Promise.resolve(currentCaller()));
      assert.equal(caller.priority, priority);
    });
});
