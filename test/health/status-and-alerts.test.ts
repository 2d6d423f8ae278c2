// The health adapters over real HTTP against the stand-ins, judged by the pure verdicts.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { alertActivities } from '../../activities/alerts';
import { statusActivities } from '../../activities/status';
import { urlActivities } from '../../activities/urls';
import { alertsVerdict } from '../../domain/gates/alerts';
import { incidentVerdict } from '../../domain/gates/incident';
import { urlsVerdict } from '../../domain/gates/urls';
import type { Impact, UrlPolicy } from '../../domain/health';
import { startHealthSandbox, type HealthSandbox } from '../../sandbox/health';

let sandbox: HealthSandbox;
beforeEach(async () => (sandbox = await startHealthSandbox()));
afterEach(() => sandbox.stop());

/** A loopback URL nothing listens on: a sandbox that was started and stopped again. */
async function deadUrl(): Promise<string> {
  const gone = await startHealthSandbox();
  await gone.stop();
  return gone.url;
}

const { incidentFacts } = statusActivities({ timeoutMs: 2_000 });
const herokuIncidents = async (systems: string[] = []) =>
  incidentVerdict(await incidentFacts({ herokuStatus: { url: sandbox.herokuStatusUrl, systems } }));
const statuspageIncidents = async (minImpact: Impact = 'minor', components: string[] = []) =>
  incidentVerdict(await incidentFacts({ statuspage: { url: sandbox.statuspageUrl, minImpact, components } }));

describe('incident gate over Heroku status and a Statuspage', () => {
  test('an incident opened on Heroku status holds promotions, naming it', async () => {
    sandbox.controls.openIncident({ source: 'heroku-status', title: 'Elevated API errors' });
    assert.deepEqual(await herokuIncidents(), {
      gate: 'incident',
      ok: false,
      reason: "Heroku status: incident 'Elevated API errors' open",
    });
  });

  test('the gate passes again once the incident is resolved', async () => {
    const id = sandbox.controls.openIncident({ source: 'heroku-status', title: 'Elevated API errors' });
    sandbox.controls.resolveIncident(id);
    assert.deepEqual(await herokuIncidents(), {
      gate: 'incident',
      ok: true,
      reason: 'no open incident (Heroku status)',
    });
  });

  test('a non-green Heroku system holds; one outside the policy systems does not', async () => {
    sandbox.controls.setSystem('Tools', 'red');
    assert.equal((await herokuIncidents(['Apps'])).ok, true);
    sandbox.controls.setSystem('Apps', 'yellow');
    assert.equal((await herokuIncidents(['Apps'])).reason, 'Heroku status: Apps is yellow');
    assert.equal((await herokuIncidents()).reason, 'Heroku status: Apps is yellow; Heroku status: Tools is red');
  });

  test('a Statuspage incident below the minimum impact does not hold', async () => {
    sandbox.controls.openIncident({ source: 'statuspage', title: 'Slow dashboards', impact: 'minor' });
    sandbox.controls.openIncident({ source: 'statuspage', title: 'Planned upgrade', impact: 'maintenance' });
    assert.equal((await statuspageIncidents('major')).ok, true);
    sandbox.controls.openIncident({ source: 'statuspage', title: 'DB failover', impact: 'major' });
    assert.deepEqual(await statuspageIncidents('major'), {
      gate: 'incident',
      ok: false,
      reason: "statuspage: 'DB failover' (major) open",
    });
  });

  test('maintenance counts only when the minimum impact is none', async () => {
    sandbox.controls.openIncident({ source: 'statuspage', title: 'Planned upgrade', impact: 'maintenance' });
    assert.equal((await statuspageIncidents('minor')).ok, true);
    assert.equal((await statuspageIncidents('none')).reason, "statuspage: 'Planned upgrade' (maintenance) open");
  });

  test('only incidents on the policy components hold, named or by id', async () => {
    sandbox.controls.openIncident({ source: 'statuspage', title: 'CDN slow', impact: 'major', components: ['CDN'] });
    assert.equal((await statuspageIncidents('minor', ['Database'])).ok, true);
    sandbox.controls.openIncident({
      source: 'statuspage',
      title: 'DB failover',
      impact: 'critical',
      components: ['Database', 'API'],
    });
    assert.equal(
      (await statuspageIncidents('minor', ['database'])).reason,
      "statuspage: 'DB failover' (critical) open",
    );
    assert.equal(
      (await statuspageIncidents('minor', ['cmp-database'])).reason,
      "statuspage: 'DB failover' (critical) open",
    );
  });

  test('a source that cannot be reached holds the gate with the cause', async () => {
    const url = await deadUrl();
    const verdict = incidentVerdict(await incidentFacts({ herokuStatus: { url, systems: [] } }));
    assert.equal(verdict.ok, false);
    assert.match(
      verdict.reason,
      new RegExp(`^cannot read Heroku status: GET ${url}/api/v4/current-status failed: connect ECONNREFUSED`),
    );
  });

  test('a source that answers an error holds the gate with the status', async () => {
    const verdict = incidentVerdict(
      await incidentFacts({ herokuStatus: { url: `${sandbox.url}/elsewhere`, systems: [] } }),
    );
    assert.deepEqual(
      [verdict.ok, verdict.reason],
      [false, `cannot read Heroku status: GET ${sandbox.url}/elsewhere/api/v4/current-status answered 404 Not Found`],
    );
  });
});

