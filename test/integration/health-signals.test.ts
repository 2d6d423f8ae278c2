// The health signals on the dev server: a firing Prometheus query, Datadog monitor, New Relic issue,
// Grafana alert or PagerDuty incident holds a promotion and its clearing lets it go; an unreachable
// source follows its mode; a PromQL check rolls a baking release back; no key in history or logs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AlertPolicy, IncidentPolicy } from '../../domain/health';
import { startProviderFakes, type ProviderFakes } from '../../sandbox/health';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import { startPrometheus, type Prometheus } from '../support/prometheus';
import { conveyorWorker, type WorkerProcess } from '../cluster/support';

const verdictOf = async (stack: Stack, service: Parameters<typeof status>[1], pair: number, gate: string) =>
  (await status(stack, service)).pairs[pair]?.verdicts.find((v) => v.gate === gate);

const held = (stack: Stack, service: Parameters<typeof status>[1], pair: number, gate: string) =>
  eventually(async () => {
    const v = await verdictOf(stack, service, pair, gate);
    return v && !v.ok ? v : undefined;
  });

const rolledOut = (stack: Stack, service: Parameters<typeof status>[1], sha: string, what: string) =>
  eventually(async () => (await commitsByStage(stack, service)).every((c) => c === sha), 60_000, what);

const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** The worker reads keys from its environment, under the names the policies give. */
const KEY_NAMES = {
  datadogApiKey: 'ITEST_DD_API_KEY',
  datadogAppKey: 'ITEST_DD_APP_KEY',
  newRelicKey: 'ITEST_NEW_RELIC_KEY',
  pagerdutyToken: 'ITEST_PAGERDUTY_TOKEN',
  grafanaToken: 'ITEST_GRAFANA_TOKEN',
} as const;

function policies(fakes: ProviderFakes, tag: string) {
  const datadog: AlertPolicy = {
    datadog: {
      url: fakes.datadogUrl,
      tags: [`service:${tag}`],
      ids: [],
      states: ['Alert'],
      apiKeyEnv: KEY_NAMES.datadogApiKey,
      appKeyEnv: KEY_NAMES.datadogAppKey,
    },
  };
  const newRelic: AlertPolicy = {
    newRelic: {
      url: fakes.newRelicUrl,
      accountId: 1234567,
      policyIds: [],
      entityGuids: [`guid-${tag}`],
      apiKeyEnv: KEY_NAMES.newRelicKey,
    },
  };
  const grafana: AlertPolicy = {
    grafana: { url: fakes.grafanaUrl, matchers: { service: tag }, tokenEnv: KEY_NAMES.grafanaToken },
  };
  return { datadog, newRelic, grafana };
}

