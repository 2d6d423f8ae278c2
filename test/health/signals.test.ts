// The new alert and incident sources over what answers for them: a real Prometheus (Debian's
// package, our own process) and stand-ins answering as Datadog, New Relic, PagerDuty and Grafana document.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { alertActivities } from '../../activities/alerts';
import { HealthHttp } from '../../activities/health-http';
import { statusActivities } from '../../activities/status';
import { alertsVerdict } from '../../domain/gates/alerts';
import { incidentVerdict } from '../../domain/gates/incident';
import type { AlertPolicy, IncidentPolicy } from '../../domain/health';
import { ConveyorMetrics } from '../../worker/metrics';
import { startProviderFakes, type ProviderFakes } from '../../sandbox/health';
import { startPrometheus, type Prometheus } from '../support/prometheus';

let prometheus: Prometheus;
let fakes: ProviderFakes;
before(async () => ([prometheus, fakes] = await Promise.all([startPrometheus(), startProviderFakes()])), {
  timeout: 360_000,
});
after(() => Promise.all([prometheus?.stop(), fakes?.stop()]));

const env = () => ({
  SIG_DD_API: fakes.keys.datadogApiKey,
  SIG_DD_APP: fakes.keys.datadogAppKey,
  SIG_NR: fakes.keys.newRelicKey,
  SIG_PD: fakes.keys.pagerdutyToken,
  SIG_GRAFANA: fakes.keys.grafanaToken,
});
/** A fresh cache per read: these tests change the world between reads. */
const alerts = (policy: AlertPolicy, options: { cacheMs?: number; http?: HealthHttp } = {}) =>
  alertActivities({
    env: env(),
    http: options.http ?? new HealthHttp({ cacheMs: options.cacheMs ?? 0, timeoutMs: 2_000 }),
  })
    .alertFacts(policy)
    .then(alertsVerdict);
const incidents = (policy: IncidentPolicy, stage: string) =>
  statusActivities({ env: env(), http: new HealthHttp({ cacheMs: 0, timeoutMs: 2_000 }) })
    .incidentFacts(policy)
    .then((facts) => incidentVerdict(facts, stage));

const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe('Prometheus: a PromQL expression evaluated now', () => {
  const policy = (query: string, above?: number): AlertPolicy => ({
    prometheus: {
      url: prometheus.url,
      queries: [{ name: 'error rate', query, ...(above !== undefined ? { above } : {}) }],
    },
  });

  test('a series above the threshold holds, named by its labels; dropping below lets it go', async () => {
    prometheus.set('app_error_ratio', { app: 'sig-eu01' }, 0.2);
    prometheus.set('app_error_ratio', { app: 'sig-us01' }, 0.001);
    await prometheus.until('app_error_ratio{app=~"sig-.*"}', (n) => n === 2);
    const held = await alerts(policy('app_error_ratio{app=~"sig-.*"}', 0.05));
    assert.equal(held.ok, false);
    assert.match(
      held.reason,
      /^Prometheus: error rate: app_error_ratio\{app="sig-eu01", instance="127\.0\.0\.1:\d+", job="app"\} = 0\.2 \(above 0\.05\) firing$/,
    );
    prometheus.set('app_error_ratio', { app: 'sig-eu01' }, 0.01);
    await prometheus.until('app_error_ratio{app="sig-eu01"} > 0.05', (n) => n === 0);
    assert.deepEqual(await alerts(policy('app_error_ratio{app=~"sig-.*"}', 0.05)), {
      gate: 'alerts',
      ok: true,
      reason: 'no alert firing (Prometheus)',
    });
  });

  test('any series a comparison returns holds; none lets it go', async () => {
    prometheus.set('queue_depth', { app: 'sig-q' }, 900);
    await prometheus.until('queue_depth{app="sig-q"} > 500', (n) => n === 1);
    assert.equal((await alerts(policy('queue_depth{app="sig-q"} > 500'))).ok, false);
    prometheus.drop('queue_depth', { app: 'sig-q' });
    await prometheus.until('queue_depth{app="sig-q"}', (n) => n === 0);
    assert.equal((await alerts(policy('queue_depth{app="sig-q"} > 500'))).ok, true);
  });

  test('a query Prometheus cannot parse holds with its error', async () => {
    const held = await alerts(policy('rate(app_error_ratio[5m'));
    assert.equal(held.ok, false);
    assert.match(
      held.reason,
      /^cannot read Prometheus: GET .*\/api\/v1\/query\?query=.* answered 400 Bad Request: .*parse error/,
    );
  });

  test('a range vector is refused as the wrong query for a gate', async () => {
    const held = await alerts(policy('app_error_ratio[1m]'));
    assert.equal(
      held.reason,
      'cannot read Prometheus: error rate: the query answers a range vector; it must answer an instant vector or a scalar',
    );
  });

  test('an unreachable Prometheus holds by default and passes with a warning when told', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const queries = [{ query: 'up' }];
    const held = await alerts({ prometheus: { url, queries } });
    assert.equal(held.ok, false);
    assert.match(held.reason, /^cannot read Prometheus: GET .* failed: connect ECONNREFUSED/);
    const passed = await alerts({ prometheus: { url, queries, onUnreachable: 'pass' } });
    assert.equal(passed.ok, true);
    assert.match(
      passed.reason,
      /^warning: cannot read Prometheus: .*ECONNREFUSED.* \(passing as configured\); no source could be read$/,
    );
  });
});