describe('alerts gate over Librato', () => {
  const alerts = (alertIds: string[] = ['123'], credentials = sandbox.librato) =>
    alertActivities({ libratoEmail: credentials.email, libratoToken: credentials.token })
      .alertFacts({ librato: { url: sandbox.libratoUrl, alertIds } })
      .then(alertsVerdict);

  test('a firing watched alert holds promotions, naming it and since when', async () => {
    sandbox.controls.fireLibrato(123);
    const verdict = await alerts();
    assert.equal(verdict.ok, false);
    assert.match(verdict.reason, /^Librato: alert 123 firing since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  });

  test('the gate passes again once the alert clears', async () => {
    sandbox.controls.fireLibrato(123);
    sandbox.controls.clearLibrato(123);
    assert.deepEqual(await alerts(), { gate: 'alerts', ok: true, reason: 'no alert firing (Librato)' });
  });

  test('alerts the policy does not watch do not hold', async () => {
    sandbox.controls.fireLibrato(999);
    assert.equal((await alerts(['123'])).ok, true);
    assert.equal((await alerts([])).ok, false);
  });

  test('wrong credentials hold the gate, pointing at them', async () => {
    const verdict = await alerts(['123'], { email: sandbox.librato.email, token: 'wrong' });
    assert.deepEqual(
      [verdict.ok, verdict.reason],
      [
        false,
        `cannot read Librato: GET ${sandbox.libratoUrl}/v1/alerts/status answered 401 Unauthorized; check LIBRATO_EMAIL/LIBRATO_TOKEN`,
      ],
    );
  });

  test('missing credentials hold the gate without asking Librato', async () => {
    const facts = await alertActivities({}).alertFacts({ librato: { url: sandbox.libratoUrl, alertIds: [] } });
    assert.equal(
      alertsVerdict(facts).reason,
      "cannot read Librato: LIBRATO_EMAIL/LIBRATO_TOKEN not set in the worker's environment",
    );
  });
});

describe('urls gate over a stage URL', () => {
  const { urlFacts } = urlActivities();
  const probe = (names: string[], policy: Partial<UrlPolicy> = {}) =>
    urlFacts({
      urls: names.map((name) => sandbox.probeUrl(name)),
      timeoutMs: 2_000,
      followRedirects: false,
      ...policy,
    }).then(urlsVerdict);

  test('URLs answering 200 pass, each listed with its time', async () => {
    sandbox.controls.setProbe('health', { status: 200 });
    sandbox.controls.setProbe('ready', { status: 200 });
    const verdict = await probe(['health', 'ready']);
    assert.equal(verdict.ok, true);
    assert.match(
      verdict.reason,
      /^http:\/\/127\.0\.0\.1:\d+\/probe\/health 200 in \d+ms, http:\/\/127\.0\.0\.1:\d+\/probe\/ready 200 in \d+ms$/,
    );
  });

  test('a URL answering 500 holds, naming it and its status', async () => {
    sandbox.controls.setProbe('health', { status: 200 });
    sandbox.controls.setProbe('db', { status: 500 });
    const verdict = await probe(['health', 'db']);
    assert.equal(verdict.ok, false);
    assert.match(verdict.reason, new RegExp(`^${sandbox.probeUrl('db')} 500 in \\d+ms$`));
  });

  test('a URL slower than the timeout holds as timed out', async () => {
    sandbox.controls.setProbe('slow', { status: 200, delayMs: 2_000 });
    const started = Date.now();
    const verdict = await probe(['slow'], { timeoutMs: 100 });
    assert.ok(Date.now() - started < 1_500, 'the probe gives up at its timeout');
    assert.match(verdict.reason, new RegExp(`^${sandbox.probeUrl('slow')}: timed out after 100ms \\(\\d+ms\\)$`));
  });

  test('a redirect is not followed unless the policy says so', async () => {
    sandbox.controls.setProbe('health', { status: 200 });
    sandbox.controls.setProbe('old', { status: 302, location: sandbox.probeUrl('health') });
    const held = await probe(['old']);
    assert.equal(held.ok, false);
    assert.match(
      held.reason,
      new RegExp(
        `^${sandbox.probeUrl('old')}: redirect 302 not followed \\(to ${sandbox.probeUrl('health')}\\) \\(\\d+ms\\)$`,
      ),
    );
    assert.equal((await probe(['old'], { followRedirects: true })).ok, true);
  });

  test('a URL nothing listens on holds with the connection error', async () => {
    const url = `${await deadUrl()}/health`;
    const verdict = urlsVerdict(await urlFacts({ urls: [url], timeoutMs: 2_000, followRedirects: false }));
    assert.match(verdict.reason, new RegExp(`^${url}: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+ \\(\\d+ms\\)$`));
  });
});

describe('health stand-ins over HTTP', () => {
  const control = async (method: string, body: unknown) => {
    const response = await fetch(`${sandbox.url}/_health/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('POST /_health/<control> opens and resolves incidents like the in-process controls', async () => {
    const opened = await control('openIncident', { source: 'heroku-status', title: 'Elevated API errors' });
    assert.equal(opened.status, 200);
    assert.equal((await herokuIncidents()).reason, "Heroku status: incident 'Elevated API errors' open");
    await control('resolveIncident', { id: opened.body.id });
    assert.equal((await herokuIncidents()).ok, true);
  });

  test('a control with a bad body answers 400 saying what is wrong', async () => {
    const answer = await control('setSystem', { system: 'Apps', status: 'purple' });
    assert.equal(answer.status, 400);
    assert.match(String(answer.body.error), /status/);
  });
});
