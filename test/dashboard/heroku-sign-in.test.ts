// Signing in with Heroku, end to end: the dashboard sends Chromium through id.heroku.com's web flow
// (the sandbox's, scope identity), reads the account, and grants `heroku:deployers` by asking Heroku
// at the time of the action, with conveyor's own token, who may deploy to the target app.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startDashboard, type Dashboard } from '../../dashboard/server';
import { herokuClient } from '../../activities/api-clients';
import { newSigningKey } from '../../domain/attestation';
import type { Service } from '../../domain/service';
import { freePort } from '../../temporal/free-port';
import { launchChromium, type RunningBrowser } from '../support/browser';
import { startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import { readAudit } from '../../client/audit';

const short = (sha: string) => sha.slice(0, 7);

describe('signing in with Heroku; heroku:deployers asks Heroku who may deploy', () => {
  let stack: Stack;
  let chromium: RunningBrowser;
  let dashboard: Dashboard;
  let service: Service;
  let waiting: string;
  let target: string;
  const key = newSigningKey();
  const logged: string[] = [];
  const secrets: string[] = [];

  before(async () => {
    [stack, chromium] = await Promise.all([
      startStack({ promotionDelayMs: 300, releasePhaseMs: 100 }),
      launchChromium(),
    ]);
    const port = await freePort();
    const client = stack.sandbox.scenario.registerOAuthClient('conveyor', `http://127.0.0.1:${port}/auth/callback`);
    secrets.push(client.secret, stack.sandbox.token);
    dashboard = await startDashboard({
      client: stack.client,
      taskQueue: stack.taskQueue,
      port,
      herokuOAuth: {
        clientId: client.id,
        clientSecret: client.secret,
        idUrl: stack.sandbox.identityUrl,
        apiUrl: stack.sandbox.herokuUrl,
      },
      heroku: herokuClient(stack.sandbox.herokuUrl, stack.sandbox.token),
      signingKey: key.secretKey,
      pollMs: 500,
      log: (line) => logged.push(line),
    });

    const base = await stack.prepare('deployers', { minAge: '0s', tick: '1s' });
    target = base.stages[1];
    service = {
      ...base,
      checks: { [target]: { approval: { approvers: ['heroku:deployers'] } } },
      access: { signingKeys: [key.publicKey] },
    };
    // The target is a team app: ana may deploy to it, bo may only view it; cy is no collaborator.
    const { scenario } = stack.sandbox;
    scenario.addPerson('ana@acme.com', 'Ana');
    scenario.addPerson('bo@acme.com', 'Bo');
    scenario.addPerson('cy@acme.com', 'Cy');
    scenario.moveAppToTeam(target, 'acme');
    scenario.addCollaborator(target, 'ana@acme.com', { permissions: ['view', 'deploy'] });
    scenario.addCollaborator(target, 'bo@acme.com', { permissions: ['view'] });
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
    await dashboard?.stop();
    await stack?.stop();
  });

  /** Through the sandbox's id.heroku.com pages, as a person would. */
  async function signInWithHeroku(email: string, next: string): Promise<Page> {
    await chromium.context.clearCookies();
    const page = await chromium.context.newPage();
    await page.goto(`${dashboard.url}/login?next=${encodeURIComponent(next)}`);
    await page.getByRole('link', { name: 'Sign in with Heroku' }).click();
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill('any password');
    await page.getByRole('button', { name: 'Log in and allow access' }).click();
    await page.waitForURL(`${dashboard.url}${next}`);
    return page;
  }
  const approveButton = (page: Page) => page.getByRole('button', { name: `Approve ${short(waiting)} into ${target}` });
  const stillWaiting = async () => (await status(stack, service)).stages[1].commit !== waiting;

  test('the sign-in page offers Heroku only, and Heroku was asked for scope identity alone', async () => {
    await chromium.context.clearCookies();
    const page = await chromium.context.newPage();
    await page.goto(`${dashboard.url}/login`);
    assert.equal(await page.getByLabel('Token').count(), 0);
    await page.getByRole('link', { name: 'Sign in with Heroku' }).click();
    await page.getByText('would like to access your account with the scope identity').waitFor();
    await page.close();
  });

  test('after signing in, the page shows the account Heroku confirmed; no token or secret reaches it', async () => {
    const page = await signInWithHeroku('ana@acme.com', `/services/${service.name}`);
    assert.match((await page.locator('header .who').textContent()) ?? '', /signed in as ana@acme\.com$/);
    const html = await page.content();
    assert.doesNotMatch(html, /HRKU-/, 'no Heroku token in the page');
    for (const secret of secrets) assert.ok(!html.includes(secret), 'no secret in the page');
    assert.ok(
      logged.some((l) =>
        /^ana@acme\.com signed in from .* through http:\/\/127\.0\.0\.1:\d+\/id \(subject [0-9a-f-]{36}\)$/.test(l),
      ),
      logged.join('\n'),
    );
    await page.close();
  });

  test('someone Heroku lets only view the app is refused, naming the rule and what Heroku said', async () => {
    const page = await signInWithHeroku('bo@acme.com', `/services/${service.name}`);
    await approveButton(page).click();
    const flash = page.locator('.flash.error');
    await flash.waitFor();
    assert.equal(
      await flash.textContent(),
      `approve refused by stageChecks.${target}.approval.approvers (heroku:deployers): bo@acme.com may not approve into ${target}: Heroku does not let them deploy to the app (bo@acme.com holds view on team app ${target}, not deploy), and stageChecks.${target}.approval.approvers lists nobody else who matches (heroku:deployers)`,
    );
    assert.ok(await stillWaiting(), 'the gate still holds');
    await page.close();
  });

  test('a Heroku account that is no collaborator is refused too', async () => {
    const page = await signInWithHeroku('cy@acme.com', `/services/${service.name}`);
    await approveButton(page).click();
    const flash = page.locator('.flash.error');
    await flash.waitFor();
    assert.match(
      (await flash.textContent()) ?? '',
      new RegExp(
        `^approve refused by stageChecks\\.${target}\\.approval\\.approvers \\(heroku:deployers\\): cy@acme\\.com may not approve into ${target}: .*cy@acme\\.com is not a collaborator on team app ${target}`,
      ),
    );
    assert.ok(await stillWaiting(), 'the gate still holds');
    await page.close();
  });

  test('a collaborator Heroku lets deploy approves, and the gate opens', async () => {
    const page = await signInWithHeroku('ana@acme.com', `/services/${service.name}`);
    await approveButton(page).click();
    await page.getByText(`approved ${short(waiting)} into ${target}`, { exact: true }).waitFor();
    await eventually(
      async () => (await status(stack, service)).stages[1].commit === waiting,
      30_000,
      'the approved release in the stage',
    );
    const audit = await readAudit(stack.client, service.name, 3_600_000);
    const approval = audit.find((a) => a.action === 'approve');
    assert.ok(approval, JSON.stringify(audit));
    assert.equal(approval.by, 'ana@acme.com');
    assert.equal(approval.assurance, 'verified');
    assert.equal(approval.provider, 'heroku');
    assert.equal(approval.rule, `stageChecks.${target}.approval.approvers: heroku:deployers`);
    assert.match(approval.subject ?? '', /^[0-9a-f-]{36}$/);
    for (const line of logged) {
      assert.doesNotMatch(line, /HRKU-/);
      for (const secret of secrets) assert.ok(!line.includes(secret));
    }
    await page.close();
  });
});
