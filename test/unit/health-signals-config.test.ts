// How the health sources are written in the services file: defaults, the policies they become, and
// the one-line messages `validate` gives for what is wrong.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { alertSpec, incidentSpec, toAlertPolicy, toIncidentPolicy } from '../../config/health-schema';
import { describeIssues, serviceSpec } from '../../config/schema';

const alertProblems = (input: unknown): string[] => {
  const parsed = alertSpec.safeParse(input);
  assert.equal(parsed.success, false, 'expected the spec to be refused');
  return describeIssues(parsed.error);
};

describe('health sources in the services file', () => {
  test('defaults: keys under their usual names, Alert only, hold when unreachable (not written)', () => {
    assert.deepEqual(
      toAlertPolicy(
        alertSpec.parse({
          datadog: { tags: ['service:api'] },
          grafana: { url: 'https://acme.grafana.net', matchers: ['service="api"'] },
          newRelic: { accountId: 1234567 },
          prometheus: { url: 'http://prometheus:9090', queries: [{ query: 'up == 0' }] },
        }),
      ),
      {
        grafana: { url: 'https://acme.grafana.net', matchers: { service: 'api' }, tokenEnv: 'GRAFANA_TOKEN' },
        prometheus: { url: 'http://prometheus:9090', queries: [{ query: 'up == 0' }] },
        datadog: {
          tags: ['service:api'],
          ids: [],
          states: ['Alert'],
          apiKeyEnv: 'DD_API_KEY',
          appKeyEnv: 'DD_APPLICATION_KEY',
        },
        newRelic: {
          url: 'https://api.newrelic.com/graphql',
          accountId: 1234567,
          policyIds: [],
          entityGuids: [],
          apiKeyEnv: 'NEW_RELIC_API_KEY',
        },
      },
    );
    assert.deepEqual(
      toIncidentPolicy(incidentSpec.parse({ pagerduty: { services: ['PIJ90N7'], onUnreachable: 'pass' } })),
      {
        pagerduty: {
          url: 'https://api.pagerduty.com',
          serviceIds: ['PIJ90N7'],
          minUrgency: 'low',
          stages: [],
          tokenEnv: 'PAGERDUTY_TOKEN',
          onUnreachable: 'pass',
        },
      },
    );
  });

  const rows: { name: string; input: unknown; expect: string[] }[] = [
    {
      name: 'datadog without tags or ids',
      input: { datadog: { states: ['Alert'] } },
      expect: ['datadog: needs tags or ids to find monitors by'],
    },
    {
      name: 'a datadog state it does not know',
      input: { datadog: { tags: ['a:b'], states: ['Critical'] } },
      expect: ['datadog.states[0]: must be one of Alert, Warn, No Data'],
    },
    {
      name: 'a key written where its variable name goes',
      input: { datadog: { tags: ['a:b'], apiKeyEnv: 'abc-123-secret' } },
      expect: ['datadog.apiKeyEnv: must be the name of an environment variable, such as DD_API_KEY'],
    },
    {
      name: 'a failure mode other than hold or pass',
      input: { prometheus: { url: 'http://p:9090', queries: [{ query: 'up' }], onUnreachable: 'ignore' } },
      expect: ['prometheus.onUnreachable: must be "hold" or "pass"'],
    },
    {
      name: 'prometheus without a query',
      input: { prometheus: { url: 'http://p:9090', queries: [] } },
      expect: ['prometheus.queries: needs at least one query'],
    },
    {
      name: 'a threshold written as text',
      input: { prometheus: { url: 'http://p:9090', queries: [{ query: 'up', above: '0.5' }] } },
      expect: ['prometheus.queries[0].above: must be a number'],
    },
    {
      name: 'a New Relic account id that is not a number',
      input: { newRelic: { accountId: 'acme' } },
      expect: ['newRelic.accountId: must be a New Relic account id such as 1234567'],
    },
    {
      name: 'a Grafana URL that is not http(s)',
      input: { grafana: { url: 'grafana.acme.com' } },
      expect: ['grafana.url: "grafana.acme.com" is not an http(s) URL'],
    },
  ];
  for (const row of rows) test(`refused: ${row.name}`, () => assert.deepEqual(alertProblems(row.input), row.expect));

  test('refused: a PagerDuty service id that is not one, and a minimum urgency it does not have', () => {
    const parsed = incidentSpec.safeParse({ pagerduty: { services: ['checkout'], minUrgency: 'critical' } });
    assert.deepEqual(parsed.success ? [] : describeIssues(parsed.error), [
      'pagerduty.services[0]: must be a PagerDuty service id such as PIJ90N7',
      'pagerduty.minUrgency: must be one of low, high',
    ]);
  });

  test('refused: PagerDuty stages that are not stages the service promotes into', () => {
    const parsed = serviceSpec.safeParse({
      name: 'api',
      pipeline: 'api',
      stages: ['api-qa01', 'api-st01', 'api-eu01'],
      repo: 'acme/api',
      incident: { pagerduty: { services: ['PIJ90N7'], stages: ['api-qa01', 'api-eu1'] } },
    });
    assert.deepEqual(parsed.success ? [] : describeIssues(parsed.error), [
      'incident.pagerduty.stages[0]: "api-qa01" is the first stage: nothing is promoted into it',
      'incident.pagerduty.stages[1]: "api-eu1" is not one of this service\'s stages (did you mean "api-eu01"?)',
    ]);
  });
});
