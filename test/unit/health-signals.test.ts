// The pure rules behind the health signals: unreadable sources, PagerDuty's stages and urgencies,
// PromQL answers, and the providers' rate limits.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { alertsVerdict } from '../../domain/gates/alerts';
import { incidentVerdict } from '../../domain/gates/incident';
import type { AlertFacts, IncidentFacts } from '../../domain/health';
import { reachesUrgency, isUnreachableStatus } from '../../domain/health';
import { holdingSeries, seriesText, type PromData } from '../../domain/promql';
import { backoffUntil, fitsMinute } from '../../domain/source-limits';
import { stagePolicy, type Service } from '../../domain/service';

const datadog = (facts: Partial<AlertFacts> = {}): AlertFacts => ({ source: 'datadog', firing: [], ...facts });
const prometheus = (facts: Partial<AlertFacts> = {}): AlertFacts => ({ source: 'prometheus', firing: [], ...facts });
const pagerduty = (facts: Partial<IncidentFacts> = {}): IncidentFacts => ({
  source: 'pagerduty',
  incidents: [],
  degraded: [],
  ...facts,
});

describe('a source that cannot be read', () => {
  const down = { error: 'GET https://api.datadoghq.com/api/v1/monitor answered 503', unreachable: true };
  const rows: { name: string; facts: AlertFacts[]; ok: boolean; reason: string }[] = [
    {
      name: 'holds by default',
      facts: [datadog(down)],
      ok: false,
      reason: 'cannot read Datadog: GET https://api.datadoghq.com/api/v1/monitor answered 503',
    },
    {
      name: 'passes with a warning when it did not answer and its mode is pass',
      facts: [datadog({ ...down, onUnreachable: 'pass' }), prometheus()],
      ok: true,
      reason:
        'warning: cannot read Datadog: GET https://api.datadoghq.com/api/v1/monitor answered 503 (passing as configured); no alert firing (Prometheus)',
    },
    {
      name: 'holds when it refused the key, whatever its mode',
      facts: [datadog({ error: 'GET x answered 403 Forbidden: Forbidden', onUnreachable: 'pass' })],
      ok: false,
      reason: 'cannot read Datadog: GET x answered 403 Forbidden: Forbidden',
    },
    {
      name: 'holds when its key is not set, whatever its mode',
      facts: [datadog({ error: "DD_API_KEY is not set in the worker's environment", onUnreachable: 'pass' })],
      ok: false,
      reason: "cannot read Datadog: DD_API_KEY is not set in the worker's environment",
    },
    {
      name: 'passing unread does not hide another source that fires',
      facts: [
        datadog({ ...down, onUnreachable: 'pass' }),
        prometheus({ firing: [{ id: '{app="eu"}', name: 'errors: {app="eu"} = 0.2' }] }),
      ],
      ok: false,
      reason: 'Prometheus: errors: {app="eu"} = 0.2 firing',
    },
    {
      name: 'says so when the only source passes unread',
      facts: [datadog({ ...down, onUnreachable: 'pass' })],
      ok: true,
      reason:
        'warning: cannot read Datadog: GET https://api.datadoghq.com/api/v1/monitor answered 503 (passing as configured); no source could be read',
    },
  ];
  for (const row of rows)
    test(row.name, () =>
      assert.deepEqual(alertsVerdict(row.facts), { gate: 'alerts', ok: row.ok, reason: row.reason }),
    );

  const statuses: [number | undefined, boolean][] = [
    [undefined, true],
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
  ];
  for (const [status, unreachable] of statuses)
    test(`an answer ${status ?? '(none)'} ${unreachable ? 'is' : 'is not'} the source being unreachable`, () =>
      assert.equal(isUnreachableStatus(status), unreachable));
});

describe('PagerDuty incidents', () => {
  const open = pagerduty({
    incidents: [{ title: '#42 Checkout errors', impact: 'high urgency, triggered' }],
    stages: ['api-eu01'],
  });
  const rows: { name: string; facts: IncidentFacts[]; stage: string; ok: boolean; reason: string }[] = [
    {
      name: 'an open incident holds promotions into a stage it names',
      facts: [open],
      stage: 'api-eu01',
      ok: false,
      reason: "PagerDuty: '#42 Checkout errors' (high urgency, triggered) open",
    },
    {
      name: 'an open incident does not hold promotions into a stage it does not name',
      facts: [open],
      stage: 'api-st01',
      ok: true,
      reason: 'no incident source configured',
    },
    {
      name: 'without stages it holds every stage',
      facts: [{ ...open, stages: undefined }],
      stage: 'api-st01',
      ok: false,
      reason: "PagerDuty: '#42 Checkout errors' (high urgency, triggered) open",
    },
    {
      name: 'unreachable with pass mode lets the promotion go with a warning',
      facts: [
        pagerduty({ error: 'GET x failed: connect ECONNREFUSED', unreachable: true, onUnreachable: 'pass' }),
        { source: 'statuspage', incidents: [], degraded: [] },
      ],
      stage: 'api-st01',
      ok: true,
      reason:
        'warning: cannot read PagerDuty: GET x failed: connect ECONNREFUSED (passing as configured); no open incident (statuspage)',
    },
  ];
  for (const row of rows)
    test(row.name, () =>
      assert.deepEqual(incidentVerdict(row.facts, row.stage), { gate: 'incident', ok: row.ok, reason: row.reason }),
    );

  const urgencyRows: [string, 'low' | 'high', boolean][] = [
    ['low', 'low', true],
    ['high', 'low', true],
    ['low', 'high', false],
    ['high', 'high', true],
    ['severe', 'high', true],
  ];
  for (const [urgency, minimum, reaches] of urgencyRows)
    test(`urgency ${urgency} ${reaches ? 'reaches' : 'does not reach'} a minimum of ${minimum}`, () =>
      assert.equal(reachesUrgency(urgency, minimum), reaches));
});

