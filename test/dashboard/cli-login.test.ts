// `conveyor login` and CLI actions through the dashboard, end to end: a real OpenID provider
// (node-oidc-provider), the dashboard signing people in through it, Chromium allowing the CLI, and
// the real `conveyor` binary acting as the person the provider verified, roles checked each time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDashboard, type Dashboard } from '../../dashboard/server';
import { newSigningKey } from '../../domain/attestation';
import type { Service } from '../../domain/service';
import { readAudit } from '../../client/audit';
import { launchChromium, type RunningBrowser } from '../support/browser';
import { reserveIssuer, startIdentityProvider, type IdentityProvider } from '../support/identity-provider';
import { startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import { projectRoot } from '../../temporal/paths';

const execute = promisify(execFile);
const CONVEYOR = `${projectRoot}/bin/conveyor.js`;
const ACCOUNTS = {
  ana: { email: 'ana@acme.com', groups: ['release-managers'] },
  bo: { email: 'bo@acme.com', groups: ['developers'] },
};

describe('conveyor login: the CLI acts as the person the dashboard verified', () => {
  let stack: Stack;
  let chromium: RunningBrowser;
  let idp: IdentityProvider;
  let dashboard: Dashboard;
  let service: Service;
  let waiting: string;
  const key = newSigningKey();
  const homes = { ana: mkdtempSync(join(tmpdir(), 'conveyor-ana-')), bo: mkdtempSync(join(tmpdir(), 'conveyor-bo-')) };

  const envOf = (home: string): NodeJS.ProcessEnv => ({
    ...process.env,
    CONVEYOR_CONFIG_DIR: home,
    TEMPORAL_ADDRESS: stack.address,
    TEMPORAL_NAMESPACE: stack.namespace,
    CONVEYOR_TASK_QUEUE: stack.taskQueue,
    CONVEYOR_USER: 'someone-typed',
  });
  /** Runs conveyor; answers its exit code and output instead of throwing on a refusal. */
  async function conveyor(home: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await execute(process.execPath, [CONVEYOR, ...args], { env: envOf(home) });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  /** `conveyor login --no-browser`, allowed in Chromium by `login` signed in through the provider. */
  async function logIn(login: keyof typeof ACCOUNTS): Promise<string> {
    const child = spawn(process.execPath, [CONVEYOR, 'login', '--dashboard', dashboard.url, '--no-browser', '--json'], {
      env: envOf(homes[login]),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    const url = await eventually(
      async () => /(http:\/\/\S+\/cli\/login\?\S+)/.exec(stderr)?.[1],
      20_000,
      'the login URL',
    );
    await chromium.context.clearCookies();
    const page = await chromium.context.newPage();
    await page.goto(url);
    await page.getByRole('link', { name: 'Sign in with your identity provider' }).click();
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: `Allow the CLI to act as ${ACCOUNTS[login].email}` }).click();
    await page.getByText('conveyor login: signed in.').waitFor();
    await page.close();
    assert.equal(await exited, 0, stderr);
    return stdout;
  }

  before(async () => {
    const issuer = await reserveIssuer();
    [stack, chromium] = await Promise.all([
      startStack({ promotionDelayMs: 300, releasePhaseMs: 100 }),
      launchChromium(),
    ]);
    dashboard = await startDashboard({
      client: stack.client,
      taskQueue: stack.taskQueue,
      oidc: { issuer, clientId: 'conveyor-dashboard', clientSecret: 'test-client-secret-5b1e' },
      signingKey: key.secretKey,
      pollMs: 500,
      log: () => undefined,
    });
    idp = await startIdentityProvider(issuer, ACCOUNTS, [`${dashboard.url}/auth/callback`]);
    await chromium.context.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
    const base = await stack.prepare('clilogin', { minAge: '0s', tick: '1s' });
    service = {
      ...base,
      checks: { [base.stages[1]]: { approval: { approvers: ['ana@acme.com'] } } },
      access: { operate: ['ana@acme.com'], signingKeys: [key.publicKey] },
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
    await dashboard?.stop();
    await idp?.stop();
    await stack?.stop();
  });

  test('conveyor login stores a credential only its owner can read, with no ID token in it', async () => {
    const printed = JSON.parse(await logIn('bo')) as { name: string; provider: string; stored: string };
    assert.equal(printed.name, 'bo@acme.com');
    assert.equal(printed.provider, 'oidc');
    assert.equal(printed.stored, join(homes.bo, 'credentials.json'));
    assert.equal(statSync(printed.stored).mode & 0o777, 0o600);
    const stored = readFileSync(printed.stored, 'utf8');
    assert.doesNotMatch(stored, /eyJ[A-Za-z0-9_-]{10,}\./, 'no JWT in the credential');
    assert.ok(!stored.includes('test-client-secret-5b1e'));
  });

  test("a logged-in person outside the stage's approvers is refused, naming the rule; the gate holds", async () => {
    const refused = await conveyor(homes.bo, 'approve', service.name, '--to', service.stages[1]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(
        `approve refused by stageChecks\\.${service.stages[1]}\\.approval\\.approvers \\(ana@acme\\.com\\): bo@acme\\.com may not approve into ${service.stages[1]}`,
      ),
    );
    assert.notEqual((await status(stack, service)).stages[1].commit, waiting);
  });

  test('--by is refused while logged in: the dashboard says who acts', async () => {
    const refused = await conveyor(homes.bo, 'pause', service.name, '--reason', 'x', '--by', 'ana@acme.com');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--by: you are logged in to .* as bo@acme\.com/);
  });

  test('the listed approver, logged in, approves from the CLI; the gate opens and the audit says who', async () => {
    await logIn('ana');
    const approved = await conveyor(homes.ana, 'approve', service.name, '--to', service.stages[1], '--json');
    assert.equal(approved.code, 0, approved.stderr);
    const answer = JSON.parse(approved.stdout) as { by: string; rule: string; message: string };
    assert.equal(answer.by, 'ana@acme.com');
    assert.equal(answer.rule, `stageChecks.${service.stages[1]}.approval.approvers: ana@acme.com`);
    await eventually(
      async () => (await status(stack, service)).stages[1].commit === waiting,
      30_000,
      'the approved release in the stage',
    );
    const entry = (await readAudit(stack.client, service.name, 3_600_000)).find((a) => a.action === 'approve');
    assert.ok(entry);
    assert.deepEqual([entry.by, entry.assurance, entry.provider], ['ana@acme.com', 'verified', 'oidc']);
  });

  test('pause and resume from the CLI go through the dashboard, checked against access.operate', async () => {
    const refused = await conveyor(homes.bo, 'pause', service.name, '--reason', 'not mine');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /pause refused by access\.operate \(ana@acme\.com\): bo@acme\.com may not pause/);
    const paused = await conveyor(homes.ana, 'pause', service.name, '--reason', 'db migration');
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(paused.stdout.trim(), `paused ${service.name}`);
    await eventually(async () => (await status(stack, service)).paused !== null, 10_000, 'paused');
    const resumed = await conveyor(homes.ana, 'resume', service.name);
    assert.equal(resumed.code, 0, resumed.stderr);
    const audit = await readAudit(stack.client, service.name, 3_600_000);
    const pause = audit.find((a) => a.action === 'pause');
    assert.ok(pause);
    assert.deepEqual(
      [pause.by, pause.assurance, pause.rule],
      ['ana@acme.com', 'verified', 'access.operate: ana@acme.com'],
    );
  });

  test('freeze and unfreeze from the CLI are in the audit with who, provider, rule and what followed', async () => {
    const frozen = await conveyor(homes.ana, 'freeze', '--reason', 'quarter close');
    assert.equal(frozen.code, 0, frozen.stderr);
    const unfrozen = await conveyor(homes.ana, 'unfreeze');
    assert.equal(unfrozen.code, 0, unfrozen.stderr);
    const { stdout } = await execute(process.execPath, [CONVEYOR, 'audit', service.name, '--since', '1h', '--json'], {
      env: envOf(homes.ana),
    });
    const { actions } = JSON.parse(stdout) as {
      actions: { action: string; by: string; assurance: string; provider?: string; rule?: string; followed: string }[];
    };
    assert.deepEqual(
      actions
        .filter((a) => a.action === 'freeze' || a.action === 'unfreeze')
        .map((a) => [a.action, a.by, a.assurance, a.provider, a.rule, a.followed]),
      [
        [
          'freeze',
          'ana@acme.com',
          'verified',
          'oidc',
          'access.operate of every service',
          'every pipeline froze: this one holds its promotions',
        ],
        [
          'unfreeze',
          'ana@acme.com',
          'verified',
          'oidc',
          'access.operate of every service',
          'the freeze ended: promotions go again',
        ],
      ],
    );
  });

  test('nothing secret in the workflow histories: no ID token, client secret or CLI token', async () => {
    const tokens = ['ana', 'bo'].flatMap((who) => {
      try {
        return [
          (JSON.parse(readFileSync(join(homes[who as 'ana'], 'credentials.json'), 'utf8')) as { token: string }).token,
        ];
      } catch {
        return [];
      }
    });
    assert.ok(tokens.length >= 1, 'a CLI token to look for');
    for (const id of [`conveyor/${service.name}`, 'conveyor/control']) {
      const history = JSON.stringify(await stack.client.workflow.getHandle(id).fetchHistory());
      assert.doesNotMatch(history, /eyJ[A-Za-z0-9_-]{10,}\./, `no JWT in ${id}`);
      assert.ok(!history.includes('test-client-secret-5b1e'), `no client secret in ${id}`);
      for (const token of tokens) assert.ok(!history.includes(token), `no CLI token in ${id}`);
    }
  });

  test('after conveyor logout, the CLI acts straight on Temporal, recorded as administrator', async () => {
    const out = await conveyor(homes.bo, 'logout');
    assert.equal(out.code, 0);
    const direct = await conveyor(homes.bo, 'pause', service.name, '--reason', 'admin pause');
    assert.equal(direct.code, 0, direct.stderr);
    const audit = await readAudit(stack.client, service.name, 3_600_000);
    const pause = audit.find((a) => a.action === 'pause' && a.details.includes('admin pause'));
    assert.ok(pause, JSON.stringify(audit));
    assert.deepEqual([pause.by, pause.assurance], ['someone-typed', 'administrator']);
  });
});
