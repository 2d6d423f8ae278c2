// The dashboard in a real browser (Debian's chromium through playwright-core), against a real
// worker on the real dev server and the sandbox.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { startDashboard, type Dashboard } from '../../dashboard/server';
import { githubClient } from '../../activities/api-clients';
import { launchChromium, type RunningBrowser } from '../support/browser';
import { startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

// The page's own globals, inside page.evaluate callbacks (the project's types have no DOM).
declare const document: any;

const TOKEN = 'test-dashboard-token-3f9c';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const short = (sha: string) => sha.slice(0, 7);

describe('dashboard in a browser', () => {
  let stack: Stack;
  let dashboard: Dashboard;
  let chromium: RunningBrowser;
  const logged: string[] = [];

  before(async () => {
    [stack, chromium] = await Promise.all([
      startStack({ promotionDelayMs: 300, releasePhaseMs: 100 }),
      launchChromium(),
    ]);
    dashboard = await startDashboard({
      client: stack.client,
      taskQueue: stack.taskQueue,
      token: TOKEN,
      github: githubClient(stack.sandbox.githubUrl, stack.sandbox.token),
      pollMs: 500,
      log: (line) => logged.push(line),
    });
  });
  after(async () => {
    await chromium?.close();
    await dashboard?.stop();
    await stack?.stop();
  });

  /** A fresh page with no session cookie. */
  async function anonymousPage(): Promise<Page> {
    await chromium.context.clearCookies();
    return chromium.context.newPage();
  }

  async function signedInPage(name: string, next = '/'): Promise<Page> {
    const page = await anonymousPage();
    await page.goto(`${dashboard.url}/login?next=${encodeURIComponent(next)}`);
    await page.getByLabel('Your name').fill(name);
    await page.getByLabel('Token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${dashboard.url}${next}`);
    return page;
  }

  const cell = (page: Page, service: string, stage: number) =>
    page.locator(`tr[data-service="${service}"] td.cell`).nth(stage);

  test('the fleet view shows a release moving stage to stage without a reload', async () => {
    const service = await stack.launch('moving', { minAge: '2s', tick: '1s' });
    const page = await anonymousPage();
    let loads = 0;
    page.on('load', () => loads++);
    await page.goto(`${dashboard.url}/`);
    await page.locator(`tr[data-service="${service.name}"]`).waitFor();
    await page.waitForFunction(() => document.documentElement.getAttribute('data-connected') === 'true');

    const merged = await stack.sandbox.scenario.merge(service.pipeline, { message: 'A change to watch' });
    const seen: number[] = [];
    for (let stage = 0; stage < service.stages.length; stage++) {
      // The commit the stage runs (not one coming in).
      await eventually(
        async () => (await cell(page, service.name, stage).locator('.rel .sha').textContent()) === short(merged.sha),
        60_000,
        `${short(merged.sha)} running on ${service.stages[stage]}`,
      );
      seen.push(stage);
    }
    assert.deepEqual(seen, [0, 1, 2, 3]);
    // The last stage is behind nobody; the pair leaving the stage before says it is in sync.
    await eventually(
      async () =>
        (await cell(page, service.name, 3).locator('.behind').count()) === 0 &&
        /^→ eu01 in sync$/.test((await cell(page, service.name, 2).locator('.pair-badge').textContent()) ?? ''),
      30_000,
      'the last pair in sync',
    );
    assert.equal(loads, 1, 'the page was never reloaded');
    await page.close();
  });

  test('the service view names the gate that holds a change and why, as it happens', async () => {
    const service = await stack.launch('holding', { minAge: '0s', tick: '1s' });
    const page = await anonymousPage();
    let loads = 0;
    page.on('load', () => loads++);
    await page.goto(`${dashboard.url}/services/${service.name}`);
    await page.waitForFunction(() => document.documentElement.getAttribute('data-connected') === 'true');
    const pushed = await stack.sandbox.scenario.pushBranch(service.pipeline, 'feature/x', {
      message: 'Not merged yet',
    });
    const pair = page.getByRole('listitem', { name: `${service.stages[0]} to ${service.stages[1]}` });
    await eventually(
      async () => /held by gates: branch/.test((await pair.locator('.pair-state').textContent()) ?? ''),
      30_000,
      'the branch gate shown holding',
    );
    assert.equal(loads, 1, 'shown without a reload');
    assert.match((await pair.locator('li.no').first().textContent()) ?? '', new RegExp(`branch.*${short(pushed.sha)}`));
    await page.close();
  });

  test('pause from the page stops promotions and records who paused', async () => {
    const service = await stack.launch('paused', { minAge: '1s', tick: '1s' });
    const page = await signedInPage('ana', `/services/${service.name}`);
    await page.getByLabel('Reason to pause').fill('db migration');
    await page.getByRole('button', { name: `Pause ${service.name}` }).click();
    await page.getByText(`paused ${service.name}`, { exact: true }).waitFor();

    const paused = await eventually(
      async () => (await status(stack, service)).paused ?? undefined,
      10_000,
      'the pause',
    );
    assert.deepEqual([paused.by, paused.reason], ['ana (unverified)', 'db migration']);
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    // Observed, old enough, and still held: only the pause (the allow gate) keeps it.
    const held = await eventually(
      async () => {
        const s = await status(stack, service);
        const age = s.pairs[0]?.verdicts.find((v) => v.gate === 'age');
        return s.stages[0].commit === merged.sha && age?.ok ? s : undefined;
      },
      30_000,
      'the merge observed and past its age gate',
    );
    assert.deepEqual(
      held.pairs[0].verdicts.filter((v) => !v.ok).map((v) => v.gate),
      ['allow'],
    );
    assert.notEqual(held.stages[1].commit, merged.sha);
    assert.equal(stack.sandbox.scenario.promotions().filter((p) => p.source === service.stages[0]).length, 0);

    // The audit trail: the pause signal in the workflow's history names ana, unverified (the shared
    // token proves nobody), and the dashboard logged it with the rule that allowed it.
    const history = await stack.client.workflow.getHandle(`conveyor/${service.name}`).fetchHistory();
    const signal = history.events?.find((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'pause');
    const input = JSON.parse(
      Buffer.from(signal!.workflowExecutionSignaledEventAttributes!.input!.payloads![0].data!).toString(),
    );
    assert.deepEqual(input, { reason: 'db migration', by: 'ana (unverified)' });
    assert.ok(
      logged.includes(
        `ana (unverified) pause ${service.name} (access.operate: not set, everyone signed in may operate): paused ${service.name}`,
      ),
      logged.join('\n'),
    );

    // The fleet row says so too.
    await page.goto(`${dashboard.url}/`);
    assert.match(
      (await page.locator(`tr[data-service="${service.name}"] th`).textContent()) ?? '',
      /paused by ana \(unverified\)/,
    );
    await page.close();
  });

  test('promoting by hand shows the gates it would overrule first, then records who and why', async () => {
    const service = await stack.launch('byhand', { minAge: '1h', tick: '1s' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await status(stack, service)).pairs[0]?.verdicts.some((v) => v.gate === 'age' && !v.ok),
      30_000,
      'the age gate holding',
    );
    const page = await signedInPage('ana', `/services/${service.name}`);
    await page.getByLabel('Promote by hand into').selectOption(service.stages[1]);
    await page.getByRole('button', { name: 'Review…' }).click();
    const overruled = page.locator('h2:has-text("Gates this would overrule") + ul');
    assert.match((await overruled.textContent()) ?? '', /age/);
    await page.getByLabel('Reason (recorded in the history)').fill('customer waiting');
    await page.getByRole('button', { name: `Promote into ${service.stages[1]} as ana` }).click();
    await page.getByText(/^promoting v\d+ .*skipped age/).waitFor();
    const record = await eventually(
      async () =>
        (await status(stack, service)).history.find((r) => r.to === service.stages[1] && r.outcome === 'succeeded'),
      30_000,
      'the promotion done',
    );
    assert.equal(record.commit, merged.sha);
    assert.deepEqual(record.manual, { by: 'ana (unverified)', reason: 'customer waiting', skippedGates: ['age'] });
    await page.close();
  });

  test('approving from the page lets the waiting release into its stage', async () => {
    const base = await stack.prepare('approve', { minAge: '0s', tick: '1s' });
    // Anyone signed in may approve into it: the shared token cannot approve where approvers are named.
    const service = { ...base, checks: { [base.stages[1]]: { approval: { approvers: [] } } } };
    await stack.start(service);
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await status(stack, service)).waitingForApproval.some((w) => w.commit === merged.sha),
      30_000,
      'the release waiting for approval',
    );
    const page = await signedInPage('ana', `/services/${service.name}`);
    assert.match(
      (await page.locator('.banner.approval').textContent()) ?? '',
      new RegExp(`Waiting for approval into ${service.stages[1]}`),
    );
    await page.getByRole('button', { name: `Approve ${short(merged.sha)} into ${service.stages[1]}` }).click();
    await page.getByText(`approved ${short(merged.sha)} into ${service.stages[1]}`, { exact: true }).waitFor();
    // Approved, the page stops saying it waits (with the next live update at the latest).
    await eventually(
      async () => (await page.locator('.banner.approval').count()) === 0,
      10_000,
      'no "Waiting for approval" banner once approved',
    );
    await eventually(
      async () => (await status(stack, service)).stages[1].commit === merged.sha,
      30_000,
      'the approved release in the stage',
    );
    await page.close();
  });

  test('a pause from elsewhere turns the Pause button into Resume without a reload', async () => {
    const service = await stack.launch('pause-live', { minAge: '1s', tick: '1s' });
    await eventually(async () => (await status(stack, service)).observedAt, 20_000, 'first observation');
    const page = await signedInPage('ana', `/services/${service.name}`);
    let loads = 0;
    page.on('load', () => loads++);
    await page.waitForFunction(() => document.documentElement.getAttribute('data-connected') === 'true');
    await page.getByRole('button', { name: `Pause ${service.name}` }).waitFor();
    await stack.client.workflow.getHandle(`conveyor/${service.name}`).signal('pause', { reason: 'drill', by: 'bo' });
    await page.locator('.banner.paused').waitFor();
    await page.getByRole('button', { name: `Resume ${service.name}` }).waitFor();
    assert.equal(await page.getByRole('button', { name: `Pause ${service.name}` }).count(), 0, 'no Pause offered');
    assert.equal(loads, 0, 'without a reload');
    // The banner's moment reads as the CLI's: wall clock with its zone, and how far from now.
    assert.match(
      (await page.locator('.banner.paused').textContent()) ?? '',
      /since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \(\d+s ago\)/,
    );
    await page.close();
  });

  test('the promote confirmation offers no Promote for a pair in sync', async () => {
    const service = await stack.launch('in-sync', { minAge: '1s', tick: '1s' });
    await eventually(
      async () => (await status(stack, service)).pairs[0]?.state === 'in-sync',
      20_000,
      'the first pair in sync',
    );
    const page = await signedInPage('ana', `/services/${service.name}`);
    await page.goto(`${dashboard.url}/services/${service.name}/promote?to=${service.stages[1]}`);
    const promote = page.getByRole('button', { name: `Promote into ${service.stages[1]} as ana` });
    assert.equal(await promote.isDisabled(), true);
    assert.match(
      (await page.locator('form.confirm').textContent()) ?? '',
      /Nothing to promote: .* run the same release/,
    );
    await page.close();
  });

  test('the fleet shows an approval wait, a stage behind the one before, and the pair state marked with where it goes', async () => {
    const base = await stack.prepare('fleet-approval', { minAge: '0s', tick: '1s' });
    const last = base.stages[3];
    const service = { ...base, checks: { [last]: { approval: { approvers: [] } } } };
    await stack.start(service);
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await status(stack, service)).waitingForApproval.some((w) => w.commit === merged.sha),
      60_000,
      'the release waiting for approval into the last stage',
    );
    const page = await anonymousPage();
    await page.goto(`${dashboard.url}/`);
    const row = page.locator(`tr[data-service="${service.name}"]`);
    await eventually(
      async () => /approval into eu01/.test((await row.locator('th .marks').textContent()) ?? ''),
      20_000,
      'the approval wait marked on the row',
    );
    const lastCell = cell(page, service.name, 3);
    assert.match((await lastCell.locator('.behind').textContent()) ?? '', /^behind va01 \(v\d+\)$/);
    assert.doesNotMatch(
      (await lastCell.textContent()) ?? '',
      /in sync/,
      'the last stage is not "in sync" while behind',
    );
    const leaving = cell(page, service.name, 2).locator('.pair-badge');
    assert.match((await leaving.textContent()) ?? '', /^→ eu01 held by approval$/);
    // The whole reason is one tap away.
    const why = cell(page, service.name, 2).locator('details.why');
    await why.locator('summary').click();
    assert.match((await why.locator('p').textContent()) ?? '', /waiting for approval since .* \(anyone may approve\)$/);
    await page.selectOption('#filter', 'approval');
    assert.equal(await row.isVisible(), true);
    await page.close();
  });

  test('at 800 px the fleet table shows that it scrolls sideways', async () => {
    await stack.launch('narrow', { minAge: '1s', tick: '1s' });
    const page = await anonymousPage();
    await page.setViewportSize({ width: 800, height: 700 });
    await page.goto(`${dashboard.url}/`);
    await page.locator('.scroll[data-overflow="true"]').waitFor();
    assert.equal(await page.locator('.scroll-hint').isVisible(), true);
    await page.locator('.scroll').evaluate((box: any) => (box.scrollLeft = box.scrollWidth));
    await page.locator('.scroll[data-overflow="false"]').waitFor();
    assert.equal(await page.locator('.scroll-hint').isVisible(), false, 'scrolled to the end: no more to see');
    await page.close();
  });

  test('rejecting from the page holds the release; unrejecting lifts the hold', async () => {
    const service = await stack.launch('reject', { minAge: '1h', tick: '1s' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const page = await signedInPage('ana', `/services/${service.name}`);
    await page.getByLabel('Reject commit').fill(short(merged.sha));
    await page.getByLabel('Reason', { exact: true }).fill('breaks billing');
    await page.getByRole('button', { name: 'Reject', exact: true }).click();
    await page
      .getByText(`${short(merged.sha)} is rejected`, { exact: false })
      .first()
      .waitFor();
    const held = await eventually(
      async () => {
        const s = await status(stack, service);
        return s.stages[0].commit === merged.sha && s.pairs[0].state === 'held' ? s : undefined;
      },
      30_000,
      'the rejected release held',
    );
    assert.deepEqual(
      held.rejected.map((r) => [r.by, r.reason]),
      [['ana (unverified)', 'breaks billing']],
    );
    await page.getByRole('button', { name: `Unreject ${short(merged.sha)}` }).click();
    await page.getByText('may be promoted again').waitFor();
    // Back to waiting for its age, as any release: the rejection no longer holds it.
    const lifted = await eventually(
      async () => {
        const s = await status(stack, service);
        return s.rejected.length === 0 && s.pairs[0].state === 'gated' ? s : undefined;
      },
      30_000,
      'the hold lifted',
    );
    assert.deepEqual(
      lifted.pairs[0].verdicts.filter((v) => !v.ok).map((v) => v.gate),
      ['age'],
    );
    await page.close();
  });

  test('a freeze from the fleet page shows its banner on every open page, live', async () => {
    const watcher = await anonymousPage();
    await watcher.goto(`${dashboard.url}/`);
    await watcher.waitForFunction(() => document.documentElement.getAttribute('data-connected') === 'true');
    const page = await chromium.context.newPage();
    await page.goto(`${dashboard.url}/login?next=/`);
    await page.getByLabel('Your name').fill('cto');
    await page.getByLabel('Token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Freeze every pipeline…').click();
    await page.getByLabel('Reason').fill('Dreamforce');
    await page.getByRole('button', { name: 'Freeze' }).click();
    await page.locator('#freeze.banner').waitFor();
    assert.match((await page.locator('#freeze').textContent()) ?? '', /Frozen by cto .*: Dreamforce/);
    await watcher.locator('#freeze.banner').waitFor({ timeout: 15_000 });
    assert.match((await watcher.locator('#freeze').textContent()) ?? '', /Dreamforce/);
    await page.getByRole('button', { name: 'Unfreeze' }).click();
    await page.getByText('unfrozen', { exact: true }).waitFor();
    await watcher.locator('#freeze:not(.banner)').waitFor({ state: 'attached', timeout: 15_000 });
    await Promise.all([page.close(), watcher.close()]);
  });

  test('search and the state filter narrow the fleet to the rows asked for', async () => {
    const [first, second] = [
      await stack.launch('alpha', { minAge: '1h' }),
      await stack.launch('beta', { minAge: '1h' }),
    ];
    await stack.client.workflow
      .getHandle(`conveyor/${second.name}`)
      .signal('pause', { reason: 'filter test', by: 'ana' });
    const page = await anonymousPage();
    await page.goto(`${dashboard.url}/`);
    const visible = async () =>
      page.locator('#fleet tbody tr:visible').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-service')));
    // Visibility may list a workflow started a moment ago a little later: the live page adds its row.
    await page.locator(`tr[data-service="${first.name}"]`).waitFor({ timeout: 30_000 });
    await page.getByLabel('Search services').fill('alpha-');
    assert.deepEqual(await visible(), [first.name]);
    await page.getByLabel('Search services').fill('');
    await eventually(
      async () =>
        (await page.locator(`tr[data-service="${second.name}"]`).getAttribute('data-facets'))?.includes('paused'),
      30_000,
      'the pause on the fleet row',
    );
    await page.getByLabel('Show').selectOption('paused');
    const paused = await visible();
    assert.ok(paused.includes(second.name) && !paused.includes(first.name), paused.join(', '));
    // Other tests of this file paused services too: every row shown is a paused one.
    for (const name of paused)
      assert.match((await page.locator(`tr[data-service="${name}"] th`).textContent()) ?? '', /paused/);
    assert.match(page.url(), /show=paused/);
    await page.close();
  });

  test('an action without a session is refused, logged, and changes nothing', async () => {
    const service = await stack.launch('refused', { minAge: '1h' });
    const page = await anonymousPage();
    await page.goto(`${dashboard.url}/services/${service.name}`);
    assert.equal(await page.getByLabel('Reason to pause').count(), 0, 'no action form without a session');
    // A hand-made form, as a cross-site page or a curious person would send it.
    const response = page.waitForResponse((r) => r.url().endsWith('/actions/pause'));
    await page.evaluate((name) => {
      const form = Object.assign(document.createElement('form'), { method: 'post', action: '/actions/pause' });
      for (const [key, value] of Object.entries({ service: name, reason: 'sneaky' }))
        form.append(Object.assign(document.createElement('input'), { name: key, value }));
      document.body.append(form);
      form.submit();
    }, service.name);
    assert.equal((await response).status(), 401);
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /not signed in/);
    assert.equal((await status(stack, service)).paused, null);
    assert.ok(
      logged.some((l) => /^refused POST \/actions\/pause from .*: pause refused: not signed in/.test(l)),
      logged.join('\n'),
    );
    await page.close();
  });

  test('an action with a session but without its CSRF token is refused', async () => {
    const service = await stack.launch('csrf', { minAge: '1h' });
    const page = await signedInPage('bob', `/services/${service.name}`);
    const status403 = await page.evaluate(async (name) => {
      const body = new URLSearchParams({ service: name, reason: 'no csrf' });
      return (await fetch('/actions/pause', { method: 'POST', body })).status;
    }, service.name);
    assert.equal(status403, 403);
    assert.equal((await status(stack, service)).paused, null);
    assert.ok(logged.some((l) => l.includes('pause refused: missing or wrong CSRF token')));
    await page.close();
  });

  test('a wrong token does not sign in', async () => {
    const page = await anonymousPage();
    await page.goto(`${dashboard.url}/login`);
    await page.getByLabel('Your name').fill('mallory');
    await page.getByLabel('Token').fill('guess');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /not the dashboard token/);
    assert.deepEqual(
      (await chromium.context.cookies()).map((c) => c.name),
      [],
    );
    assert.ok(logged.some((l) => l.startsWith('refused sign-in as "mallory"')));
    await page.close();
  });

  test('the fleet and service views pass an automated accessibility check (axe-core)', async () => {
    const service = await stack.launch('a11y', { minAge: '1h' });
    await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await status(stack, service)).pairs[0]?.state === 'gated',
      30_000,
      'a held pair to show',
    );
    const page = await signedInPage('ana');
    const violations = async () => {
      await page.evaluate(axeSource);
      const result = await page.evaluate<{ passes: number; violations: string[] }>(
        `axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] }).then((r) => ({ passes: r.passes.length, violations: r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')) }))`,
      );
      assert.ok(result.passes > 10, `axe checked the page (${result.passes} rules passed)`);
      return result.violations;
    };
    assert.deepEqual(await violations(), [], 'fleet view');
    await page.goto(`${dashboard.url}/services/${service.name}`);
    assert.deepEqual(await violations(), [], 'service view');
    await page.goto(`${dashboard.url}/services/${service.name}/promote?to=${service.stages[1]}`);
    assert.deepEqual(await violations(), [], 'promotion confirmation');
    await page.close();
  });
});