describe('a PromQL answer', () => {
  const vector = (...series: [Record<string, string>, string][]): PromData => ({
    resultType: 'vector',
    result: series.map(([metric, value]) => ({ metric, value: [1_764_000_000, value] })),
  });
  const rows: { name: string; above?: number; data: PromData; expect: string[] | string }[] = [
    { name: 'no series: nothing holds', data: vector(), expect: [] },
    {
      name: 'any series returned holds, named by its labels',
      data: vector([{ __name__: 'up', job: 'api', instance: 'a:1' }, '0']),
      expect: ['errors: up{instance="a:1", job="api"} = 0'],
    },
    {
      name: 'with a threshold only series above it hold',
      above: 0.05,
      data: vector([{ app: 'eu' }, '0.2'], [{ app: 'us' }, '0.01'], [{ app: 'nan' }, 'NaN']),
      expect: ['errors: {app="eu"} = 0.2 (above 0.05)'],
    },
    {
      name: 'a scalar above the threshold holds',
      above: 1,
      data: { resultType: 'scalar', result: [1_764_000_000, '3'] },
      expect: ['errors: {} = 3 (above 1)'],
    },
    {
      name: 'a range vector is the wrong query for a gate',
      data: { resultType: 'matrix', result: [] },
      expect: 'the query answers a range vector; it must answer an instant vector or a scalar',
    },
    {
      name: 'past five series the rest are counted',
      data: vector(...Array.from({ length: 7 }, (_, i): [Record<string, string>, string] => [{ i: String(i) }, '1'])),
      expect: [0, 1, 2, 3, 4].map((i) => `errors: {i="${i}"} = 1`).concat('errors: and 2 more series'),
    },
  ];
  for (const row of rows)
    test(row.name, () => {
      const held = holdingSeries(
        { name: 'errors', query: 'q', ...(row.above !== undefined ? { above: row.above } : {}) },
        row.data,
      );
      assert.deepEqual(typeof held === 'string' ? held : held.map((a) => a.name), row.expect);
    });

  test('label values are quoted as PromQL writes them', () =>
    assert.equal(seriesText({ path: 'say "hi"\\' }), '{path="say \\"hi\\"\\\\"}'));

  test('${stage} in a query stands for the target stage', () => {
    const service = {
      checks: {
        '*': { alerts: { prometheus: { url: 'http://p', queries: [{ query: 'errors{app="${stage}"} > 0' }] } } },
      },
    } as unknown as Service;
    assert.equal(stagePolicy(service, 'api-eu01').alerts?.prometheus?.queries[0].query, 'errors{app="api-eu01"} > 0');
  });
});

describe('provider rate limits', () => {
  const now = Date.parse('2026-12-06T10:00:00Z');
  const rows: { name: string; answer: Parameters<typeof backoffUntil>[0]; wait?: number }[] = [
    { name: 'a 200 with requests left: no wait', answer: { status: 200, remaining: '10', reset: '30' } },
    { name: 'a 429 waits Retry-After seconds', answer: { status: 429, retryAfter: '7' }, wait: 7_000 },
    { name: 'a 429 without Retry-After waits for the reset', answer: { status: 429, reset: '12' }, wait: 12_000 },
    { name: 'a 429 that says nothing waits a minute', answer: { status: 429 }, wait: 60_000 },
    {
      name: 'the last request of a window waits for its reset',
      answer: { status: 200, remaining: '0', reset: '20' },
      wait: 20_000,
    },
    { name: 'no wait is longer than 15 minutes', answer: { status: 429, retryAfter: '86400' }, wait: 900_000 },
  ];
  for (const row of rows)
    test(row.name, () =>
      assert.equal(backoffUntil(row.answer, now), row.wait === undefined ? undefined : now + row.wait),
    );

  test('a documented rate per minute is kept over a sliding minute', () => {
    assert.equal(fitsMinute([now - 61_000, now - 1_000], now, 2), true);
    assert.equal(fitsMinute([now - 30_000, now - 1_000], now, 2), false);
    assert.equal(fitsMinute(Array(5000).fill(now), now, undefined), true);
  });
});
