import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import Heroku from 'heroku-client';
import { Octokit, RequestError } from 'octokit';
import {
  classify,
  GITHUB_RATE_LIMIT_DELAY_MS,
  HEROKU_RATE_LIMIT_DELAY_MS,
  jsonAnswer,
  type Service,
} from '../../activities/errors';
import { startSandbox, type Sandbox } from '../../sandbox/server';

/** The failure `classify` throws for `error`. */
function failure(error: unknown, service: Service = 'Heroku', call = 'GET /apps/x'): ApplicationFailure {
  try {
    classify(service, call, error);
  } catch (thrown) {
    assert.ok(thrown instanceof ApplicationFailure, `not an ApplicationFailure: ${String(thrown)}`);
    return thrown;
  }
  assert.fail('classify returned');
}

/** The fields a workflow and Temporal's retry look at. */
const fields = (f: ApplicationFailure) => ({
  type: f.type,
  nonRetryable: f.nonRetryable,
  nextRetryDelay: f.nextRetryDelay ?? null,
});

/** What heroku-client 3.1.4 rejects with for a non-2xx answer. */
const herokuAnswer = (statusCode: number, id: string, message = 'no') =>
  Object.assign(new Error(`Expected response to be successful, got ${statusCode}`), {
    statusCode,
    body: { id, message },
  });

/** What octokit rejects with for a non-2xx answer. */
const githubAnswer = (status: number, headers: Record<string, string> = {}, message = 'Server Error') =>
  new RequestError(message, status, {
    request: { method: 'GET', url: 'http://github/repos/a/b/compare/x...y', headers: {} },
    response: {
      status,
      url: 'http://github/repos/a/b/compare/x...y',
      headers,
      data: { message, documentation_url: 'https://docs.github.com/rest', status: String(status) },
    },
  });

/** What octokit rejects with when no answer came (its fetch failed). */
const githubNoAnswer = (message = 'other side closed') =>
  Object.assign(new RequestError(message, 500, { request: { method: 'GET', url: 'http://github/x', headers: {} } }), {
    cause: Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_SOCKET' } }),
  });

const jsonSyntaxError = (text: string): SyntaxError => {
  try {
    JSON.parse(text);
  } catch (error) {
    return error as SyntaxError;
  }
  throw new Error(`${text} is JSON`);
};

