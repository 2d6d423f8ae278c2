import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DECIDE_AHEAD_MS } from '../../domain/ahead';
import { DateTime } from 'luxon';
import { startHealthSandbox, type HealthSandbox } from '../../sandbox/health';
import { startAlertmanager, type Alertmanager } from '../support/alertmanager';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

const verdictOf = async (stack: Stack, service: Parameters<typeof status>[1], pair: number, gate: string) =>
  (await status(stack, service)).pairs[pair]?.verdicts.find((v) => v.gate === gate);

describe('health gates hold a promotion, then let it through', () => {
  let stack: Stack;
  let health: HealthSandbox;
  let alertmanager: Alertmanager;
  before(
    async () => {
      [stack, health, alertmanager] = await Promise.all([startStack(), startHealthSandbox(), startAlertmanager()]);
    },
    { timeout: 360_000 },
  );
  after(async () => Promise.all([stack?.stop(), health?.stop(), alertmanager?.stop()]));

  test('an open incident on the Heroku status page holds promotions until it is resolved', async () => {
    const service = await stack.launch('incident', {
      incident: { herokuStatus: { url: health.herokuStatusUrl, systems: [] } },
    });
    const incident = health.controls.openIncident({ source: 'heroku-status', title: 'Elevated API errors' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const held = await eventually(async () => {
      const v = await verdictOf(stack, service, 0, 'incident');
      return v && !v.ok ? v : undefined;
    });
    assert.equal(held.reason, "Heroku status: incident 'Elevated API errors' open");
    assert.equal(
      stack.sandbox.scenario.promotions().filter((p) => p.targets.some((t) => service.stages.includes(t.app))).length,
      0,
    );
    health.controls.resolveIncident(incident);
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'roll-out after the incident',
    );
  });

  test('a firing eu alert in Alertmanager holds promotion into eu only; silencing it lets it go', async () => {
    const name = `alerts-${Date.now() % 100000}`;
    const stages = ['qa01', 'st01', 'va01', 'eu01'].map((s) => `${name}-${s}`);
    const service = await stack.launch('alerts', {
      stages,
      checks: {
        [stages[3]]: { alerts: { alertmanager: { url: alertmanager.url, matchers: { service: name, region: 'eu' } } } },
      },
    });
    await alertmanager.postAlert({ alertname: 'HighErrorRate', service: name, region: 'eu' });
    await alertmanager.postAlert({ alertname: 'HighErrorRate', service: name, region: 'us' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(stack, service))[2] === merged.sha,
      60_000,
      'the release in va01',
    );
    const held = await eventually(async () => {
      const v = await verdictOf(stack, service, 2, 'alerts');
      return v && !v.ok ? v : undefined;
    });
    assert.match(held.reason, /HighErrorRate .* firing/);
    assert.notEqual((await commitsByStage(stack, service))[3], merged.sha);
    await alertmanager.silence({ service: name, region: 'eu' });
    await eventually(
      async () => (await commitsByStage(stack, service))[3] === merged.sha,
      60_000,
      'the release in eu01 after the silence',
    );
  });

  test('a health URL that does not answer 200 holds promotions until it does', async () => {
    health.controls.setProbe('integration', { status: 500 });
    const url = health.probeUrl('integration');
    const service = await stack.launch('urls', {
      checks: { '*': { urls: { urls: [url], timeoutMs: 2_000, followRedirects: false } } },
    });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const held = await eventually(async () => {
      const v = await verdictOf(stack, service, 0, 'urls');
      return v && !v.ok ? v : undefined;
    });
    assert.match(held.reason, new RegExp(`${url.replace(/[/.]/g, '\\$&')}.*500`));
    health.controls.setProbe('integration', { status: 200 });
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'roll-out once the URL answers 200',
    );
  });

  test('a blackout holds promotions and the workflow wakes the moment it ends, not at the next tick', async () => {
    // Blackouts are written to the minute: this one ends at the start of the next minute.
    const now = DateTime.utc();
    const end = now.startOf('minute').plus({ minutes: now.second > 50 ? 2 : 1 });
    const blackout = {
      from: now.minus({ hours: 1 }).toFormat("yyyy-LL-dd'T'HH:mm"),
      to: end.toFormat("yyyy-LL-dd'T'HH:mm"),
      reason: 'launch day',
      timeZone: 'UTC',
    };
    // Merged before the workflow first looks: after that only the gate's own timer can wake it.
    const service = await stack.prepare('window', { tick: '1h', windows: { windows: [], blackouts: [blackout] } });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await stack.start(service);
    const held = await eventually(async () => {
      const v = await verdictOf(stack, service, 0, 'window');
      return v && !v.ok ? v : undefined;
    });
    assert.match(held.reason, /launch day/);
    assert.equal(held.recheckAt, end.toISO({ suppressMilliseconds: false }));
    const promoted = await eventually(
      async () => (await status(stack, service)).history.find((h) => h.commit === merged.sha),
      150_000,
      'the promotion after the blackout',
    );
    // Woken by the gate's own timer, to decide at most DECIDE_AHEAD_MS before the end; posted at the
    // end or within seconds of it, not at the next tick an hour later (how soon is the bench's to measure).
    const ahead = end.toMillis() - Date.parse(promoted.startedAt);
    assert.ok(ahead <= DECIDE_AHEAD_MS, `promotion decided ${ahead} ms before the blackout ended`);
    const [posted] = stack.sandbox.scenario.promotions().filter((p) => p.commit === merged.sha);
    // Heroku's timestamps have whole seconds; the blackout ends on a whole minute.
    const late = Date.parse(posted.createdAt) - end.toMillis();
    assert.ok(late >= 0 && late < 60_000, `posted ${late} ms after the blackout ended (tick is 1h)`);
  });
});