describe('health signals hold a promotion, then let it through', () => {
  let stack: Stack;
  let prometheus: Prometheus;
  let fakes: ProviderFakes;
  before(
    async () => {
      [stack, prometheus, fakes] = await Promise.all([startStack(), startPrometheus(), startProviderFakes()]);
      for (const [key, name] of Object.entries(KEY_NAMES))
        process.env[name] = fakes.keys[key as keyof typeof KEY_NAMES];
    },
    { timeout: 360_000 },
  );
  after(async () => {
    for (const name of Object.values(KEY_NAMES)) delete process.env[name];
    await Promise.all([stack?.stop(), prometheus?.stop(), fakes?.stop()]);
  });

  test('a PromQL query answering a series for eu01 holds promotion into eu01 only; its value falling lets it go', async () => {
    const name = `prom-${Date.now() % 100000}`;
    const stages = ['qa01', 'st01', 'va01', 'eu01'].map((s) => `${name}-${s}`);
    const service = await stack.launch('prom', {
      stages,
      checks: {
        '*': {
          alerts: {
            prometheus: {
              url: prometheus.url,
              queries: [{ name: 'error ratio', query: 'app_error_ratio{app="${stage}"}', above: 0.05 }],
            },
          },
        },
      },
    });
    prometheus.set('app_error_ratio', { app: stages[3] }, 0.3);
    await prometheus.until(`app_error_ratio{app="${stages[3]}"} > 0.05`, (n) => n === 1);
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(stack, service))[2] === merged.sha,
      60_000,
      'the release in va01',
    );
    const verdict = await held(stack, service, 2, 'alerts');
    assert.match(
      verdict.reason,
      new RegExp(`^Prometheus: error ratio: app_error_ratio\\{app="${stages[3]}".* = 0\\.3 \\(above 0\\.05\\) firing$`),
    );
    assert.notEqual((await commitsByStage(stack, service))[3], merged.sha);
    prometheus.set('app_error_ratio', { app: stages[3] }, 0.01);
    await rolledOut(stack, service, merged.sha, 'the release in eu01 once the error ratio fell');
  });

  for (const source of ['datadog', 'newRelic', 'grafana'] as const)
    test(`a firing ${source} signal holds promotions until it clears`, async () => {
      const tag = `sig-${source.toLowerCase()}-${Date.now() % 100000}`;
      const service = await stack.launch(source.toLowerCase(), {
        checks: { '*': { alerts: policies(fakes, tag)[source] } },
      });
      const fire = {
        datadog: () => fakes.setMonitor({ id: 9100, name: `${tag} errors`, tags: [`service:${tag}`], state: 'Alert' }),
        newRelic: () =>
          fakes.openIssue({
            id: `nr-${tag}`,
            title: `${tag} apdex`,
            accountId: 1234567,
            policyId: 5,
            entityGuid: `guid-${tag}`,
          }),
        grafana: () => fakes.fireGrafana({ alertname: 'HighErrors', service: tag }),
      }[source];
      const clear = {
        datadog: () => fakes.setMonitor({ id: 9100, name: `${tag} errors`, tags: [`service:${tag}`], state: 'OK' }),
        newRelic: () => fakes.closeIssue(`nr-${tag}`),
        grafana: () => fakes.resolveGrafana({ alertname: 'HighErrors', service: tag }),
      }[source];
      fire();
      const merged = await stack.sandbox.scenario.merge(service.pipeline);
      const verdict = await held(stack, service, 0, 'alerts');
      assert.match(
        verdict.reason,
        {
          datadog: /^Datadog: .* errors \(9100, Alert\) firing/,
          newRelic: /^New Relic: CRITICAL '.* apdex'/,
          grafana: /^Grafana: HighErrors \([0-9a-f]{16}\) firing/,
        }[source],
      );
      assert.equal(
        stack.sandbox.scenario.promotions().filter((p) => p.targets.some((t) => service.stages.includes(t.app))).length,
        0,
      );
      clear();
      await rolledOut(stack, service, merged.sha, `the roll-out once the ${source} signal cleared`);
    });

  test('an open PagerDuty incident holds promotions into the stage it names, not the others, until resolved', async () => {
    const name = `pd-${Date.now() % 100000}`;
    const stages = ['qa01', 'st01', 'va01', 'eu01'].map((s) => `${name}-${s}`);
    const incident: IncidentPolicy = {
      pagerduty: {
        url: fakes.pagerdutyUrl,
        serviceIds: ['PITEST1'],
        minUrgency: 'high',
        stages: [stages[3]],
        tokenEnv: KEY_NAMES.pagerdutyToken,
      },
    };
    const service = await stack.launch('pd', { stages, incident });
    fakes.openIncident({ id: `Q${name}`, title: 'Checkout down', serviceId: 'PITEST1', urgency: 'high' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(stack, service))[2] === merged.sha,
      60_000,
      'the release in va01',
    );
    const verdict = await held(stack, service, 2, 'incident');
    assert.match(verdict.reason, /^PagerDuty: '#\d+ Checkout down' \(high urgency, triggered\) open$/);
    fakes.setIncidentStatus(`Q${name}`, 'resolved');
    await rolledOut(stack, service, merged.sha, 'the release in eu01 once the incident was resolved');
  });

  test('an unreachable source holds by default, and with onUnreachable "pass" lets promotions go with a warning', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const datadog = (onUnreachable?: 'pass') => ({
      datadog: { ...policies(fakes, 'down').datadog.datadog!, url, ...(onUnreachable ? { onUnreachable } : {}) },
    });
    const holding = await stack.launch('down-hold', { checks: { '*': { alerts: datadog() } } });
    const passing = await stack.launch('down-pass', { checks: { '*': { alerts: datadog('pass') } } });
    const [mergedHold, mergedPass] = await Promise.all([
      stack.sandbox.scenario.merge(holding.pipeline),
      stack.sandbox.scenario.merge(passing.pipeline),
    ]);
    const warnings = new Set<string>();
    await eventually(
      async () => {
        const now = await status(stack, passing);
        for (const pair of now.pairs)
          for (const v of pair.verdicts)
            if (v.gate === 'alerts' && v.ok && v.reason.startsWith('warning:')) warnings.add(v.reason);
        return now.stages.every((s) => s.commit === mergedPass.sha);
      },
      60_000,
      'the roll-out past the unreachable source',
    );
    assert.ok(warnings.size > 0, 'the alerts gate passed with a warning');
    for (const warning of warnings)
      assert.match(
        warning,
        /^warning: cannot read Datadog: GET .* failed: connect ECONNREFUSED.* \(passing as configured\); no source could be read$/,
      );
    const verdict = await held(stack, holding, 0, 'alerts');
    assert.match(verdict.reason, /^cannot read Datadog: GET .* failed: connect ECONNREFUSED/);
    assert.notEqual((await commitsByStage(stack, holding))[1], mergedHold.sha);
  });

  test('a PromQL check failing while a release bakes rolls it back', async () => {
    const name = `bake-${Date.now() % 100000}`;
    const stages = ['qa01', 'st01', 'va01', 'eu01'].map((s) => `${name}-${s}`);
    prometheus.set('app_error_ratio', { app: stages[1] }, 0);
    await prometheus.until(`app_error_ratio{app="${stages[1]}"}`, (n) => n === 1);
    const service = await stack.launch('bake', {
      stages,
      checks: {
        '*': {
          alerts: {
            prometheus: {
              url: prometheus.url,
              queries: [{ name: 'error ratio since the promotion', query: 'app_error_ratio{app="${stage}"} > 0.05' }],
            },
          },
          bakeMs: 12_000,
        },
      },
    });
    const before = stack.sandbox.scenario.releases(stages[1])[0].commit;
    await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await status(stack, service)).inFlight.some((p) => p.outcome === 'verifying' && p.to === stages[1]),
      30_000,
      'the bake to start',
    );
    prometheus.set('app_error_ratio', { app: stages[1] }, 0.4);
    const rolledBack = await eventually(
      async () => (await status(stack, service)).history.find((h) => h.outcome === 'rolled-back'),
      30_000,
      'the rollback',
    );
    assert.match(
      rolledBack.verification!.problem,
      /^alerts: Prometheus: error ratio since the promotion: app_error_ratio\{app=".*-st01".*\} = 0\.4 firing$/,
    );
    await eventually(
      async () => (await commitsByStage(stack, service))[1] === before,
      15_000,
      'the previous release back',
    );
  });
});

