// The Heroku deployment as the repository ships it: app.json against Heroku's manifest schema, the
// Procfile's commands started as a dyno starts them, the build step that prebuilds the workflows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { projectRoot } from '../../temporal/paths';
import { freePort } from '../../temporal/free-port';
import { signatureOf } from '../../worker/receiver';
import { startStack, type Stack } from '../support/stack';
import type { Service } from '../../domain/service';
import { eventually } from '../support/temporal';
import { http, printed, procfile, startDyno, type Dyno } from '../support/heroku-dyno';

const read = (file: string) => JSON.parse(readFileSync(join(projectRoot, file), 'utf8'));
const appJson = read('app.json') as {
  env: Record<string, { description?: string; required?: boolean; value?: string; generator?: string }>;
  formation: Record<string, { quantity: number; size?: string }>;
  buildpacks: { url: string }[];
};

function manifestValidator() {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addFormat('uri', (text: string) => URL.canParse(text));
  return ajv.compile(read('deploy/heroku/app-json.schema.json'));
}

describe('app.json', () => {
  test("is valid against Heroku's app.json schema, and a broken copy is not (the check is real)", () => {
    const validate = manifestValidator();
    assert.ok(validate(appJson), JSON.stringify(validate.errors));
    const broken = structuredClone(appJson) as Record<string, unknown>;
    broken.formation = { web: { quantity: 'one' } };
    broken.env = { HEROKU_API_KEY: { description: 'x', required: 'yes' } };
    assert.equal(validate(broken), false);
    assert.deepEqual(
      validate.errors?.map((e) => e.instancePath).filter((p) => !p.startsWith('/env')),
      ['/formation/web/quantity'],
    );
  });

  test('every config var is described; the ones a worker or web dyno cannot start without are required', () => {
    for (const [name, spec] of Object.entries(appJson.env)) assert.ok(spec.description, `${name} has a description`);
    const required = Object.entries(appJson.env)
      .filter(([, spec]) => spec.required === true)
      .map(([name]) => name)
      .sort();
    assert.deepEqual(required, [
      'CONVEYOR_HOSTNAMES',
      'GITHUB_TOKEN',
      'HEROKU_API_KEY',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_API_KEY',
      'TEMPORAL_NAMESPACE',
    ]);
    assert.equal(appJson.env.CONVEYOR_HEROKU_WEBHOOK_SECRET.generator, 'secret');
    assert.equal(appJson.env.CONVEYOR_SHUTDOWN_GRACE.value, '25s', "inside Heroku's 30 s between SIGTERM and SIGKILL");
  });

  test("the Node buildpack builds it, and the formation runs the Procfile's web and worker", () => {
    assert.deepEqual(appJson.buildpacks, [{ url: 'heroku/nodejs' }]);
    assert.deepEqual(Object.keys(appJson.formation).sort(), ['web', 'worker']);
    for (const type of Object.keys(appJson.formation)) assert.ok(procfile()[type], `the Procfile has ${type}`);
  });
});

describe('Procfile and package.json', () => {
  test('web, worker and a release phase; the worker reads the bundle heroku-postbuild builds; npm start stays the demo', () => {
    const processes = procfile();
    assert.deepEqual(Object.keys(processes).sort(), ['release', 'web', 'worker']);
    assert.match(processes.web, /^node bin\/conveyor\.js web$/);
    assert.match(processes.worker, /node bin\/conveyor\.js worker$/);
    assert.match(processes.release, /^node bin\/conveyor\.js setup --check$/);
    const scripts = read('package.json').scripts as Record<string, string>;
    const bundle = /scripts\/bundle-workflows\.ts (\S+)$/.exec(scripts['heroku-postbuild'])?.[1];
    assert.ok(bundle, scripts['heroku-postbuild']);
    assert.ok(processes.worker.includes(`CONVEYOR_WORKFLOW_BUNDLE:-${bundle}`), processes.worker);
    assert.match(scripts.start, /conveyor\.js demo$/);
    assert.match(readFileSync(join(projectRoot, '.gitignore'), 'utf8'), new RegExp(`^${bundle}$`, 'm'));
  });
});

const SECRET = 'webhook secret of the test';
const METRICS_TOKEN = 'metrics token of the test';
const DASHBOARD_TOKEN = 'dashboard token of the test';
const APP_HOST = 'conveyor-test-1a2b3c4d5e6f.herokuapp.com';

