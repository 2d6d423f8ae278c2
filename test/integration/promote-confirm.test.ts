import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { herokuActivities, type ConfirmDecision } from '../../activities/heroku';
import type { PromotionOutcome } from '../../domain/promotion';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { herokuClient } from '../../activities/api-clients';

const HEARTBEAT_TIMEOUT_MS = 2_000;

describe('a promotion waiting for its confirmation', () => {
  let sandbox: Sandbox;
  before(async () => (sandbox = await startSandbox({ releasePhaseMs: 50 })));
  after(async () => sandbox?.stop());

  /** A promotion of the newest merge from the first stage into the second, confirmed by `confirm`. */
  async function promoteWith(
    name: string,
    confirm: ConfirmDecision,
    { seen, knownTarget = false, postAt }: { seen?: string[]; knownTarget?: boolean; postAt?: number } = {},
  ) {
    const created = await sandbox.scenario.createService({
      name,
      repo: `acme/${name}`,
      stages: [`${name}-qa01`, `${name}-st01`],
    });
    const merged = await sandbox.scenario.merge(name);
    await sleep(200); // its release phase ends
    const [source, target] = created.apps;
    const observe = seen
      ? ({ method, path }: { method: string; path: string }) => seen.push(`${method} ${path}`)
      : undefined;
    const client = herokuClient(sandbox.herokuUrl, sandbox.token, observe);
    const heroku = herokuActivities(client, { confirm, pollIntervalMs: 100 });
    const targetRelease = sandbox.scenario.releases(target.name).find((r) => r.current);
    const env = new MockActivityEnvironment({ activityType: 'promote', heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
    const heartbeats: number[] = [];
    env.on('heartbeat', () => heartbeats.push(Date.now()));
    const outcome: PromotionOutcome = await env.run(() =>
      heroku.promote({
        pipelineId: created.pipelineId,
        sourceApp: source.name,
        sourceAppId: source.id,
        sourceReleaseId: merged.releaseId,
        artifactId: merged.slugId!,
        targetApp: target.name,
        targetAppId: target.id,
        ...(knownTarget ? { targetReleaseId: targetRelease?.id ?? null } : {}),
        decision: { id: 'd1', decidedAt: Date.now() },
        ...(postAt === undefined ? {} : { postAt }),
      }),
    );
    return { outcome, heartbeats, target };
  }

  test('heartbeats while the workflow takes longer than the heartbeat timeout to answer, then posts', async () => {
    let asked = 0;
    let answeredAt = 0;
    const { outcome, heartbeats } = await promoteWith('slowconfirm', async () => {
      asked = Date.now();
      await sleep(2 * HEARTBEAT_TIMEOUT_MS); // reading a slow incident source afresh
      answeredAt = Date.now();
      return { stands: true };
    });
    assert.equal(outcome.status, 'succeeded');
    const during = heartbeats.filter((at) => at >= asked && at <= answeredAt);
    const longestGap = Math.max(...[asked, ...during, answeredAt].map((at, i, all) => (i ? at - all[i - 1] : 0)));
    assert.ok(
      longestGap < HEARTBEAT_TIMEOUT_MS,
      `no gap between heartbeats as long as the timeout: ${during.length} heartbeats, longest gap ${longestGap} ms`,
    );
  });

  test('a promotion decided ahead asks for its confirmation only once its moment has come', async () => {
    const postAt = Date.now() + 1_500;
    let askedNow = 0;
    const { outcome } = await promoteWith(
      'aheadconfirm',
      async (_workflow, request) => {
        askedNow = request.now;
        return { stands: true };
      },
      { postAt },
    );
    assert.equal(outcome.status, 'succeeded');
    assert.ok(askedNow >= postAt, `confirmed at ${askedNow}, ${postAt - askedNow} ms before its moment`);
  });

  test('a decision that no longer stands is withdrawn, nothing posted', async () => {
    const before = sandbox.scenario.promotions().length;
    const { outcome } = await promoteWith('withdrawnconfirm', async () => ({ stands: false, reason: 'paused by ana' }));
    assert.deepEqual([outcome.status, outcome.error], ['withdrawn', 'paused by ana']);
    assert.equal(sandbox.scenario.promotions().length, before);
  });

  test('a hotfix that lands on the target while the decision is confirmed is not posted over', async () => {
    const before = sandbox.scenario.promotions().length;
    const { outcome, target } = await promoteWith(
      'hotfixconfirm',
      async () => {
        await sandbox.scenario.hotfix('hotfixconfirm', 'hotfixconfirm-st01', { message: 'urgent fix' });
        return { stands: true };
      },
      { knownTarget: true },
    );
    assert.equal(outcome.status, 'superseded', outcome.error ?? '');
    assert.match(outcome.error ?? '', new RegExp(`${target.name} changed`));
    assert.equal(sandbox.scenario.promotions().length, before);
  });
});
