// The alerts gate against a real Prometheus Alertmanager (Debian's package, our own process).
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { alertActivities } from '../../activities/alerts';
import { alertsVerdict } from '../../domain/gates/alerts';
import type { Verdict } from '../../domain/verdict';
import { startAlertmanager, type Alertmanager } from '../support/alertmanager';

let alertmanager: Alertmanager;
before(async () => (alertmanager = await startAlertmanager()), { timeout: 360_000 });
after(() => alertmanager?.stop());

/** Every alert a test posted is resolved after it, so tests share one Alertmanager without leaking. */
const posted: Record<string, string>[] = [];
afterEach(async () => {
  await Promise.all(posted.splice(0).map((labels) => alertmanager.resolve(labels)));
});

const post = async (labels: Record<string, string>) => {
  posted.push(labels);
  await alertmanager.postAlert(labels);
};

const { alertFacts } = alertActivities({ timeoutMs: 2_000 });
const verdict = async (): Promise<Verdict> =>
  alertsVerdict(
    await alertFacts({ alertmanager: { url: alertmanager.url, matchers: { service: 'api', region: 'eu' } } }),
  );

/** Asks again until `done`, for at most a few seconds; fails with the last answer. */
async function until<T>(ask: () => Promise<T>, done: (answer: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 5_000;
  let answer = await ask();
  while (!done(answer)) {
    if (Date.now() > deadline) assert.fail(`${what}; last answer: ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    answer = await ask();
  }
  return answer;
}

/** A loopback port nothing listens on any more. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** The alert names Alertmanager lists as active, whatever the gate makes of them. */
const activeNames = async (): Promise<string[]> => {
  const alerts = (await (await fetch(`${alertmanager.url}/api/v2/alerts?active=true`)).json()) as {
    labels: Record<string, string>;
  }[];
  return alerts.map((alert) => alert.labels.alertname);
};

describe('alerts gate over a real Alertmanager', () => {
  test('an active alert for service="api", region="eu" holds promotions, naming it', async () => {
    await post({ alertname: 'HighErrorRate', service: 'api', region: 'eu', severity: 'page' });
    const held = await until(verdict, (v) => !v.ok, 'the gate never held');
    assert.match(held.reason, /^Alertmanager: HighErrorRate \([0-9a-f]{16}\) firing since \d{4}-\d\d-\d\dT[\d:.]+Z$/);
  });

  test('an alert for region="us" does not count', async () => {
    await post({ alertname: 'HighLatency', service: 'api', region: 'us' });
    await until(activeNames, (names) => names.includes('HighLatency'), 'Alertmanager never listed the alert');
    assert.deepEqual(await verdict(), { gate: 'alerts', ok: true, reason: 'no alert firing (Alertmanager)' });
  });

  test('alerts outside the matchers do not count even when the server ignores the filter', async () => {
    // As an old Alertmanager or a proxy dropping the query would: the adapter filters again itself.
    const unfiltered: typeof fetch = (input, init) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      url.searchParams.delete('filter');
      return fetch(url, init);
    };
    await post({ alertname: 'HighLatency', service: 'api', region: 'us' });
    await until(activeNames, (names) => names.includes('HighLatency'), 'Alertmanager never listed the alert');
    const facts = await alertActivities({ fetch: unfiltered }).alertFacts({
      alertmanager: { url: alertmanager.url, matchers: { service: 'api', region: 'eu' } },
    });
    assert.deepEqual(alertsVerdict(facts), { gate: 'alerts', ok: true, reason: 'no alert firing (Alertmanager)' });
  });

  test('a silenced alert no longer holds', async () => {
    await post({ alertname: 'DiskFull', service: 'api', region: 'eu' });
    await until(verdict, (v) => !v.ok, 'the gate never held');
    await alertmanager.silence({ alertname: 'DiskFull', service: 'api' });
    await until(verdict, (v) => v.ok, 'the gate still holds after the silence');
  });

  test('a resolved alert no longer holds', async () => {
    const labels = { alertname: 'QueueBacklog', service: 'api', region: 'eu' };
    await post(labels);
    await until(verdict, (v) => !v.ok, 'the gate never held');
    await alertmanager.resolve(labels);
    assert.deepEqual(await until(verdict, (v) => v.ok, 'the gate still holds after the alert resolved'), {
      gate: 'alerts',
      ok: true,
      reason: 'no alert firing (Alertmanager)',
    });
  });

  test('an Alertmanager that cannot be reached holds the gate with the cause', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const held = alertsVerdict(await alertFacts({ alertmanager: { url, matchers: { service: 'api' } } }));
    assert.equal(held.ok, false);
    assert.ok(
      held.reason.startsWith(
        `cannot read Alertmanager: GET ${url}/api/v2/alerts?active=true&silenced=false&inhibited=false&filter=service%3D%22api%22 failed: connect ECONNREFUSED`,
      ),
      held.reason,
    );
  });
});
