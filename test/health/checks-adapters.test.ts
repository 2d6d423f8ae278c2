// The platform, CI and webhook adapters over real HTTP (the sandbox, a loopback receiver), judged by the pure verdicts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ciActivities } from '../../activities/ci';
import { platformActivities } from '../../activities/platform';
import { signBody, verifySignature, webhookActivities } from '../../activities/webhook-check';
import type { WebhookBody, WebhookPolicy } from '../../domain/checks';
import { ciVerdict } from '../../domain/gates/ci';
import { webhookVerdict } from '../../domain/gates/webhook';
import { zeroDowntimeVerdict } from '../../domain/gates/zero-downtime';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { githubClient, herokuClient } from '../../activities/api-clients';

const FAST = { promotionDelayMs: 50, releasePhaseMs: 50 };

/** A rejected activity call's Temporal failure: its type and whether Temporal may retry it. */
async function failure(call: Promise<unknown>): Promise<{ type: string; nonRetryable: boolean; message: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as { type: string; nonRetryable: boolean; message: string };
    return { type: e.type, nonRetryable: e.nonRetryable, message: e.message };
  }
  throw new Error('expected the call to fail');
}

describe('Heroku and GitHub checks against the sandbox', () => {
  let sandbox: Sandbox;
  let commit: string;
  const [qa, eu] = ['zd-qa01', 'zd-eu01'];

  before(async () => {
    sandbox = await startSandbox(FAST);
    commit = (await sandbox.scenario.createService({ name: 'zerod', repo: 'acme/zd', stages: [qa, 'zd-st01', eu] }))
      .commit;
  });
  after(async () => sandbox?.stop());

  describe('zeroDowntime over heroku-client', () => {
    const facts = (app: string) =>
      platformActivities(herokuClient(sandbox.herokuUrl, sandbox.token)).zeroDowntimeFacts(app);

    test('a production app with 2 web dynos and preboot passes', async () => {
      assert.deepEqual(await facts(eu), { app: eu, webDynos: 2, preboot: true });
      assert.deepEqual(zeroDowntimeVerdict(eu, await facts(eu), 'block'), {
        gate: 'zeroDowntime',
        ok: true,
        reason: 'zd-eu01 runs 2 web dynos with preboot on',
      });
    });

    test('scaled down to 1 dyno with preboot off, it holds naming both', async () => {
      sandbox.scenario.setFormation(eu, { web: 1 });
      sandbox.scenario.setFeature(eu, 'preboot', false);
      try {
        assert.deepEqual(zeroDowntimeVerdict(eu, await facts(eu), 'block'), {
          gate: 'zeroDowntime',
          ok: false,
          reason: 'zd-eu01 runs 1 web dyno; preboot is off',
        });
      } finally {
        sandbox.scenario.setFormation(eu, { web: 2 });
        sandbox.scenario.setFeature(eu, 'preboot', true);
      }
    });

    test('turning preboot on and scaling up lets a staging app pass', async () => {
      assert.equal(zeroDowntimeVerdict(qa, await facts(qa), 'block').reason, 'zd-qa01 runs 1 web dyno; preboot is off');
      sandbox.scenario.setFormation(qa, { web: 2 });
      sandbox.scenario.setFeature(qa, 'preboot', true);
      assert.equal(zeroDowntimeVerdict(qa, await facts(qa), 'block').ok, true);
    });

    test('an app without a web process type runs 0 web dynos', async () => {
      sandbox.scenario.setFormation(qa, { web: null, worker: 2 });
      assert.deepEqual(await facts(qa), { app: qa, webDynos: 0, preboot: true });
    });

    test('an app Heroku does not know is a fact with an error, and the gate fails closed', async () => {
      const unknown = await facts('zd-nope01');
      assert.deepEqual(unknown, {
        app: 'zd-nope01',
        webDynos: null,
        preboot: null,
        error: "Heroku: Couldn't find that app.",
      });
      assert.deepEqual(zeroDowntimeVerdict('zd-nope01', unknown, 'block'), {
        gate: 'zeroDowntime',
        ok: false,
        reason: "cannot read the formation of zd-nope01: Heroku: Couldn't find that app.",
      });
    });

    test('a bad token fails the activity for good, not as a missing app', async () => {
      const rejected = await failure(
        platformActivities(herokuClient(sandbox.herokuUrl, 'wrong')).zeroDowntimeFacts(eu),
      );
      assert.deepEqual([rejected.type, rejected.nonRetryable], ['HerokuRejected', true]);
      assert.match(
        rejected.message,
        /^Heroku answered 401 unauthorized to GET \/apps\/zd-eu01\/formation\/web and \/features\/preboot/,
      );
    });

    test('on Fir, preboot is not asked for: Heroku says the generation lacks it (asked once), web dynos count', async () => {
      await sandbox.scenario.createService({
        name: 'zerof',
        repo: 'acme/zf',
        stages: ['zf-qa01', 'zf-eu01'],
        generation: 'fir',
      });
      const platform = platformActivities(herokuClient(sandbox.herokuUrl, sandbox.token));
      const asked: string[] = [];
      const stop = sandbox.onRequest(({ path }) => {
        if (path.startsWith('/generations/') || path.startsWith('/apps/zf-eu01/')) asked.push(path);
      });
      try {
        const facts = await platform.zeroDowntimeFacts('zf-eu01', 'fir');
        assert.deepEqual(facts, { app: 'zf-eu01', webDynos: 2, preboot: null, noPreboot: 'fir' });
        assert.equal(zeroDowntimeVerdict('zf-eu01', facts, 'block').ok, true);
        await platform.zeroDowntimeFacts('zf-eu01', 'fir');
      } finally {
        stop();
      }
      assert.deepEqual(asked, ['/generations/fir', '/apps/zf-eu01/formation/web', '/apps/zf-eu01/formation/web']);
    });
  });

  describe('ci over octokit', () => {
    const facts = (sha = commit, token = sandbox.token) =>
      ciActivities(githubClient(sandbox.githubUrl, token)).ciFacts({ repo: 'acme/zd', commit: sha });
    const sha7 = () => commit.slice(0, 7);

    test('a commit without CI passes, saying so', async () => {
      assert.deepEqual(ciVerdict(await facts()), {
        gate: 'ci',
        ok: true,
        reason: `no CI checks reported for ${sha7()}`,
      });
    });

    test('a running check holds, naming it', async () => {
      sandbox.scenario.setCheck('acme/zd', commit, { name: 'build', status: 'in_progress' });
      assert.deepEqual(await facts(), {
        commit,
        checkRuns: [{ name: 'build', status: 'in_progress', conclusion: null }],
        statuses: [],
      });
      assert.equal(ciVerdict(await facts()).reason, `waiting for CI on ${sha7()}: build in progress`);
    });

    test('a failed check run and an errored status hold, naming both', async () => {
      sandbox.scenario.setCheck('acme/zd', commit, { name: 'build', status: 'completed', conclusion: 'failure' });
      sandbox.scenario.setStatus('acme/zd', commit, { context: 'lint', state: 'error' });
      assert.deepEqual(ciVerdict(await facts()), {
        gate: 'ci',
        ok: false,
        reason: `CI failed for ${sha7()}: build (failure), lint (error)`,
      });
    });

    test('once every check and status is green, it passes counting them', async () => {
      sandbox.scenario.setCheck('acme/zd', commit, { name: 'build', status: 'completed', conclusion: 'success' });
      sandbox.scenario.setCheck('acme/zd', commit, { name: 'docs', status: 'completed', conclusion: 'skipped' });
      sandbox.scenario.setStatus('acme/zd', commit, { context: 'lint', state: 'success' });
      assert.deepEqual(ciVerdict(await facts()), {
        gate: 'ci',
        ok: true,
        reason: `CI passed for ${sha7()} (3 checks)`,
      });
    });

    test('more check runs than one page holds are all read', async () => {
      const merged = await sandbox.scenario.merge('zerod');
      for (let i = 0; i < 105; i++)
        sandbox.scenario.setCheck('acme/zd', merged.sha, {
          name: `shard-${i}`,
          status: 'completed',
          conclusion: 'success',
        });
      sandbox.scenario.setCheck('acme/zd', merged.sha, {
        name: 'shard-104',
        status: 'completed',
        conclusion: 'failure',
      });
      const read = await facts(merged.sha);
      assert.equal(read.checkRuns.length, 105);
      assert.equal(ciVerdict(read).reason, `CI failed for ${merged.sha.slice(0, 7)}: shard-104 (failure)`);
    });

    test('a commit GitHub does not know is a fact with an error, and the gate fails closed', async () => {
      const sha = 'f'.repeat(40);
      assert.deepEqual(ciVerdict(await facts(sha)), {
        gate: 'ci',
        ok: false,
        reason: 'cannot read CI for fffffff: GitHub does not know fffffff in acme/zd',
      });
    });

    test('bad credentials fail the activity for good', async () => {
      const rejected = await failure(facts(commit, 'wrong'));
      assert.deepEqual([rejected.type, rejected.nonRetryable], ['GitHubRejected', true]);
      assert.match(rejected.message, /^GitHub answered 401 to CI of acme\/zd@/);
    });
  });
});