describe('Grafana alerting through its Alertmanager-compatible API', () => {
  const policy = (): AlertPolicy => ({
    grafana: { url: fakes.grafanaUrl, matchers: { service: 'sig-api' }, tokenEnv: 'SIG_GRAFANA' },
  });

  test('a firing Grafana alert for the labels holds, naming it; resolving it lets it go', async () => {
    const labels = { alertname: 'CheckoutErrors', service: 'sig-api' };
    fakes.fireGrafana(labels);
    fakes.fireGrafana({ alertname: 'Other', service: 'else' });
    const held = await alerts(policy());
    assert.match(held.reason, /^Grafana: CheckoutErrors \([0-9a-f]{16}\) firing since /);
    const asked = fakes.requests.filter((r) => r.provider === 'grafana').at(-1)!;
    assert.equal(
      asked.path,
      '/api/alertmanager/grafana/api/v2/alerts?active=true&silenced=false&inhibited=false&filter=service%3D%22sig-api%22',
    );
    assert.equal(asked.headers.authorization, `Bearer ${fakes.keys.grafanaToken}`);
    fakes.resolveGrafana(labels);
    assert.deepEqual(await alerts(policy()), { gate: 'alerts', ok: true, reason: 'no alert firing (Grafana)' });
  });

  test('a token Grafana refuses holds, whatever the mode, and the token is in no reason', async () => {
    const verdict = await alertActivities({
      env: { SIG_GRAFANA: 'glsa_wrong_token_0000' },
      http: new HealthHttp({ cacheMs: 0 }),
    })
      .alertFacts({ grafana: { ...policy().grafana!, onUnreachable: 'pass' } })
      .then(alertsVerdict);
    assert.equal(verdict.ok, false);
    assert.match(verdict.reason, /answered 401 Unauthorized: Unauthorized$/);
    assert.ok(!verdict.reason.includes('glsa_wrong_token_0000'));
  });
});