describe('the web dyno', () => {
  let stack: Stack;
  let web: Dyno;
  let port: number;
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  /** As Heroku's router forwards a request: the app's Host, X-Forwarded-Proto https. */
  const routed = (path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    http(url(path), {
      ...options,
      headers: { host: APP_HOST, 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9', ...options.headers },
    });

  let service: Service;
  before(async () => {
    stack = await startStack();
    // Running before the web dyno starts, as pipelines are when a dyno restarts (its app directory is read once a while).
    service = await stack.launch('web-dyno');
    port = await freePort();
    web = startDyno('web', 'web.1', {
      ...stack.workerEnv,
      PORT: String(port),
      CONVEYOR_HOSTNAMES: `${APP_HOST},conveyor.example.com`,
      CONVEYOR_HEROKU_WEBHOOK_SECRET: SECRET,
      CONVEYOR_METRICS_TOKEN: METRICS_TOKEN,
      CONVEYOR_DASHBOARD_TOKEN: DASHBOARD_TOKEN,
      // Its public URL: it sweeps the webhook subscriptions (the sandbox's) as the worker would.
      CONVEYOR_RECEIVER_URL: `https://${APP_HOST}/webhooks/heroku`,
      CONVEYOR_LOG_LEVEL: 'debug',
    });
    await printed(web, /"msg":"web running"/);
  });
  after(async () => {
    await web?.stop(5_000);
    await stack?.stop();
  });

  test("listens on all interfaces on $PORT and serves the dashboard to the router's requests", async () => {
    assert.match(web.output(), new RegExp(`"url":"http://0\\.0\\.0\\.0:${port}"`));
    const page = await routed('/');
    assert.equal(page.status, 200);
    assert.match(page.body, /Fleet/);
    // Reached on an address other than loopback too, as the router reaches a dyno.
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (outside) {
      const direct = await http(`http://${outside.address}:${port}/healthz`, { headers: { host: APP_HOST } });
      assert.equal(direct.status, 200);
    }
  });

  test('answers its custom domain and loopback, and refuses any other Host header', async () => {
    assert.equal((await routed('/', { headers: { host: 'conveyor.example.com' } })).status, 200);
    assert.equal((await http(url('/healthz'))).status, 200, 'loopback, as a health check on the dyno');
    const other = await routed('/', { headers: { host: 'attacker.example.net' } });
    assert.equal(other.status, 400);
    assert.match(other.body, /attacker\.example\.net/);
    assert.equal((await routed('/webhooks/heroku', { method: 'POST', headers: { host: 'evil.test' } })).status, 400);
  });

  test('/healthz answers ok', async () => {
    const health = await routed('/healthz');
    assert.deepEqual([health.status, health.body], [200, 'ok\n']);
  });

  test("/webhooks/heroku takes Heroku's signed release webhook and wakes the app's pipeline; a bad signature is 401", async () => {
    const eventId = randomUUID();
    const body = JSON.stringify({
      id: eventId,
      action: 'update',
      resource: 'release',
      data: { id: randomUUID(), app: { id: randomUUID(), name: service.stages[1] }, status: 'succeeded', version: 2 },
      webhook_metadata: { event: { id: eventId, include: 'api:release' } },
    });
    const post = (signature: string) =>
      routed('/webhooks/heroku', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'heroku-webhook-hmac-sha256': signature },
        body,
      });
    const refused = await post(signatureOf('another secret', body));
    assert.equal(refused.status, 401);
    const delivered = await post(signatureOf(SECRET, body));
    assert.equal(delivered.status, 200, delivered.body);
    assert.deepEqual(JSON.parse(delivered.body), { signalled: `conveyor/${service.name}` });
  });

  test('/metrics answers only with the bearer token, in Prometheus text', async () => {
    const none = await routed('/metrics');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    assert.equal((await routed('/metrics', { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const metrics = await routed('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^# TYPE conveyor_webhook_deliveries_total counter$/m);
    assert.match(metrics.body, /conveyor_webhook_deliveries_total\{result="signalled"\} 1/);
  });

  test("the dashboard's sign-in cookie is Secure behind the router (X-Forwarded-Proto https is believed on a dyno)", async () => {
    const signedIn = await routed('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'Ada', token: DASHBOARD_TOKEN, next: '/' }).toString(),
    });
    assert.equal(signedIn.status, 303, signedIn.body);
    const cookie = [signedIn.headers['set-cookie']].flat().join('\n');
    assert.match(cookie, /conveyor_session=[^;]+;.*Secure/i);
    assert.doesNotMatch(web.output(), /token of the test|webhook secret of the test/, 'no secret in the logs');
  });

  test('it sweeps the webhook subscriptions with its public URL', async () => {
    await eventually(() => /"msg":"webhook subscriptions swept"/.test(web.output()), 30_000, 'a sweep');
    assert.doesNotMatch(web.output(), /could not read the webhook subscriptions/);
  });

  test('logs are one JSON object per line on stdout', () => {
    const lines = web
      .output()
      .split('\n')
      .filter((line) => line.trim());
    assert.ok(lines.length > 0);
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
  });

  test('on SIGTERM it stops and exits 0 at once', async () => {
    const stopped = await web.stop();
    assert.equal(stopped.code, 0, web.output());
    assert.equal(stopped.killed, false);
  });
});

describe('conveyor web settings', () => {
  test('beyond loopback without CONVEYOR_HOSTNAMES it refuses to start, in one line naming the setting', async () => {
    const dyno = startDyno('web', 'web.1', { ...process.env, PORT: String(await freePort()), CONVEYOR_HOSTNAMES: '' });
    const code = await dyno.exited;
    assert.equal(code, 2);
    assert.match(
      dyno.output().trim(),
      /^conveyor: CONVEYOR_HOSTNAMES must name this app's host names when listening on 0\.0\.0\.0/,
    );
    assert.equal(dyno.output().trim().split('\n').length, 1);
  });
});