describe('classify', () => {
  test('permanent statuses are non-retryable <Service>Rejected, with the answer in the message', () => {
    for (const status of [400, 401, 402, 403, 404, 409, 422]) {
      const f = failure(herokuAnswer(status, 'nope', 'Not allowed.'));
      assert.deepEqual(fields(f), { type: 'HerokuRejected', nonRetryable: true, nextRetryDelay: null }, String(status));
      assert.equal(f.message, `Heroku answered ${status} nope to GET /apps/x: Not allowed.`);
    }
    const github = failure(githubAnswer(401, {}, 'Bad credentials'), 'GitHub', 'compare a/b x...y');
    assert.deepEqual(fields(github), { type: 'GitHubRejected', nonRetryable: true, nextRetryDelay: null });
    assert.equal(github.message, 'GitHub answered 401 to compare a/b x...y: Bad credentials');
  });

  test('5xx is retryable <Service>Unavailable', () => {
    for (const status of [500, 502, 503, 504]) {
      assert.deepEqual(fields(failure(herokuAnswer(status, 'service_unavailable'))), {
        type: 'HerokuUnavailable',
        nonRetryable: false,
        nextRetryDelay: null,
      });
      assert.deepEqual(fields(failure(githubAnswer(status), 'GitHub')), {
        type: 'GitHubUnavailable',
        nonRetryable: false,
        nextRetryDelay: null,
      });
    }
  });

  test('a Heroku 429 is HerokuRateLimited, retried after 20 s: heroku-client errors carry no headers', () => {
    const f = failure(herokuAnswer(429, 'rate_limit', 'Your account reached the API rate limit'));
    assert.deepEqual(fields(f), {
      type: 'HerokuRateLimited',
      nonRetryable: false,
      nextRetryDelay: HEROKU_RATE_LIMIT_DELAY_MS,
    });
    assert.equal(HEROKU_RATE_LIMIT_DELAY_MS, 20_000);
    assert.match(f.message, /^Heroku answered 429 rate_limit to GET \/apps\/x/);
  });

  test('a Heroku 429 with RateLimit-Remaining or Retry-After (if a client passes headers on) waits accordingly', () => {
    const withHeaders = (headers: Record<string, string>) =>
      Object.assign(herokuAnswer(429, 'rate_limit'), { headers });
    assert.equal(failure(withHeaders({ 'RateLimit-Remaining': '0' })).nextRetryDelay, 20_000);
    assert.equal(failure(withHeaders({ 'RateLimit-Remaining': '10' })).nextRetryDelay, 12_000); // 15 more tokens at 800 ms each
    assert.equal(failure(withHeaders({ 'RateLimit-Remaining': '400' })).nextRetryDelay, 1_000);
    assert.equal(failure(withHeaders({ 'Retry-After': '7' })).nextRetryDelay, 7_000);
  });

  test('GitHub rate limits: 429, or 403 with X-RateLimit-Remaining 0 (waits until the reset) or Retry-After', () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    const primary = failure(
      githubAnswer(
        403,
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
        'API rate limit exceeded',
      ),
      'GitHub',
    );
    assert.equal(primary.type, 'GitHubRateLimited');
    assert.equal(primary.nonRetryable, false);
    const delay = primary.nextRetryDelay as number;
    assert.ok(delay > 115_000 && delay <= 122_000, `${delay}`);

    assert.equal(failure(githubAnswer(403, { 'retry-after': '30' }), 'GitHub').nextRetryDelay, 30_000);
    assert.deepEqual(fields(failure(githubAnswer(429), 'GitHub')), {
      type: 'GitHubRateLimited',
      nonRetryable: false,
      nextRetryDelay: GITHUB_RATE_LIMIT_DELAY_MS,
    });
    // A 403 that is not a rate limit stays permanent.
    assert.equal(
      failure(githubAnswer(403, { 'x-ratelimit-remaining': '4999' }, 'Resource not accessible'), 'GitHub').type,
      'GitHubRejected',
    );
    // A far-away reset is capped at 15 minutes.
    const far = failure(
      githubAnswer(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset + 86_400) }),
      'GitHub',
    );
    assert.equal(far.nextRetryDelay, 15 * 60_000);
  });

  test('no answer (reset, refused) is retryable <Service>Unavailable, "unreachable"', () => {
    const reset = failure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    assert.deepEqual(fields(reset), { type: 'HerokuUnavailable', nonRetryable: false, nextRetryDelay: null });
    assert.equal(reset.message, 'Heroku unreachable for GET /apps/x: ECONNRESET socket hang up');
    const refused = failure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    assert.equal(refused.message, 'Heroku unreachable for GET /apps/x: connect ECONNREFUSED 127.0.0.1:1');

    // octokit reports a failed fetch as status 500 without a response: not an answer.
    const github = failure(githubNoAnswer(), 'GitHub', 'compare a/b x...y');
    assert.deepEqual(fields(github), { type: 'GitHubUnavailable', nonRetryable: false, nextRetryDelay: null });
    assert.equal(github.message, 'GitHub unreachable for compare a/b x...y: UND_ERR_SOCKET other side closed');
  });

  test('a body that is not JSON (heroku-client rejects with a SyntaxError) is retryable <Service>Unavailable', () => {
    for (const text of ['<!DOCTYPE html><html>', '{"id":"abc","na']) {
      const f = failure(jsonSyntaxError(text));
      assert.deepEqual(fields(f), { type: 'HerokuUnavailable', nonRetryable: false, nextRetryDelay: null });
      assert.match(f.message, /^Heroku answered GET \/apps\/x with a body that is not JSON: /);
    }
  });

  test('an ApplicationFailure passes through unchanged; anything else is retryable', () => {
    const own = ApplicationFailure.nonRetryable('app x is not coupled', 'NotCoupled');
    assert.equal(failure(own), own);
    assert.deepEqual(fields(failure(new TypeError('boom'))), {
      type: 'HerokuUnavailable',
      nonRetryable: false,
      nextRetryDelay: null,
    });
    assert.deepEqual(fields(failure(undefined)), {
      type: 'HerokuUnavailable',
      nonRetryable: false,
      nextRetryDelay: null,
    });
  });
});

describe('jsonAnswer', () => {
  test('answers objects with properties and arrays (empty ones too) as they are', () => {
    const object = { id: 'x' };
    const list: unknown[] = [];
    assert.equal(jsonAnswer('Heroku', 'GET /apps/x', object), object);
    assert.equal(jsonAnswer('Heroku', 'GET /apps/x/releases', list), list);
  });

  test('refuses strings (octokit), {} (heroku-client on an empty body), null, numbers: retryable <Service>Unavailable', () => {
    for (const body of ['<!DOCTYPE html>', '{"url":"http://x', '', {}, null, undefined, 42, new ArrayBuffer(2)]) {
      let thrown: unknown;
      try {
        jsonAnswer('GitHub', 'compare a/b x...y', body);
      } catch (error) {
        thrown = error;
      }
      assert.ok(thrown instanceof ApplicationFailure, `accepted ${JSON.stringify(body)}`);
      assert.deepEqual(fields(thrown), { type: 'GitHubUnavailable', nonRetryable: false, nextRetryDelay: null });
      assert.match(
        thrown.message,
        /^GitHub answered compare a\/b x\.\.\.y with a body that is not a JSON object or array: /,
      );
    }
  });

  test('shortens a long string in the message', () => {
    assert.throws(
      () => jsonAnswer('Heroku', 'GET /x', 'y'.repeat(500)),
      (error: ApplicationFailure) => error.message.endsWith(`"${'y'.repeat(80)}…"`),
    );
  });
});

