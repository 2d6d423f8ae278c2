// Who acts, end to end: a real OpenID provider on 127.0.0.1 (node-oidc-provider), the dashboard
// signing people in through it, the pipeline checking the dashboard's signature before an approval
// counts, and the shared-token mode labelled unverified. In Chromium, against a real worker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { startDashboard, type Dashboard } from '../../dashboard/server';
import { approveRelease } from '../../client/pipelines';
import { newSigningKey } from '../../domain/attestation';
import type { Service } from '../../domain/service';
import { launchChromium, type RunningBrowser } from '../support/browser';
import { reserveIssuer, startIdentityProvider, type IdentityProvider } from '../support/identity-provider';
import { startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import { projectRoot } from '../../temporal/paths';

const run = promisify(execFile);

const TOKEN = 'identity-test-token-77aa';
const short = (sha: string) => sha.slice(0, 7);
const ACCOUNTS = {
  ana: { email: 'ana@acme.com', groups: ['release-managers'] },
  bo: { email: 'bo@acme.com', groups: ['developers'] },
};

describe('signing in through an identity provider; approvals nobody can forge', () => {
  let stack: Stack;
  let chromium: RunningBrowser;
  let idp: IdentityProvider;
  let viaProvider: Dashboard;
  let viaToken: Dashboard;
  let service: Service;
  let waiting: string;
  const key = newSigningKey();
  const logged: string[] = [];

  before(async () => {
    const issuer = await reserveIssuer();
    [stack, chromium] = await Promise.all([
      startStack({ promotionDelayMs: 300, releasePhaseMs: 100 }),
      launchChromium(),
    ]);
    viaProvider = await startDashboard({
      client: stack.client,
      taskQueue: stack.taskQueue,
      oidc: { issuer, clientId: 'conveyor-dashboard', clientSecret: 'test-client-secret-5b1e' },
      signingKey: key.secretKey,
      pollMs: 500,
      log: (line) => logged.push(line),
    });
    viaToken = await startDashboard({
      client: stack.client,
      taskQueue: stack.taskQueue,
      token: TOKEN,
      signingKey: key.secretKey,
      pollMs: 500,
      log: (line) => logged.push(line),
    });
    idp = await startIdentityProvider(issuer, ACCOUNTS, [`${viaProvider.url}/auth/callback`]);
    // The provider's pages ask for web fonts; nothing leaves this machine.
    await chromium.context.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());

    const base = await stack.prepare('signed', { minAge: '0s', tick: '1s' });
    service = {
      ...base,
      checks: { [base.stages[1]]: { approval: { approvers: ['ana@acme.com'] } } },
      access: { signingKeys: [key.publicKey] },
    };
    await stack.start(service);
    waiting = (await stack.sandbox.scenario.merge(service.pipeline)).sha;
    await eventually(
      async () => (await status(stack, service)).waitingForApproval.some((w) => w.commit === waiting),
      30_000,
      'the release waiting for approval',
    );
  });
  after(async () => {
    await chromium?.close();
    await viaProvider?.stop();
    await viaToken?.stop();
    await idp?.stop();
    await stack?.stop();
  });

  async function anonymousPage(): Promise<Page> {
    await chromium.context.clearCookies();
    return chromium.context.newPage();
  }

  /** Through the provider's own pages: its development sign-in takes the account's login. */
  async function signInThroughProvider(login: keyof typeof ACCOUNTS, next: string): Promise<Page> {
    const page = await anonymousPage();
    await page.goto(`${viaProvider.url}/login?next=${encodeURIComponent(next)}`);
    await page.getByRole('link', { name: 'Sign in with your identity provider' }).click();
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${viaProvider.url}${next}`);
    return page;
  }

  const approveButton = (page: Page) =>
    page.getByRole('button', { name: `Approve ${short(waiting)} into ${service.stages[1]}` });
  const stillWaiting = async () =>
    (await status(stack, service)).waitingForApproval.some((w) => w.commit === waiting) &&
    (await status(stack, service)).stages[1].commit !== waiting;

  test('sign-in through the provider shows the verified email; no name is typed and no token is asked', async () => {
    const page = await anonymousPage();
    await page.goto(`${viaProvider.url}/login`);
    assert.equal(await page.getByLabel('Your name').count(), 0);
    assert.equal(await page.getByLabel('Token').count(), 0);
    await page.close();
    const signedIn = await signInThroughProvider('ana', `/services/${service.name}`);
    assert.match((await signedIn.locator('header .who').textContent()) ?? '', /signed in as ana@acme\.com$/);
    const cookies = await chromium.context.cookies(viaProvider.url);
    const session = cookies.find((c) => c.name === 'conveyor_session');
    assert.ok(session?.httpOnly, 'an HttpOnly session cookie');
    const html = await signedIn.content();
    assert.doesNotMatch(html, /eyJ[A-Za-z0-9_-]{10,}\./, 'no JWT (ID token) reaches the page');
    assert.ok(!html.includes('test-client-secret-5b1e'), 'the client secret never reaches the page');
    await signedIn.close();
  });

  test('the same approval by another signed-in person is refused, naming the rule', async () => {
    const page = await signInThroughProvider('bo', `/services/${service.name}`);
    await approveButton(page).click();
    const flash = page.locator('.flash.error');
    await flash.waitFor();
    assert.equal(
      await flash.textContent(),
      `approve refused by stageChecks.${service.stages[1]}.approval.approvers (ana@acme.com): bo@acme.com may not approve into ${service.stages[1]}: not in stageChecks.${service.stages[1]}.approval.approvers (ana@acme.com)`,
    );
    assert.ok(await stillWaiting(), 'the gate still holds');
    await page.close();
  });

  test('a forged `by` sent straight to Temporal does not open the gate', async () => {
    await assert.rejects(
      approveRelease(stack.client, service.name, { stage: service.stages[1], by: 'ana@acme.com' }),
      /ana@acme\.com is an approver of .*, but this approval is not signed by a dashboard/,
    );
    assert.ok(await stillWaiting(), 'the gate still holds');
  });

  test('the shared-token mode is labelled unverified and cannot approve into a stage with named approvers', async () => {
    const page = await anonymousPage();
    await page.goto(`${viaToken.url}/login?next=${encodeURIComponent(`/services/${service.name}`)}`);
    await page.getByLabel('Your name').fill('ana@acme.com');
    await page.getByLabel('Token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${viaToken.url}/services/${service.name}`);
    assert.match((await page.locator('header .who').textContent()) ?? '', /ana@acme\.com \(unverified\)/);
    await approveButton(page).click();
    const flash = page.locator('.flash.error');
    await flash.waitFor();
    assert.match(
      (await flash.textContent()) ?? '',
      /approve refused by stageChecks\..*\.approval\.approvers \(ana@acme\.com\): ana@acme\.com signed in with the shared token, which verifies nobody/,
    );
    assert.ok(await stillWaiting(), 'the gate still holds');
    await page.close();
  });

  test('a wrong token at sign-in keeps the name that was typed', async () => {
    const page = await anonymousPage();
    await page.goto(`${viaToken.url}/login`);
    await page.getByLabel('Your name').fill('ana typed this');
    await page.getByLabel('Token').fill('not the token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That is not the dashboard token.').waitFor();
    assert.equal(await page.getByLabel('Your name').inputValue(), 'ana typed this');
    assert.equal(await page.getByLabel('Token').inputValue(), '');
    await page.close();
  });

  test("the listed approver's approval, signed by the dashboard, opens the gate", async () => {
    const page = await signInThroughProvider('ana', `/services/${service.name}`);
    await approveButton(page).click();
    await page.getByText(`approved ${short(waiting)} into ${service.stages[1]}`, { exact: true }).waitFor();
    await eventually(
      async () => (await status(stack, service)).stages[1].commit === waiting,
      30_000,
      'the approved release in the stage',
    );
    assert.ok(
      logged.some((line) =>
        line.startsWith(
          `ana@acme.com approve ${service.name} (stageChecks.${service.stages[1]}.approval.approvers: ana@acme.com)`,
        ),
      ),
      'the dashboard logs who approved and the rule that allowed it',
    );
    for (const line of logged) assert.doesNotMatch(line, /eyJ[A-Za-z0-9_-]{10,}\.|test-client-secret/);
    await page.close();
  });
  test('the audit lists who did what: verified, unverified and administrator, the rule, and what followed', async () => {
    // A shared-token session's pause, signed by its dashboard: unverified.
    const typed = await anonymousPage();
    await typed.goto(`${viaToken.url}/login?next=${encodeURIComponent(`/services/${service.name}`)}`);
    await typed.getByLabel('Your name').fill('cy');
    await typed.getByLabel('Token').fill(TOKEN);
    await typed.getByRole('button', { name: 'Sign in' }).click();
    await typed.getByLabel('Reason to pause').fill('db migration');
    await typed.getByRole('button', { name: `Pause ${service.name}` }).click();
    await typed.getByText(`paused ${service.name}`, { exact: true }).waitFor();
    await typed.close();
    // An administrator's action straight to Temporal: recorded as such.
    await stack.client.workflow
      .getHandle(`conveyor/${service.name}`)
      .signal('pause', { reason: 'maintenance', by: 'ops-bot' });
    const page = await anonymousPage();
    // A signal that lands while a workflow task runs enters the history when that task completes:
    // the page is read again until both pauses are in it.
    const texts = await eventually(
      async () => {
        await page.goto(`${viaProvider.url}/services/${service.name}/audit`);
        const rows = page.locator('table.audit tbody tr');
        const read = await Promise.all(
          (await rows.all()).map(async (row) => (await row.locator('td').allTextContents()).join(' | ')),
        );
        return read.filter((t) => t.includes('pause')).length >= 2 ? read : undefined;
      },
      30_000,
      'both pauses in the audit',
    );
    const approval = texts.find((t) => t.includes('approve') && t.includes('ana@acme.com'));
    assert.ok(approval, texts.join('\n'));
    assert.match(approval, /verified \(oidc: http:\/\/127\.0\.0\.1:\d+\)/);
    assert.match(approval, new RegExp(`stageChecks\\.${service.stages[1]}\\.approval\\.approvers: ana@acme\\.com`));
    assert.match(
      approval,
      new RegExp(
        `approved ${short(waiting)} into ${service.stages[1]}; promotion ${short(waiting)} .* -> ${service.stages[1]} succeeded`,
      ),
    );
    const pause = texts.find((t) => t.includes('pause') && t.includes('ops-bot'));
    assert.ok(pause, texts.join('\n'));
    assert.match(pause, /administrator/);
    assert.match(pause, /Temporal namespace access/);
    const typedPause = texts.find((t) => t.includes('pause') && t.includes('db migration'));
    assert.ok(typedPause, texts.join('\n'));
    assert.match(
      typedPause,
      /pause \| cy \| unverified \(shared-token\) \| access\.operate: not set, everyone signed in may operate \| reason: db migration/,
    );
    // Refused attempts never reached the history; the dashboard's log has them, with the rule.
    assert.ok(!texts.some((t) => t.includes('bo@acme.com')));
    assert.ok(logged.some((l) => l.startsWith('refused bo@acme.com approve') && l.includes('approval.approvers')));
    await page.close();

    // The same from the command line, as JSON.
    const { stdout } = await run(
      process.execPath,
      [`${projectRoot}/bin/conveyor.js`, 'audit', service.name, '--since', '1h', '--json'],
      { env: { ...process.env, TEMPORAL_ADDRESS: stack.address, TEMPORAL_NAMESPACE: stack.namespace } },
    );
    const { actions } = JSON.parse(stdout) as {
      actions: { action: string; by: string; assurance: string; provider?: string; rule?: string }[];
    };
    assert.deepEqual(
      actions.filter((a) => a.action === 'approve').map((a) => [a.by, a.assurance, a.provider, a.rule]),
      [['ana@acme.com', 'verified', 'oidc', `stageChecks.${service.stages[1]}.approval.approvers: ana@acme.com`]],
    );
    assert.ok(!stdout.includes('eyJ'), 'no token in the audit');
  });
});

