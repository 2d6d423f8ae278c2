import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { alertsVerdict } from '../../domain/gates/alerts';
import { incidentVerdict } from '../../domain/gates/incident';
import { urlsVerdict } from '../../domain/gates/urls';
import type { AlertFacts, IncidentFacts } from '../../domain/health';

const heroku = (facts: Partial<IncidentFacts> = {}): IncidentFacts => ({
  source: 'heroku-status',
  incidents: [],
  degraded: [],
  ...facts,
});
const statuspage = (facts: Partial<IncidentFacts> = {}): IncidentFacts => ({
  source: 'statuspage',
  incidents: [],
  degraded: [],
  ...facts,
});
const librato = (facts: Partial<AlertFacts> = {}): AlertFacts => ({ source: 'librato', firing: [], ...facts });
const alertmanager = (facts: Partial<AlertFacts> = {}): AlertFacts => ({
  source: 'alertmanager',
  firing: [],
  ...facts,
});

describe('incident gate', () => {
  test('passes when no source reports anything', () => {
    assert.deepEqual(incidentVerdict([heroku(), statuspage()]), {
      gate: 'incident',
      ok: true,
      reason: 'no open incident (Heroku status, statuspage)',
    });
  });

  test('passes when no incident source is configured', () => {
    assert.deepEqual(incidentVerdict([]), { gate: 'incident', ok: true, reason: 'no incident source configured' });
  });

  test('holds while Heroku has an open incident, naming it', () => {
    const verdict = incidentVerdict([heroku({ incidents: [{ title: 'Elevated API errors' }] })]);
    assert.deepEqual(verdict, {
      gate: 'incident',
      ok: false,
      reason: "Heroku status: incident 'Elevated API errors' open",
    });
  });

  test('holds while a Heroku system is not green, naming the system and colour', () => {
    assert.equal(
      incidentVerdict([heroku({ degraded: [{ system: 'Apps', status: 'yellow' }] })]).reason,
      'Heroku status: Apps is yellow',
    );
  });

  test('holds on a statuspage incident, naming it with its impact', () => {
    const verdict = incidentVerdict([heroku(), statuspage({ incidents: [{ title: 'DB failover', impact: 'major' }] })]);
    assert.deepEqual([verdict.ok, verdict.reason], [false, "statuspage: 'DB failover' (major) open"]);
  });

  test('names every trouble of every source', () => {
    const verdict = incidentVerdict([
      heroku({ incidents: [{ title: 'Elevated API errors' }], degraded: [{ system: 'Data', status: 'red' }] }),
      statuspage({ incidents: [{ title: 'DB failover', impact: 'critical' }] }),
    ]);
    assert.equal(
      verdict.reason,
      "Heroku status: incident 'Elevated API errors' open; Heroku status: Data is red; statuspage: 'DB failover' (critical) open",
    );
  });

  test('fails closed when a source cannot be read, saying why', () => {
    const verdict = incidentVerdict([
      heroku({ error: 'GET https://status.heroku.com/api/v4/current-status answered 503 Service Unavailable' }),
      statuspage(),
    ]);
    assert.deepEqual(
      [verdict.ok, verdict.reason],
      [
        false,
        'cannot read Heroku status: GET https://status.heroku.com/api/v4/current-status answered 503 Service Unavailable',
      ],
    );
  });
});

describe('alerts gate', () => {
  test('passes when nothing fires', () => {
    assert.deepEqual(alertsVerdict([librato(), alertmanager()]), {
      gate: 'alerts',
      ok: true,
      reason: 'no alert firing (Librato, Alertmanager)',
    });
  });

  test('passes when no alert source is configured', () =>
    assert.equal(alertsVerdict([]).reason, 'no alert source configured'));

  test('holds while alerts fire, naming each with its id and since when', () => {
    const verdict = alertsVerdict([
      librato({ firing: [{ id: '123', name: 'alert 123', since: '2026-11-20T09:58:00.000Z' }] }),
      alertmanager({ firing: [{ id: '0ba9d2ad5798d028', name: 'HighErrorRate', since: '2026-11-20T09:59:00.000Z' }] }),
    ]);
    assert.deepEqual(verdict, {
      gate: 'alerts',
      ok: false,
      reason:
        'Librato: alert 123 firing since 2026-11-20T09:58:00.000Z; Alertmanager: HighErrorRate (0ba9d2ad5798d028) firing since 2026-11-20T09:59:00.000Z',
    });
  });

  test('fails closed when a source cannot be read, saying why', () => {
    const verdict = alertsVerdict([
      librato({ error: "LIBRATO_EMAIL/LIBRATO_TOKEN not set in the worker's environment" }),
      alertmanager(),
    ]);
    assert.deepEqual(
      [verdict.ok, verdict.reason],
      [false, "cannot read Librato: LIBRATO_EMAIL/LIBRATO_TOKEN not set in the worker's environment"],
    );
  });
});

describe('urls gate', () => {
  test('passes when every URL answered 200, listing each with its time', () => {
    const verdict = urlsVerdict([
      { url: 'https://x/health', status: 200, ms: 12 },
      { url: 'https://x/ready', status: 200, ms: 30 },
    ]);
    assert.deepEqual(verdict, {
      gate: 'urls',
      ok: true,
      reason: 'https://x/health 200 in 12ms, https://x/ready 200 in 30ms',
    });
  });

  test('holds naming only the failing URLs with status, error and time', () => {
    const verdict = urlsVerdict([
      { url: 'https://x/health', status: 200, ms: 12 },
      { url: 'https://x/db', status: 500, ms: 40 },
      { url: 'https://x/slow', status: null, ms: 2003, error: 'timed out after 2000ms' },
      { url: 'https://x/old', status: 302, ms: 3, error: 'redirect 302 not followed (to https://x/login)' },
    ]);
    assert.deepEqual(
      [verdict.ok, verdict.reason],
      [
        false,
        'https://x/db 500 in 40ms; https://x/slow: timed out after 2000ms (2003ms); https://x/old: redirect 302 not followed (to https://x/login) (3ms)',
      ],
    );
  });

  test('holds on a URL that could not be reached', () => {
    const verdict = urlsVerdict([
      { url: 'http://127.0.0.1:1/health', status: null, ms: 1, error: 'connect ECONNREFUSED 127.0.0.1:1' },
    ]);
    assert.deepEqual(
      [verdict.ok, verdict.reason],
      [false, 'http://127.0.0.1:1/health: connect ECONNREFUSED 127.0.0.1:1 (1ms)'],
    );
  });

  test('holds on a success other than 200', () =>
    assert.equal(urlsVerdict([{ url: 'https://x/health', status: 204, ms: 5 }]).ok, false));
});
