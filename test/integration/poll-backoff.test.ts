import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { herokuActivities } from '../../activities/heroku';
import type { PromotionOutcome } from '../../domain/promotion';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { herokuClient } from '../../activities/api-clients';
import { releaseArrived } from '../../activities/release-arrivals';

const FIRST_MS = 100;
const POLL = 'GET /apps/{app}/releases/{id_or_version}';

describe('a release phase is polled less and less often', () => {
  let sandbox: Sandbox;
  before(async () => (sandbox = await startSandbox({ releasePhaseMs: 3_000 })));
  after(async () => sandbox?.stop());

  test('watching a 3 s release phase: it settles, with far fewer polls than one every first interval, heartbeating between them', async () => {
    await sandbox.scenario.createService({ name: 'poll', repo: 'acme/poll', stages: ['poll-qa01', 'poll-st01'] });
    const merged = await sandbox.scenario.merge('poll');
    const heroku = herokuActivities(herokuClient(sandbox.herokuUrl, sandbox.token), {
      pollIntervalMs: FIRST_MS,
      pollMaxIntervalMs: 10 * FIRST_MS,
    });
    const watching = new MockActivityEnvironment({ activityType: 'awaitRelease', heartbeatTimeoutMs: 2_000 });
    let heartbeats = 0;
    watching.on('heartbeat', () => heartbeats++);
    sandbox.resetCounts();
    const started = Date.now();
    const outcome: PromotionOutcome = await watching.run(() =>
      heroku.awaitRelease({ app: 'poll-qa01', releaseId: merged.releaseId }),
    );
    const elapsed = Date.now() - started;
    const polls = sandbox.requestCounts()[POLL] ?? 0;
    assert.equal(outcome.status, 'succeeded');
    assert.equal(outcome.targetVersion, merged.version);
    const everyFirstInterval = Math.floor(elapsed / FIRST_MS);
    assert.ok(
      polls >= 2 && polls <= everyFirstInterval / 2,
      `${polls} polls in ${elapsed} ms; polling every ${FIRST_MS} ms would have made ${everyFirstInterval}`,
    );
    assert.ok(heartbeats >= polls - 1, `a heartbeat in every wait: ${heartbeats} for ${polls} polls`);
  });

  test('a release webhook reaching the worker ends the wait: the settled release is seen at once, not a minute later', async () => {
    await sandbox.scenario.createService({ name: 'wake', repo: 'acme/wake', stages: ['wake-qa01', 'wake-st01'] });
    const merged = await sandbox.scenario.merge('wake');
    const heroku = herokuActivities(herokuClient(sandbox.herokuUrl, sandbox.token), { pollIntervalMs: 60_000 });
    const watching = new MockActivityEnvironment({ activityType: 'awaitRelease', heartbeatTimeoutMs: 2_000 });
    sandbox.resetCounts();
    // The receiver hands the delivery on when the release phase has ended (Heroku's api:release update).
    const delivered = setTimeout(() => releaseArrived('wake-qa01'), 3_500);
    const started = Date.now();
    const outcome: PromotionOutcome = await watching.run(() =>
      heroku.awaitRelease({ app: 'wake-qa01', releaseId: merged.releaseId }),
    );
    clearTimeout(delivered);
    assert.equal(outcome.status, 'succeeded');
    assert.equal(sandbox.requestCounts()[POLL], 2, 'one look while pending, one when the webhook came');
    assert.ok(Date.now() - started < 60_000, 'settled before the first minute-long wait ran out');
  });

  test('a webhook for another app does not end the wait', async () => {
    await sandbox.scenario.createService({ name: 'other', repo: 'acme/other', stages: ['other-qa01', 'other-st01'] });
    const merged = await sandbox.scenario.merge('other');
    const heroku = herokuActivities(herokuClient(sandbox.herokuUrl, sandbox.token), {
      pollIntervalMs: 5_000,
      pollMaxIntervalMs: 5_000,
    });
    const watching = new MockActivityEnvironment({ activityType: 'awaitRelease', heartbeatTimeoutMs: 2_000 });
    sandbox.resetCounts();
    const elsewhere = setInterval(() => releaseArrived('wake-qa01'), 200);
    const outcome: PromotionOutcome = await watching.run(() =>
      heroku.awaitRelease({ app: 'other-qa01', releaseId: merged.releaseId }),
    );
    clearInterval(elsewhere);
    assert.equal(outcome.status, 'succeeded');
    assert.equal(sandbox.requestCounts()[POLL], 2, 'pending at once, settled at the next 5 s poll');
  });
});
