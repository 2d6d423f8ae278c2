// The dashboard's access model over plain HTTP: read-only for everyone, actions only with a
// session got for the token, CSRF and same-origin on every action, refusals logged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Client } from '@temporalio/client';
import { startDashboard, type Dashboard } from '../../dashboard/server';
import { startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import type { Service } from '../../domain/service';

const TOKEN = 'access-test-token-81d2';

describe('dashboard access', () => {
  let stack: Stack;
  let dashboard: Dashboard;
  let service: Service;
  const logged: string[] = [];
  let lists = 0;
  const queries: string[] = [];

  before(async () => {
    stack = await startStack();
    service = await stack.launch('access', { minAge: '1h' });
    // The stack's own client, counted: how often the dashboard lists and queries.
    const client = new Client({ connection: stack.client.connection, namespace: stack.namespace });
    const list = client.workflow.list.bind(client.workflow);
    client.workflow.list = (options) => {
      lists++;
      return list(options);
    };
    const getHandle = client.workflow.getHandle.bind(client.workflow);
    client.workflow.getHandle = ((workflowId: string, ...rest: []) => {
      const handle = getHandle(workflowId, ...rest);
      const query = handle.query.bind(handle);
      handle.query = ((...args: Parameters<typeof query>) => {
        queries.push(workflowId);
        return query(...args);
      }) as typeof handle.query;
      return handle;
    }) as typeof client.workflow.getHandle;
    dashboard = await startDashboard({
      client,
      taskQueue: stack.taskQueue,
      token: TOKEN,
      pollMs: 250,
      log: (line) => logged.push(line),
    });
  });
  after(async () => {
    await dashboard?.stop();
    await stack?.stop();
  });

  const origin = () => dashboard.url;
  const form = (fields: Record<string, string>) => new URLSearchParams(fields);
  const post = (path: string, body: URLSearchParams, headers: Record<string, string> = {}) =>
    fetch(`${dashboard.url}${path}`, {
      method: 'POST',
      body,
      redirect: 'manual',
      headers: { origin: origin(), ...headers },
    });

  async function signIn(name = 'ops'): Promise<{ cookie: string; csrf: string; setCookie: string }> {
    const response = await post('/login', form({ name, token: TOKEN, next: '/' }));
    assert.equal(response.status, 303);
    const setCookie = response.headers.get('set-cookie') ?? '';
    const cookie = setCookie.split(';')[0];
    const page = await (await fetch(`${dashboard.url}/services/${service.name}`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    assert.ok(csrf, 'the signed-in page carries a CSRF token in its forms');
    return { cookie, csrf, setCookie };
  }

  test('the dashboard binds to 127.0.0.1 unless told otherwise', () => {
    assert.equal(new URL(dashboard.url).hostname, '127.0.0.1');
  });

  test('without a session the pages show no action forms', async () => {
    const page = await (await fetch(`${dashboard.url}/services/${service.name}`)).text();
    assert.doesNotMatch(page, /action="\/actions\//);
    assert.match(page, /Sign in<\/a> to pause, promote, approve or reject/);
  });

  test('signing in sets an HttpOnly, SameSite=Strict session cookie, and no page carries the token', async () => {
    const { cookie, setCookie } = await signIn();
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\//);
    for (const path of [
      '/',
      `/services/${service.name}`,
      `/services/${service.name}/promote?to=${service.stages[1]}`,
      '/static/app.js',
    ]) {
      const body = await (await fetch(`${dashboard.url}${path}`, { headers: { cookie } })).text();
      assert.ok(!body.includes(TOKEN), `${path} does not contain the token`);
    }
  });

  test('a session with its CSRF token pauses and resumes, recording who', async () => {
    const { cookie, csrf } = await signIn('ops');
    assert.equal(
      (await post('/actions/pause', form({ _csrf: csrf, service: service.name, reason: 'load test' }), { cookie }))
        .status,
      303,
    );
    const paused = await eventually(
      async () => (await status(stack, service)).paused ?? undefined,
      10_000,
      'the pause',
    );
    assert.deepEqual([paused.by, paused.reason], ['ops (unverified)', 'load test']);
    assert.equal((await post('/actions/resume', form({ _csrf: csrf, service: service.name }), { cookie })).status, 303);
    await eventually(async () => (await status(stack, service)).paused === null, 10_000, 'the resume');
  });

  test('a form posted from another site is refused even with a session, and logged', async () => {
    const { cookie, csrf } = await signIn();
    const response = await post('/actions/pause', form({ _csrf: csrf, service: service.name, reason: 'csrf' }), {
      cookie,
      origin: 'http://evil.example',
    });
    assert.equal(response.status, 403);
    assert.ok(
      logged.some((l) => l.includes('pause refused: a request from http://evil.example')),
      logged.join('\n'),
    );
    assert.equal((await status(stack, service)).paused, null);
  });

  test('after signing out the session no longer acts', async () => {
    const { cookie, csrf } = await signIn();
    assert.equal((await post('/logout', form({ _csrf: csrf }), { cookie })).status, 303);
    assert.equal(
      (await post('/actions/pause', form({ _csrf: csrf, service: service.name, reason: 'late' }), { cookie })).status,
      401,
    );
  });

  test('a request naming another host is refused (no DNS rebinding onto the dashboard)', async () => {
    const url = new URL(dashboard.url);
    const code = await new Promise<number>((resolve, reject) => {
      request({ host: url.hostname, port: url.port, path: '/', headers: { host: 'attacker.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    assert.equal(code, 400);
  });

  test('an unknown service is a 404 page saying so', async () => {
    const response = await fetch(`${dashboard.url}/services/nobody-here`);
    assert.equal(response.status, 404);
    assert.match(
      await response.text(),
      /no running pipeline for service &quot;nobody-here&quot;|no running pipeline for service "nobody-here"/,
    );
  });

  test('pages forbid inline scripts and framing', async () => {
    const csp = (await fetch(`${dashboard.url}/`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
  });

  test('without CONVEYOR_DASHBOARD_TOKEN nobody can sign in or act', async () => {
    const lines: string[] = [];
    const readOnly = await startDashboard({
      client: stack.client,
      taskQueue: stack.taskQueue,
      log: (line) => lines.push(line),
    });
    try {
      const login = await fetch(`${readOnly.url}/login`, {
        method: 'POST',
        body: form({ name: 'ops', token: '' }),
        headers: { origin: readOnly.url },
      });
      assert.equal(login.status, 403);
      const action = await fetch(`${readOnly.url}/actions/pause`, {
        method: 'POST',
        body: form({ service: service.name, reason: 'x' }),
        headers: { origin: readOnly.url },
      });
      assert.equal(action.status, 403);
      assert.ok(
        lines.some((l) => l.includes('pause refused: actions are off')),
        lines.join('\n'),
      );
      assert.match(await (await fetch(`${readOnly.url}/`)).text(), /read-only \(no CONVEYOR_DASHBOARD_TOKEN\)/);
    } finally {
      await readOnly.stop();
    }
  });

  test('the fleet is read with one visibility call per interval however many pages watch, and no query per service', async () => {
    const watchers = Array.from({ length: 3 }, () => new AbortController());
    const streams = await Promise.all(
      watchers.map((w) => fetch(`${dashboard.url}/events/fleet`, { signal: w.signal })),
    );
    assert.ok(streams.every((s) => s.headers.get('content-type')?.startsWith('text/event-stream')));
    const before = { lists, queries: queries.filter((id) => id !== 'conveyor/control').length };
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const intervals = (Date.now() - started) / 250;
    for (const w of watchers) w.abort();
    assert.ok(
      lists - before.lists <= intervals + 2,
      `${lists - before.lists} list calls in ${intervals.toFixed(1)} intervals with 3 pages watching`,
    );
    assert.ok(lists - before.lists >= 1);
    assert.equal(queries.filter((id) => id !== 'conveyor/control').length - before.queries, 0);
  });
});