describe('the session cookie behind a TLS-terminating router', () => {
  let stack: Stack;
  const dashboards: Dashboard[] = [];
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    for (const d of dashboards) await d.stop();
    await stack?.stop();
  });

  /** Signs in with the token over plain HTTP, as a router forwarding an HTTPS request would. */
  async function sessionCookie(trustProxy: boolean, forwardedProto?: string): Promise<string> {
    const dashboard = await startDashboard({
      client: stack.client,
      taskQueue: stack.taskQueue,
      token: TOKEN,
      trustProxy,
    });
    dashboards.push(dashboard);
    const url = new URL(`${dashboard.url}/login`);
    const body = new URLSearchParams({ name: 'ops', token: TOKEN, next: '/' }).toString();
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            ...(forwardedProto ? { 'x-forwarded-proto': forwardedProto } : {}),
          },
        },
        (response) => {
          response.resume();
          assert.equal(response.statusCode, 303);
          resolve(String(response.headers['set-cookie'] ?? ''));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  test('a service whose view role names a group is refused to others, naming the rule', async () => {
    const hidden = await stack.launch('hidden', { minAge: '1h', access: { view: ['group:sre'] } });
    const dashboard = await startDashboard({ client: stack.client, taskQueue: stack.taskQueue, log: () => undefined });
    dashboards.push(dashboard);
    const response = await fetch(`${dashboard.url}/services/${hidden.name}`);
    assert.equal(response.status, 401);
    assert.match(await response.text(), /refused by access\.view: sign in to view this service/);
    assert.equal((await fetch(`${dashboard.url}/services/${hidden.name}/audit`)).status, 401);
  });

  test('Secure when the deployment trusts the router and it says https', async () => {
    assert.match(await sessionCookie(true, 'https'), /; Secure/);
  });
  test('not Secure over plain HTTP without the router saying https', async () => {
    assert.doesNotMatch(await sessionCookie(true), /Secure/);
  });
  test('X-Forwarded-Proto is ignored unless the deployment says it trusts it', async () => {
    assert.doesNotMatch(await sessionCookie(false, 'https'), /Secure/);
  });
});