describe('Datadog monitors', () => {
  const policy = (states: ('Alert' | 'Warn' | 'No Data')[] = ['Alert']): AlertPolicy => ({
    datadog: {
      url: fakes.datadogUrl,
      tags: ['service:sig', 'env:prod'],
      ids: [],
      states,
      apiKeyEnv: 'SIG_DD_API',
      appKeyEnv: 'SIG_DD_APP',
    },
  });

  test('a monitor in Alert with the tags holds, named with id and state; OK lets it go', async () => {
    fakes.setMonitor({ id: 4001, name: 'Checkout 5xx', tags: ['service:sig', 'env:prod'], state: 'Alert' });
    fakes.setMonitor({ id: 4002, name: 'Staging 5xx', tags: ['service:sig', 'env:staging'], state: 'Alert' });
    const held = await alerts(policy());
    assert.match(held.reason, /^Datadog: Checkout 5xx \(4001, Alert\) firing since /);
    const asked = fakes.requests.filter((r) => r.provider === 'datadog').at(-1)!;
    assert.equal(asked.headers['dd-api-key'], fakes.keys.datadogApiKey);
    assert.equal(asked.headers['dd-application-key'], fakes.keys.datadogAppKey);
    fakes.setMonitor({ id: 4001, name: 'Checkout 5xx', tags: ['service:sig', 'env:prod'], state: 'OK' });
    assert.equal((await alerts(policy())).ok, true);
  });

  test('Warn holds only when the policy names it', async () => {
    fakes.setMonitor({ id: 4003, name: 'Latency p99', tags: ['service:sig', 'env:prod'], state: 'Warn' });
    assert.equal((await alerts(policy())).ok, true);
    assert.equal((await alerts(policy(['Alert', 'Warn']))).ok, false);
    fakes.setMonitor({ id: 4003, name: 'Latency p99', tags: ['service:sig', 'env:prod'], state: 'OK' });
  });

  test('a monitor named by id counts; an unknown id holds saying so', async () => {
    fakes.setMonitor({ id: 4010, name: 'DB CPU', tags: ['team:db'], state: 'No Data' });
    const byId: AlertPolicy = { datadog: { ...policy().datadog!, tags: [], ids: [4010], states: ['No Data'] } };
    assert.match((await alerts(byId)).reason, /^Datadog: DB CPU \(4010, No Data\) firing/);
    const unknown: AlertPolicy = { datadog: { ...byId.datadog!, ids: [4999] } };
    assert.match(
      (await alerts(unknown)).reason,
      /^cannot read Datadog: monitor 4999 not found \(GET .* answered 404 Not Found: Monitor not found\)$/,
    );
  });

  test("a 429 holds with Datadog's words, and no request is sent until its reset", async () => {
    const http = new HealthHttp({ cacheMs: 0 });
    fakes.rateLimit('datadog', 1);
    const first = await alerts(policy(), { http });
    assert.match(
      first.reason,
      /answered 429 Too Many Requests: Rate limit of 1000 requests in 3600 seconds reached\. Please try again later\. \(rate limited until /,
    );
    const sent = fakes.requests.length;
    const second = await alerts(policy(), { http });
    assert.match(second.reason, /^cannot read Datadog: not asked: rate limited until /);
    assert.equal(fakes.requests.length, sent, 'nothing sent while rate limited');
  });

  test('keys missing from the environment hold, naming the variable', async () => {
    const verdict = await alertActivities({ env: {}, http: new HealthHttp({ cacheMs: 0 }) })
      .alertFacts(policy())
      .then(alertsVerdict);
    assert.equal(verdict.reason, "cannot read Datadog: SIG_DD_API is not set in the worker's environment");
  });
});

describe('New Relic issues through NerdGraph', () => {
  const policy = (policyIds: number[] = [77]): AlertPolicy => ({
    newRelic: { url: fakes.newRelicUrl, accountId: 1234567, policyIds, entityGuids: [], apiKeyEnv: 'SIG_NR' },
  });

  test('an active issue of the policy holds, naming it; closing it lets it go', async () => {
    fakes.openIssue({ id: 'nr-1', title: 'Apdex below 0.8 on checkout', accountId: 1234567, policyId: 77 });
    fakes.openIssue({ id: 'nr-2', title: 'Other team', accountId: 1234567, policyId: 88 });
    const held = await alerts(policy());
    assert.match(held.reason, /^New Relic: CRITICAL 'Apdex below 0\.8 on checkout' \(nr-1\) firing since /);
    const asked = fakes.requests.filter((r) => r.provider === 'newrelic').at(-1)!;
    assert.equal(asked.headers['api-key'], fakes.keys.newRelicKey);
    fakes.closeIssue('nr-1');
    assert.deepEqual(await alerts(policy()), { gate: 'alerts', ok: true, reason: 'no alert firing (New Relic)' });
  });

  test('a key NerdGraph refuses holds with its GraphQL error', async () => {
    const verdict = await alertActivities({ env: { SIG_NR: 'NRAK-WRONG' }, http: new HealthHttp({ cacheMs: 0 }) })
      .alertFacts(policy())
      .then(alertsVerdict);
    assert.equal(verdict.reason, 'cannot read New Relic: NerdGraph answered: Invalid API key');
  });

  test('down (503) holds by default and passes with a warning when told', async () => {
    fakes.fail('newrelic', 503, 2);
    assert.match((await alerts(policy())).reason, /^cannot read New Relic: POST .* answered 503/);
    const passed = await alerts({ newRelic: { ...policy().newRelic!, onUnreachable: 'pass' } });
    assert.equal(passed.ok, true);
    assert.match(passed.reason, /^warning: cannot read New Relic: POST .* answered 503/);
  });
});

describe('PagerDuty incidents', () => {
  const policy = (minUrgency: 'low' | 'high' = 'low'): IncidentPolicy => ({
    pagerduty: {
      url: fakes.pagerdutyUrl,
      serviceIds: ['PSIG001'],
      minUrgency,
      stages: ['sig-eu01'],
      tokenEnv: 'SIG_PD',
    },
  });

  test('a triggered incident on the service holds the stage it names, not others; resolving it lets it go', async () => {
    fakes.openIncident({ id: 'Q1SIG', title: 'Checkout down', serviceId: 'PSIG001', urgency: 'high' });
    fakes.openIncident({ id: 'Q2SIG', title: 'Elsewhere', serviceId: 'POTHER1', urgency: 'high' });
    const held = await incidents(policy(), 'sig-eu01');
    assert.equal(held.ok, false);
    assert.match(held.reason, /^PagerDuty: '#\d+ Checkout down' \(high urgency, triggered\) open$/);
    assert.equal((await incidents(policy(), 'sig-st01')).reason, 'no incident source configured');
    const asked = fakes.requests.filter((r) => r.provider === 'pagerduty').at(-1)!;
    assert.equal(asked.headers.authorization, `Token token=${fakes.keys.pagerdutyToken}`);
    assert.equal(asked.headers.accept, 'application/vnd.pagerduty+json;version=2');
    fakes.setIncidentStatus('Q1SIG', 'acknowledged');
    assert.match((await incidents(policy(), 'sig-eu01')).reason, /acknowledged\) open$/);
    fakes.setIncidentStatus('Q1SIG', 'resolved');
    assert.deepEqual(await incidents(policy(), 'sig-eu01'), {
      gate: 'incident',
      ok: true,
      reason: 'no open incident (PagerDuty)',
    });
  });

  test('a low-urgency incident does not hold from a minimum of high', async () => {
    fakes.openIncident({ id: 'Q3SIG', title: 'Slow reports', serviceId: 'PSIG001', urgency: 'low' });
    assert.equal((await incidents(policy('high'), 'sig-eu01')).ok, true);
    assert.equal((await incidents(policy('low'), 'sig-eu01')).ok, false);
    fakes.setIncidentStatus('Q3SIG', 'resolved');
  });

  test("a 429 holds with PagerDuty's words; unreachable with pass lets it go with a warning", async () => {
    fakes.rateLimit('pagerduty', 1);
    assert.match(
      (await incidents(policy(), 'sig-eu01')).reason,
      /answered 429 Too Many Requests: Rate Limit Exceeded \(rate limited until /,
    );
    const url = `http://127.0.0.1:${await closedPort()}`;
    const passed = await incidents({ pagerduty: { ...policy().pagerduty!, url, onUnreachable: 'pass' } }, 'sig-eu01');
    assert.equal(passed.ok, true);
    assert.match(passed.reason, /^warning: cannot read PagerDuty: GET .* failed: connect ECONNREFUSED/);
  });
});

describe('every source', () => {
  test('identical asks within a pass share one answer, and every ask is counted in the metrics', async () => {
    const metrics = new ConveyorMetrics();
    const http = new HealthHttp({ observe: metrics.healthSource() });
    const policy: AlertPolicy = {
      datadog: {
        url: fakes.datadogUrl,
        tags: ['service:sig'],
        ids: [],
        states: ['Alert'],
        apiKeyEnv: 'SIG_DD_API',
        appKeyEnv: 'SIG_DD_APP',
      },
    };
    const before = fakes.requests.filter((r) => r.provider === 'datadog').length;
    await Promise.all([alerts(policy, { http }), alerts(policy, { http }), alerts(policy, { http })]);
    assert.equal(fakes.requests.filter((r) => r.provider === 'datadog').length, before + 1);
    const text = await metrics.registry.metrics();
    assert.match(text, /conveyor_health_source_calls_total\{source="datadog",result="200"\} 1/);
    assert.match(text, /conveyor_health_source_calls_total\{source="datadog",result="cached"\} 2/);
  });

  test('a server that echoes a key in its error never puts the key in the reason', async () => {
    const echo: typeof fetch = async (_url, init) => {
      const key = new Headers(init?.headers).get('dd-api-key');
      return new Response(JSON.stringify({ errors: [`API key ${key} is invalid`] }), { status: 403 });
    };
    const verdict = await alertActivities({ env: env(), http: new HealthHttp({ fetch: echo, cacheMs: 0 }) })
      .alertFacts({
        datadog: {
          url: 'https://api.datadoghq.com',
          tags: ['a:b'],
          ids: [],
          states: ['Alert'],
          apiKeyEnv: 'SIG_DD_API',
          appKeyEnv: 'SIG_DD_APP',
        },
      })
      .then(alertsVerdict);
    assert.match(verdict.reason, /answered 403: API key \*\*\* is invalid$/);
    assert.ok(!verdict.reason.includes(fakes.keys.datadogApiKey));
  });
});