describe('health signal keys stay in the worker', () => {
  let stack: Stack;
  let fakes: ProviderFakes;
  let worker: WorkerProcess | undefined;
  before(async () => ([stack, fakes] = await Promise.all([startStack({ worker: false }), startProviderFakes()])), {
    timeout: 120_000,
  });
  after(async () => {
    worker?.child.kill('SIGKILL');
    await Promise.all([stack?.stop(), fakes?.stop()]);
  });

  test('no key is in the workflow history or in any line the worker logs at debug', async () => {
    const keys = Object.fromEntries(
      Object.entries(KEY_NAMES).map(([key, name]) => [name, fakes.keys[key as keyof typeof KEY_NAMES]]),
    );
    worker = await conveyorWorker(stack.workerEnv, { ...keys, CONVEYOR_LOG_LEVEL: 'debug' });
    const tag = `keys-${Date.now() % 100000}`;
    const { datadog, newRelic, grafana } = policies(fakes, tag);
    const service = await stack.launch('keys', {
      checks: { '*': { alerts: { ...datadog, ...newRelic, ...grafana } } },
      incident: {
        pagerduty: {
          url: fakes.pagerdutyUrl,
          serviceIds: ['PKEYS01'],
          minUrgency: 'low',
          stages: [],
          tokenEnv: KEY_NAMES.pagerdutyToken,
        },
      },
    });
    fakes.setMonitor({ id: 9200, name: `${tag} errors`, tags: [`service:${tag}`], state: 'Alert' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await held(stack, service, 0, 'alerts');
    fakes.setMonitor({ id: 9200, name: `${tag} errors`, tags: [`service:${tag}`], state: 'OK' });
    await rolledOut(stack, service, merged.sha, 'the roll-out');
    // The providers were asked with the keys...
    for (const provider of ['datadog', 'newrelic', 'pagerduty', 'grafana'] as const)
      assert.ok(
        fakes.requests.some((r) => r.provider === provider),
        `${provider} was asked`,
      );
    // Payloads are bytes (base64 in the history's JSON): read as text, as anyone with access to the history could.
    const history = JSON.stringify(
      await stack.client.workflow.getHandle(`conveyor/${service.name}`).fetchHistory(),
      (key, value: unknown) =>
        key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value,
    );
    const logs = JSON.stringify(worker.lines);
    assert.ok(worker.lines.length > 0);
    // ...and none of them is anywhere else.
    for (const [name, value] of Object.entries(keys)) {
      assert.ok(history.includes(name), `the history names ${name}`);
      assert.ok(!history.includes(value), `${name}'s value is not in the history`);
      assert.ok(!logs.includes(value), `${name}'s value is in no log line`);
    }
  });
});