describe('webhook check against a loopback receiver', () => {
  const SECRET = 'shared-secret';
  const body: WebhookBody = {
    service: 'api',
    source: 'api-va01',
    target: 'api-eu01',
    release: 42,
    commit: 'abc1234'.padEnd(40, '0'),
  };
  /** What the receiver answers next: a verdict, or nothing at all (to time out), or raw text. */
  let answer: { ok: boolean; reason?: string } | 'hang' | 'not json' = { ok: true };
  const received: { body: unknown; signed: boolean }[] = [];
  let server: Server;
  let url: string;

  /** A company's deploy policy endpoint: verifies the signature, then answers as told. */
  function receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const signed = verifySignature(SECRET, raw, req.headers['conveyor-signature'] as string | undefined);
      received.push({ body: JSON.parse(raw.toString('utf8')), signed });
      if (answer === 'hang') return;
      if (!signed)
        return void res
          .writeHead(401, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: false, reason: 'bad signature' }));
      if (answer === 'not json') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>OK</h1>');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  }

  const check = (policy: Partial<WebhookPolicy> = {}, env: NodeJS.ProcessEnv = { CONVEYOR_WEBHOOK_SECRET: SECRET }) =>
    webhookActivities({ env }).webhookCheck({
      policy: { url, secretEnv: 'CONVEYOR_WEBHOOK_SECRET', timeoutMs: 2_000, ...policy },
      body,
    });

  before(async () => {
    server = createServer(receive);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/check`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('the receiver gets the promotion, signed, and says no: the gate holds with its reason', async () => {
    answer = { ok: false, reason: 'launch freeze until 18:00' };
    received.length = 0;
    const verdict = webhookVerdict(await check());
    assert.deepEqual(received, [{ body, signed: true }]);
    assert.deepEqual(verdict, { gate: 'webhook', ok: false, reason: `${url} said no: launch freeze until 18:00` });
  });

  test('then says yes: the gate passes', async () => {
    answer = { ok: true };
    const result = await check();
    assert.deepEqual([result.ok, result.status, result.error], [true, 200, undefined]);
    assert.deepEqual(webhookVerdict(result), { gate: 'webhook', ok: true, reason: `${url} said ok` });
  });

  test('a worker with another secret is refused by the receiver: the gate holds naming the status', async () => {
    answer = { ok: true };
    const verdict = webhookVerdict(await check({}, { CONVEYOR_WEBHOOK_SECRET: 'not-the-secret' }));
    assert.deepEqual(verdict, { gate: 'webhook', ok: false, reason: `cannot ask ${url}: answered 401 Unauthorized` });
  });

  test('the secret is read from the variable the policy names', async () => {
    answer = { ok: true };
    assert.equal((await check({ secretEnv: 'DEPLOY_HOOK_KEY' }, { DEPLOY_HOOK_KEY: SECRET })).ok, true);
  });

  test('a receiver slower than the timeout holds as timed out, at the timeout', async () => {
    answer = 'hang';
    const started = Date.now();
    const result = await check({ timeoutMs: 100 });
    assert.ok(Date.now() - started < 1_500, 'the check gives up at its timeout');
    assert.deepEqual([result.ok, result.error], [null, 'timed out after 100ms']);
    assert.equal(webhookVerdict(result).reason, `cannot ask ${url}: timed out after 100ms`);
  });

  test('an answer that is not JSON holds', async () => {
    answer = 'not json';
    assert.equal(webhookVerdict(await check()).reason, `cannot ask ${url}: answered something that is not JSON`);
  });

  test('a missing secret holds without calling the receiver', async () => {
    answer = { ok: true };
    received.length = 0;
    const result = await check({}, {});
    assert.deepEqual(received, []);
    assert.deepEqual(result, {
      url,
      ok: null,
      error: "CONVEYOR_WEBHOOK_SECRET is not set in the worker's environment",
      ms: 0,
    });
    assert.equal(
      webhookVerdict(result).reason,
      `cannot ask ${url}: CONVEYOR_WEBHOOK_SECRET is not set in the worker's environment`,
    );
  });

  test('a receiver nothing listens on holds with the connection error', async () => {
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/check`;
    await new Promise((resolve) => gone.close(resolve));
    const result = await check({ url: deadUrl });
    assert.match(webhookVerdict(result).reason, new RegExp(`^cannot ask ${deadUrl}: connect ECONNREFUSED`));
  });
});

describe('the example receiver (examples/webhook-receiver.js)', () => {
  const SECRET = 'example-secret';
  let child: ChildProcess;
  let url: string;
  const ask = (target: string, secret = SECRET) =>
    webhookActivities({ env: { CONVEYOR_WEBHOOK_SECRET: secret } }).webhookCheck({
      policy: { url, secretEnv: 'CONVEYOR_WEBHOOK_SECRET', timeoutMs: 2_000 },
      body: { service: 'api', source: 'api-va01', target, release: 7, commit: 'abc1234'.padEnd(40, '0') },
    });

  before(async () => {
    const script = new URL('../../examples/webhook-receiver.js', import.meta.url);
    child = spawn(process.execPath, [script.pathname], {
      env: { ...process.env, PORT: '0', CONVEYOR_WEBHOOK_SECRET: SECRET, FREEZE_REASON: 'launch day' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    url = /listening on (\S+)/.exec(line.toString())![1];
  });
  after(async () => {
    child.kill();
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  });

  test('it says no to production while frozen, quoting its reason', async () => {
    assert.deepEqual(webhookVerdict(await ask('api-eu01')), {
      gate: 'webhook',
      ok: false,
      reason: `${url} said no: launch day: abc1234 waits`,
    });
  });

  test('it says ok elsewhere', async () => {
    assert.equal(webhookVerdict(await ask('api-va01')).ok, true);
  });

  test('it refuses a body signed with another secret', async () => {
    assert.equal((await ask('api-va01', 'guess')).status, 401);
  });
});

describe('verifySignature', () => {
  const raw = '{"service":"api"}';

  test('accepts the signature of the exact body with the secret', () => {
    assert.equal(verifySignature('s', raw, signBody('s', raw)), true);
  });

  test('refuses another secret, a changed body, or no header', () => {
    assert.equal(verifySignature('s', raw, signBody('t', raw)), false);
    assert.equal(verifySignature('s', `${raw} `, signBody('s', raw)), false);
    assert.equal(verifySignature('s', raw, undefined), false);
    assert.equal(verifySignature('s', raw, 'sha256=abc'), false);
  });

  test('the header is sha256= and the hex HMAC-SHA256', () => {
    assert.match(signBody('s', raw), /^sha256=[0-9a-f]{64}$/);
  });
});