describe('what the real clients throw for sandbox faults, classified', () => {
  let sandbox: Sandbox;
  let heroku: Heroku;
  let github: Octokit;
  let commit: string;

  before(async () => {
    sandbox = await startSandbox({ promotionDelayMs: 50, releasePhaseMs: 50, seed: 1 });
    heroku = new Heroku({ host: sandbox.herokuUrl, headers: { Authorization: `Bearer ${sandbox.token}` } });
    github = new Octokit({
      baseUrl: sandbox.githubUrl,
      auth: sandbox.token,
      retry: { enabled: false },
      throttle: { enabled: false },
    });
    ({ commit } = await sandbox.scenario.createService({
      name: 'errs',
      repo: 'acme/errs',
      stages: ['errs-qa01', 'errs-st01'],
    }));
  });
  after(async () => sandbox?.stop());

  /** Classifies what one Heroku GET of /apps/errs-qa01 threw under `kind` (or the JSON guard's verdict on its answer). */
  async function herokuUnder(
    kind: 'error' | 'rate-limit-storm' | 'malformed' | 'truncated',
  ): Promise<ApplicationFailure> {
    sandbox.faults.clear();
    sandbox.faults.inject({ endpoint: 'GET /apps/{app}', kind, count: 1 });
    try {
      return failure(
        await heroku
          .get('/apps/errs-qa01')
          .then((body) => jsonAnswer('Heroku', 'GET /apps/errs-qa01', body))
          .catch((error) => error as unknown),
      );
    } finally {
      sandbox.scenario.setRateLimit({ remaining: 4500 });
    }
  }

  async function githubUnder(
    kind: 'error' | 'rate-limit-storm' | 'reset' | 'malformed' | 'truncated',
  ): Promise<ApplicationFailure> {
    sandbox.faults.clear();
    sandbox.faults.inject({ endpoint: 'GET /github/repos/{owner}/{repo}/compare/{basehead}', kind, count: 1 });
    const call = 'compare acme/errs';
    let outcome: unknown;
    try {
      const { data } = await github.rest.repos.compareCommitsWithBasehead({
        owner: 'acme',
        repo: 'errs',
        basehead: `${commit}...main`,
      });
      jsonAnswer('GitHub', call, data);
      assert.fail(`${kind}: the compare went through`);
    } catch (error) {
      outcome = error;
    }
    return failure(outcome, 'GitHub', call);
  }

  test('Heroku: error → Unavailable, storm → RateLimited (20 s), malformed and truncated → Unavailable', async () => {
    assert.deepEqual(fields(await herokuUnder('error')), {
      type: 'HerokuUnavailable',
      nonRetryable: false,
      nextRetryDelay: null,
    });
    assert.deepEqual(fields(await herokuUnder('rate-limit-storm')), {
      type: 'HerokuRateLimited',
      nonRetryable: false,
      nextRetryDelay: 20_000,
    });
    for (const kind of ['malformed', 'truncated'] as const) {
      const f = await herokuUnder(kind);
      assert.deepEqual(fields(f), { type: 'HerokuUnavailable', nonRetryable: false, nextRetryDelay: null }, kind);
      assert.match(f.message, /^Heroku answered GET \/apps\/x with a body that is not JSON: /, kind);
    }
  });

  test('GitHub: error, reset, malformed, truncated → Unavailable; storm → RateLimited until the reset', async () => {
    for (const kind of ['error', 'reset', 'malformed', 'truncated'] as const) {
      assert.deepEqual(
        fields(await githubUnder(kind)),
        { type: 'GitHubUnavailable', nonRetryable: false, nextRetryDelay: null },
        kind,
      );
    }
    const storm = await githubUnder('rate-limit-storm');
    assert.equal(storm.type, 'GitHubRateLimited');
    assert.ok(
      (storm.nextRetryDelay as number) > 30_000 && (storm.nextRetryDelay as number) <= 62_000,
      String(storm.nextRetryDelay),
    );
  });
});
