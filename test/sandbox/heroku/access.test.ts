import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Heroku from 'heroku-client';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import { FAST, herokuClient, herokuFailure, seen, until } from '../support';

const remainingOf = (page: { headers: Record<string, unknown> }) => Number(page.headers['ratelimit-remaining']);

describe('Heroku authentication and errors', () => {
  let sandbox: Sandbox;

  before(async () => {
    sandbox = await startSandbox({ ...FAST, token: 'test-token' });
    await sandbox.scenario.createService({ name: 'auth', repo: 'acme/auth', stages: ['auth-qa01', 'auth-st01'] });
  });
  after(async () => sandbox?.stop());

  test("heroku-client's Basic token and a Bearer token are both accepted", async () => {
    assert.equal((await herokuClient(sandbox, 'basic').get('/apps/auth-qa01')).name, 'auth-qa01');
    assert.equal((await herokuClient(sandbox, 'bearer').get('/apps/auth-qa01')).name, 'auth-qa01');
  });

  test('a bad token is 401 unauthorized', async () => {
    const failure = await herokuFailure(herokuClient(sandbox, 'bearer', 'not-the-token').get('/apps/auth-qa01'));
    assert.equal(failure.statusCode, 401);
    assert.deepEqual(failure.body, { id: 'unauthorized', message: 'Invalid credentials provided.' });
  });

  test('no token is 401 unauthorized, still telling the (anonymous) rate limit', async () => {
    const response = await fetch(`${sandbox.herokuUrl}/apps/auth-qa01`);
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { id: string }).id, 'unauthorized');
    assert.match(response.headers.get('ratelimit-remaining') ?? '', /^\d+$/);
  });

  test('an unknown app is 404 not_found naming the resource', async () => {
    const failure = await herokuFailure(herokuClient(sandbox).get('/apps/no-such-app/releases'));
    assert.equal(failure.statusCode, 404);
    assert.deepEqual(failure.body, { id: 'not_found', message: "Couldn't find that app.", resource: 'app' });
  });

  test('an unknown pipeline is 404 not_found', async () => {
    const failure = await herokuFailure(herokuClient(sandbox).get('/pipelines/no-such-pipeline'));
    assert.equal(failure.statusCode, 404);
    assert.equal(failure.body.resource, 'pipeline');
  });

  test('an endpoint the sandbox does not serve is 404 not_found', async () => {
    const failure = await herokuFailure(herokuClient(sandbox).get('/apps/auth-qa01/dynos'));
    assert.equal(failure.statusCode, 404);
    assert.equal(failure.body.id, 'not_found');
  });

  test('requestCounts() counts requests per endpoint template; resetCounts() starts over', async () => {
    sandbox.resetCounts();
    const heroku = herokuClient(sandbox);
    await heroku.get('/apps/auth-qa01/releases');
    await heroku.get('/apps/auth-st01/releases');
    await heroku.get('/pipelines/auth');
    assert.deepEqual(sandbox.requestCounts(), { 'GET /apps/{app}/releases': 2, 'GET /pipelines/{id_or_name}': 1 });
    sandbox.resetCounts();
    assert.deepEqual(sandbox.requestCounts(), {});
  });
});

describe('the Heroku rate limit', () => {
  let sandbox: Sandbox;
  let heroku: Heroku;

  before(async () => {
    sandbox = await startSandbox({ ...FAST, rateLimit: { bucket: 100, refillPerMinute: 0 } });
    heroku = herokuClient(sandbox);
    await sandbox.scenario.createService({
      name: 'limited',
      repo: 'acme/limited',
      stages: ['limited-qa01', 'limited-st01'],
    });
  });
  after(async () => sandbox?.stop());

  test('every answer carries RateLimit-Remaining, one less for each call', async () => {
    const first = await seen(heroku, { method: 'GET', path: '/apps/limited-qa01' });
    const second = await seen(heroku, { method: 'GET', path: '/apps/limited-qa01/releases' });
    assert.equal(remainingOf(second.pages[0]), remainingOf(first.pages[0]) - 1);
    assert.ok(remainingOf(first.pages[0]) < 100);
  });

  test('GET /account/rate-limits tells the tokens left and takes none', async () => {
    const before = (await heroku.get('/account/rate-limits')).remaining;
    const again = await seen<{ remaining: number }>(heroku, { method: 'GET', path: '/account/rate-limits' });
    assert.equal(again.body.remaining, before);
    assert.equal(remainingOf(again.pages[0]), before);
  });

  test('an empty bucket answers 429 rate_limit', async () => {
    sandbox.scenario.setRateLimit({ remaining: 0 });
    const failure = await herokuFailure(heroku.get('/apps/limited-qa01'));
    assert.equal(failure.statusCode, 429);
    assert.deepEqual(failure.body, {
      id: 'rate_limit',
      message: 'Your account reached the API rate limit\nPlease wait a few minutes before making new requests',
    });
    assert.equal((await heroku.get('/account/rate-limits')).remaining, 0);
  });

  test("answerCounts() counts Heroku's answers by status, 429 included; resetCounts() starts over", async () => {
    sandbox.scenario.setRateLimit({ remaining: 1 });
    sandbox.resetCounts();
    await heroku.get('/apps/limited-qa01');
    await herokuFailure(heroku.get('/apps/limited-qa01'));
    await herokuFailure(heroku.get('/apps/no-such-app'));
    assert.deepEqual(sandbox.answerCounts(), { '200': 1, '429': 2 });
    sandbox.resetCounts();
    assert.deepEqual(sandbox.answerCounts(), {});
  });

  test('the bucket refills at its rate, and calls go through again', async () => {
    sandbox.scenario.setRateLimit({ remaining: 0, refillPerMinute: 6_000 }); // 100 a second
    await until(
      'a call to go through',
      () =>
        heroku.get('/apps/limited-qa01').then(
          () => true,
          () => false,
        ),
      2_000,
    );
    sandbox.scenario.setRateLimit({ refillPerMinute: 0 });
  });

  test('the bucket never holds more than its size', async () => {
    sandbox.scenario.setRateLimit({ remaining: 1_000_000 });
    assert.equal((await heroku.get('/account/rate-limits')).remaining, 100);
  });
});
