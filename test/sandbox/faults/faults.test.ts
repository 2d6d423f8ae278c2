import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Heroku from 'heroku-client';
import type { Octokit } from 'octokit';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import type { CreatedService } from '../../../sandbox/scenario/scenario';
import type { FaultRule } from '../../../sandbox/faults/faults';
import { FAST, herokuClient, octokit, until, type Release } from '../support';

/** What a client's rejection looks like, in the fields the tests compare. */
interface Seen {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  status?: number;
  body?: unknown;
  response?: { status: number; headers: Record<string, string> };
}

async function rejection(call: Promise<unknown>): Promise<Seen> {
  try {
    await call;
  } catch (error) {
    return error as Seen;
  }
  throw new Error('expected the call to fail');
}

const elapsed = async <T>(call: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const started = performance.now();
  const value = await call();
  return { ms: performance.now() - started, value };
};

const APP = 'GET /apps/{app}';
const LATEST = 'GET /pipelines/{id}/latest-releases';
const PROMOTE = 'POST /pipeline-promotions';
const COMPARE = 'GET /github/repos/{owner}/{repo}/compare/{basehead}';

describe('fault injection', () => {
  let sandbox: Sandbox;
  let heroku: Heroku;
  let github: Octokit;
  let service: CreatedService;
  const [qa, st] = ['chaos-qa01', 'chaos-st01'];

  /** A Heroku call without any client's retries: fetch with the token. */
  const raw = (path: string, init: RequestInit = {}) =>
    fetch(`${sandbox.herokuUrl}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${sandbox.token}`, 'Content-Type': 'application/json', ...init.headers },
    });
  const compare = () =>
    github.rest.repos.compareCommitsWithBasehead({
      owner: 'acme',
      repo: 'chaos',
      basehead: `${service.commit}...main`,
    });
  const newest = async (app: string): Promise<Release> =>
    (
      (await heroku.request({
        method: 'GET',
        path: `/apps/${app}/releases`,
        headers: { Range: 'version ..; max=1, order=desc' },
        partial: true,
      })) as Release[]
    )[0];
  const promotionBody = async () => {
    const source = await newest(qa);
    return {
      pipeline: { id: service.pipelineId },
      source: { app: { id: service.apps[0].id }, release: { id: source.id } },
      targets: [{ app: { id: service.apps[1].id } }],
    };
  };
  /** GET /apps/{app} `n` times through fetch: which of them failed (true) and which passed. */
  const pattern = async (n: number, interleave = false): Promise<boolean[]> => {
    const failed: boolean[] = [];
    for (let i = 0; i < n; i++) {
      if (interleave) await raw(`/pipelines/${service.pipelineId}`);
      failed.push((await raw(`/apps/${qa}`)).status !== 200);
    }
    return failed;
  };

  before(async () => {
    sandbox = await startSandbox({ ...FAST, seed: 42 });
    heroku = herokuClient(sandbox, 'bearer');
    github = octokit(sandbox);
    service = await sandbox.scenario.createService({ name: 'chaos', repo: 'acme/chaos', stages: [qa, st] });
  });
  afterEach(() => {
    sandbox.faults.clear();
    sandbox.scenario.setRateLimit({ remaining: 4500, refillPerMinute: 75 });
  });
  after(async () => sandbox?.stop());

  describe('each kind, as the clients see it', () => {
    test('error: heroku-client rejects with the status and a Heroku {id, message} body; only the endpoint named fails', async () => {
      sandbox.faults.inject({ endpoint: LATEST, kind: 'error', status: 502 });
      const seen = await rejection(heroku.get(`/pipelines/${service.pipelineId}/latest-releases`));
      assert.equal(seen.statusCode, 502);
      assert.equal(seen.message, 'Expected response to be successful, got 502');
      assert.deepEqual(seen.body, { id: 'bad_gateway', message: 'Bad gateway.' });
      assert.equal(((await heroku.get(`/apps/${qa}`)) as { name: string }).name, qa);

      sandbox.faults.inject({ endpoint: APP, kind: 'error' });
      const unavailable = await rejection(heroku.get(`/apps/${qa}`));
      assert.deepEqual([unavailable.statusCode, (unavailable.body as { id: string }).id], [503, 'service_unavailable']);
    });

    test("error: octokit rejects with a RequestError carrying the status and GitHub's body", async () => {
      sandbox.faults.inject({ endpoint: COMPARE, kind: 'error', status: 500 });
      const seen = await rejection(compare());
      assert.deepEqual([seen.name, seen.status, seen.response?.status], ['HttpError', 500, 500]);
      assert.match(seen.message ?? '', /^Server Error/);
    });

    test('error on POST /pipeline-promotions answers before the handler: nothing was promoted', async () => {
      const before = sandbox.scenario.promotions().length;
      sandbox.faults.inject({ endpoint: PROMOTE, kind: 'error', status: 503 });
      const seen = await rejection(heroku.post('/pipeline-promotions', { body: await promotionBody() }));
      assert.equal(seen.statusCode, 503);
      assert.equal(sandbox.scenario.promotions().length, before);
    });

    test('rate-limit-storm empties the bucket: that call and every later Heroku call get 429 rate_limit until tokens return', async () => {
      sandbox.scenario.setRateLimit({ refillPerMinute: 0 }); // no refill during the test
      sandbox.faults.inject({ api: 'heroku', kind: 'rate-limit-storm', count: 1 });
      const first = await rejection(heroku.get(`/apps/${qa}`));
      assert.deepEqual([first.statusCode, (first.body as { id: string }).id], [429, 'rate_limit']);
      const later = await raw(`/pipelines/${service.pipelineId}`); // the rule is used up: the empty bucket answers
      assert.deepEqual(
        [later.status, later.headers.get('ratelimit-remaining'), ((await later.json()) as { id: string }).id],
        [429, '0', 'rate_limit'],
      );
      assert.deepEqual(await heroku.get('/account/rate-limits'), { remaining: 0 });
      assert.equal((await compare()).status, 200, 'GitHub is not limited by a Heroku storm');

      sandbox.scenario.setRateLimit({ remaining: 10 }); // tokens return
      assert.equal((await raw(`/apps/${qa}`)).status, 200);
      assert.deepEqual(
        sandbox.faults.list().map((r) => [r.kind, r.fired, r.exhausted]),
        [['rate-limit-storm', 1, true]],
      );
    });

    test('rate-limit-storm on GitHub: 403 "API rate limit exceeded" with X-RateLimit-Remaining 0 and a reset time', async () => {
      sandbox.faults.inject({ endpoint: COMPARE, kind: 'rate-limit-storm' });
      const seen = await rejection(compare());
      assert.equal(seen.status, 403);
      assert.match(seen.message ?? '', /API rate limit exceeded/);
      assert.equal(seen.response?.headers['x-ratelimit-remaining'], '0');
      assert.ok(Number(seen.response?.headers['x-ratelimit-reset']) > Date.now() / 1000);
    });

    test('latency delays the answer, then the call succeeds; other endpoints are not delayed', async () => {
      sandbox.faults.inject({ endpoint: APP, kind: 'latency', delayMs: 1_500 });
      const finished: string[] = [];
      const slowCall = elapsed(() => heroku.get(`/apps/${qa}`) as Promise<{ name: string }>).then(
        (slow) => (finished.push('delayed'), slow),
      );
      // Another endpoint, asked while the delayed one waits, answers first: it is not delayed.
      await heroku.get(`/pipelines/${service.pipelineId}`).then(() => finished.push('other'));
      const slow = await slowCall;
      assert.equal(slow.value.name, qa);
      assert.ok(slow.ms >= 1_450, `took ${slow.ms} ms`);
      assert.deepEqual(finished, ['other', 'delayed']);
    });

    test('latency then error compose: a delayed 503', async () => {
      sandbox.faults.inject({ endpoint: APP, kind: 'latency', delayMs: 80 });
      sandbox.faults.inject({ endpoint: APP, kind: 'error' });
      const slow = await elapsed(() => rejection(heroku.get(`/apps/${qa}`)));
      assert.equal(slow.value.statusCode, 503);
      assert.ok(slow.ms >= 75, `took ${slow.ms} ms`);
      assert.deepEqual(
        sandbox.faults.list().map((r) => [r.kind, r.fired]),
        [
          ['latency', 1],
          ['error', 1],
        ],
      );
    });

    test('reset: octokit rejects with status 500 and no response ("other side closed"); fetch with "fetch failed"', async () => {
      sandbox.faults.inject({ endpoint: COMPARE, kind: 'reset' });
      const seen = await rejection(compare());
      assert.deepEqual([seen.name, seen.status, seen.response], ['HttpError', 500, undefined]);
      assert.equal(seen.message, 'other side closed');

      sandbox.faults.inject({ endpoint: APP, kind: 'reset' });
      const fetched = (await rejection(raw(`/apps/${qa}`))) as Seen & { cause?: { code?: string } };
      assert.deepEqual(
        [fetched.name, fetched.message, fetched.cause?.code],
        ['TypeError', 'fetch failed', 'UND_ERR_SOCKET'],
      );
    });

    test('reset on POST /pipeline-promotions happens before the handler: nothing was promoted', async () => {
      const before = sandbox.scenario.promotions().length;
      sandbox.faults.inject({ endpoint: PROMOTE, kind: 'reset' });
      await rejection(raw('/pipeline-promotions', { method: 'POST', body: JSON.stringify(await promotionBody()) }));
      assert.equal(sandbox.scenario.promotions().length, before);
    });

    test('reset-after on POST /pipeline-promotions promotes, then drops the connection: the client sees a network error', async () => {
      const before = sandbox.scenario.promotions().length;
      const body = await promotionBody();
      sandbox.faults.inject({ endpoint: PROMOTE, kind: 'reset-after' });
      const seen = (await rejection(
        raw('/pipeline-promotions', { method: 'POST', body: JSON.stringify(body) }),
      )) as Seen & { cause?: { code?: string } };
      assert.equal(seen.cause?.code, 'UND_ERR_SOCKET');
      assert.equal(sandbox.scenario.promotions().length, before + 1);
      // What conveyor's promote activity checks before posting again: the target's newest release runs the slug.
      const source = await newest(qa);
      const target = await until('the promotion to reach the target', async () => {
        const latest = await newest(st);
        return latest.slug?.id === source.slug?.id && latest;
      });
      assert.notEqual(target.status, 'failed');
    });

    test('reset-after through heroku-client: it re-sends the POST by itself after ~1 s, so the promotion is posted twice', async () => {
      // Characterises heroku-client 3.1.4, not the sandbox: socket errors are retried (1, 2, 4, 8 s) whatever the method.
      const before = sandbox.scenario.promotions().length;
      const body = await promotionBody();
      sandbox.resetCounts();
      sandbox.faults.inject({ endpoint: PROMOTE, kind: 'reset-after', count: 1 });
      const retried = await elapsed(() => heroku.post('/pipeline-promotions', { body }) as Promise<{ id: string }>);
      assert.ok(retried.ms >= 900, `took ${retried.ms} ms`);
      assert.equal(sandbox.requestCounts()[PROMOTE], 2);
      const posted = sandbox.scenario.promotions().slice(before);
      assert.equal(posted.length, 2);
      assert.equal(retried.value.id, posted[1].id);
    });

    test('malformed: heroku-client rejects with a SyntaxError (no statusCode); octokit resolves with the text as data', async () => {
      sandbox.faults.inject({ endpoint: LATEST, kind: 'malformed' });
      const seen = await rejection(heroku.get(`/pipelines/${service.pipelineId}/latest-releases`));
      assert.deepEqual([seen.name, seen.statusCode], ['SyntaxError', undefined]);
      assert.match(seen.message ?? '', /is not valid JSON/);

      sandbox.faults.inject({ endpoint: COMPARE, kind: 'malformed' });
      const { status, data } = await compare();
      assert.equal(status, 200);
      assert.equal(typeof data, 'string');
      assert.match(data as unknown as string, /^<!DOCTYPE html>/);
    });

    test('malformed and truncated run the handler first: a malformed POST /pipeline-promotions did promote', async () => {
      const before = sandbox.scenario.promotions().length;
      sandbox.faults.inject({ endpoint: PROMOTE, kind: 'malformed', count: 1 });
      const seen = await rejection(heroku.post('/pipeline-promotions', { body: await promotionBody() }));
      assert.equal(seen.name, 'SyntaxError');
      assert.equal(sandbox.scenario.promotions().length, before + 1);
    });

    test('truncated: the JSON cut in half with a matching Content-Length; heroku-client: SyntaxError, octokit: the cut text', async () => {
      sandbox.faults.inject({ endpoint: APP, kind: 'truncated' });
      const response = await raw(`/apps/${qa}`);
      const text = await response.text();
      assert.deepEqual(
        [response.status, response.headers.get('content-length')],
        [200, String(Buffer.byteLength(text))],
      );
      assert.throws(() => JSON.parse(text), SyntaxError);
      const seen = await rejection(heroku.get(`/apps/${qa}`));
      assert.deepEqual([seen.name, seen.statusCode], ['SyntaxError', undefined]);

      sandbox.faults.inject({ endpoint: COMPARE, kind: 'truncated' });
      const { data } = await compare();
      assert.equal(typeof data, 'string');
      assert.match(data as unknown as string, /^\{"url":/);
    });
  });

  describe('rules', () => {
    test('count: applies at most N times, then the rule is exhausted but still listed', async () => {
      sandbox.faults.inject({ id: 'twice', endpoint: APP, kind: 'error', count: 2 });
      assert.deepEqual(await pattern(4), [true, true, false, false]);
      assert.deepEqual(sandbox.faults.list(), [
        {
          id: 'twice',
          api: null,
          endpoint: APP,
          kind: 'error',
          rate: 1,
          count: 2,
          status: 503,
          delayMs: null,
          matched: 2,
          fired: 2,
          exhausted: true,
        },
      ]);
    });

    test('rate: about that share of the calls fail, and list() counts them', async () => {
      sandbox.faults.inject({ id: 'half', endpoint: APP, kind: 'error', rate: 0.5 });
      const failed = (await pattern(60)).filter(Boolean).length;
      assert.ok(failed > 15 && failed < 45, `${failed} of 60 failed`);
      const [rule] = sandbox.faults.list();
      assert.deepEqual([rule.matched, rule.fired], [60, failed]);
    });

    test('rate 0 never fires, and a rule for one API ignores the other', async () => {
      sandbox.faults.inject({ endpoint: APP, kind: 'error', rate: 0 });
      sandbox.faults.inject({ api: 'github', kind: 'error' });
      assert.deepEqual(await pattern(5), [false, false, false, false, false]);
      assert.equal((await rejection(compare())).status, 503);
    });

    test('the same seed replays the same faults, whatever other endpoints are called meanwhile; another seed does not', async () => {
      const rule: FaultRule = { id: 'dice', endpoint: APP, kind: 'error', rate: 0.5 };
      sandbox.faults.reseed(7);
      sandbox.faults.inject(rule);
      const first = await pattern(40);

      sandbox.faults.clear();
      sandbox.faults.inject(rule); // same id, same seed: the same stream
      assert.deepEqual(await pattern(40, true), first);

      sandbox.faults.reseed(8);
      assert.notDeepEqual(await pattern(40), first);

      const other = await startSandbox({ ...FAST, seed: 7 });
      try {
        other.faults.inject(rule);
        await other.scenario.createService({ name: 'chaos', repo: 'acme/chaos', stages: [qa, st] });
        const replayed: boolean[] = [];
        for (let i = 0; i < 40; i++) {
          const response = await fetch(`${other.herokuUrl}/apps/${qa}`, {
            headers: { Authorization: `Bearer ${other.token}` },
          });
          replayed.push(response.status !== 200);
        }
        assert.deepEqual(replayed, first);
        assert.equal(other.faults.seed, 7);
      } finally {
        await other.stop();
      }
      sandbox.faults.reseed(42);
    });

    test('clear(id) removes one rule, clear() every rule; totals keep what fired, by kind and endpoint', async () => {
      sandbox.faults.resetTotals();
      sandbox.faults.inject({ id: 'a', endpoint: APP, kind: 'error' });
      sandbox.faults.inject({ id: 'b', endpoint: COMPARE, kind: 'error', status: 502 });
      sandbox.faults.inject({ id: 'c', endpoint: LATEST, kind: 'latency', delayMs: 1 });
      await pattern(2);
      await rejection(compare());
      assert.equal(sandbox.faults.clear('a'), 1);
      assert.equal(sandbox.faults.clear('a'), 0);
      assert.deepEqual(await pattern(1), [false]);
      assert.equal((await rejection(compare())).status, 502);
      assert.deepEqual(
        sandbox.faults.list().map((r) => r.id),
        ['b', 'c'],
      );
      assert.equal(sandbox.faults.clear(), 2);
      assert.deepEqual(sandbox.faults.list(), []);
      assert.equal((await compare()).status, 200);
      assert.deepEqual(sandbox.faults.totals(), {
        seed: 42,
        fired: 4,
        byKind: { error: 4 },
        byEndpoint: { [APP]: { error: 2 }, [COMPARE]: { error: 2 } },
      });
    });

    test('inject refuses bad rules and a taken id', () => {
      const bad: [unknown, RegExp][] = [
        [{ kind: 'nope' }, /: kind: /],
        [{ kind: 'error', status: 404 }, /: status: /],
        [{ kind: 'latency' }, /delayMs: is required/],
        [{ kind: 'reset', delayMs: 5 }, /delayMs: applies to kind "latency" only/],
        [{ kind: 'reset', status: 503 }, /status: applies to kind "error" only/],
        [{ kind: 'error', rate: 1.5 }, /: rate: /],
        [{ kind: 'error', count: 0 }, /: count: /],
        [{ kind: 'error', endpoint: '/apps/{app}' }, /endpoint: must be "METHOD \/template"/],
        [{ kind: 'error', api: 'heroku', endpoint: COMPARE }, /endpoint: is not a heroku endpoint/],
        [{ kind: 'error', extra: 1 }, /input: /],
      ];
      for (const [rule, message] of bad)
        assert.throws(() => sandbox.faults.inject(rule as FaultRule), message, JSON.stringify(rule));
      sandbox.faults.inject({ id: 'mine', kind: 'latency', delayMs: 1, api: 'heroku' });
      assert.throws(() => sandbox.faults.inject({ id: 'mine', kind: 'error' }), /a fault rule mine exists already/);
    });
  });

  describe('over HTTP', () => {
    const remote = async (method: string, body: unknown = {}) => {
      const response = await fetch(`${sandbox.herokuUrl}/_sandbox/faults/${method}`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };

    test('POST /_sandbox/faults/inject, list, totals and clear, without a token', async () => {
      const injected = await remote('inject', { id: 'remote', endpoint: APP, kind: 'error', status: 500, count: 1 });
      assert.deepEqual(injected, {
        status: 200,
        body: {
          id: 'remote',
          api: null,
          endpoint: APP,
          kind: 'error',
          rate: 1,
          count: 1,
          status: 500,
          delayMs: null,
          matched: 0,
          fired: 0,
          exhausted: false,
        },
      });
      assert.deepEqual(await pattern(2), [true, false]);
      const listed = (await remote('list')).body as { id: string; fired: number }[];
      assert.deepEqual(
        listed.map((r) => [r.id, r.fired]),
        [['remote', 1]],
      );
      assert.equal(((await remote('totals')).body as { seed: number }).seed, 42);
      assert.deepEqual(await remote('clear', { id: 'remote' }), { status: 200, body: { cleared: 1 } });
      assert.deepEqual(await remote('clear'), { status: 200, body: { cleared: 0 } });
      assert.deepEqual(await remote('reseed', { seed: 42 }), { status: 200, body: {} });
    });

    test('a bad rule is 400 {error}, an unknown method 404', async () => {
      assert.deepEqual(await remote('inject', { kind: 'latency' }), {
        status: 400,
        body: { error: 'delayMs: is required for kind "latency"' },
      });
      const unknown = await remote('explode');
      assert.equal(unknown.status, 404);
      assert.match(
        (unknown.body as { error: string }).error,
        /no fault method "explode"; there are: inject, clear, list/,
      );
    });
  });
});
