import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DECIDE_AHEAD_MS } from '../../domain/ahead';
import { Context } from '@temporalio/activity';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

describe('promotions', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      // The first attempt of every promotion "loses its worker" after Heroku accepted the POST:
      // Temporal retries it, and the retry must not promote a second time.
      wrapActivities: (activities) => ({
        ...activities,
        async promote(request) {
          const outcome = await activities.promote(request);
          if (request.targetApp.includes('-retry-') && Context.current().info.attempt === 1)
            throw new Error('worker lost after promoting');
          return outcome;
        },
      }),
    });
  });
  after(async () => stack?.stop());

  test('a retried promotion does not promote twice', async () => {
    const service = await stack.launch('x-retry', {
      stages: ['qa01', 'st01'].map((s) => `x-retry-${Math.random().toString(36).slice(2, 6)}-${s}`),
    });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await status(stack, service)).history[0]?.outcome === 'succeeded',
      60_000,
      'the promotion to finish',
    );
    const into = stack.sandbox.scenario.promotions().filter((p) => p.targets.some((t) => t.app === service.stages[1]));
    assert.equal(into.length, 1, 'exactly one promotion was posted');
    assert.equal(stack.sandbox.scenario.releases(service.stages[1]).filter((r) => r.commit === merged.sha).length, 1);
  });

  test('a promotion whose POST answer is lost on the wire is not posted twice', async () => {
    const service = await stack.launch('lost');
    // Heroku acts on the POST, then the connection dies before the answer arrives.
    stack.sandbox.faults.inject({
      id: 'lost-answer',
      endpoint: 'POST /pipeline-promotions',
      kind: 'reset-after',
      count: 1,
    });
    try {
      const merged = await stack.sandbox.scenario.merge(service.pipeline);
      await eventually(
        async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
        90_000,
        'the roll-out',
      );
      assert.equal(stack.sandbox.faults.list().find((r) => r.id === 'lost-answer')?.fired, 1, 'the fault fired');
      const into = stack.sandbox.scenario
        .promotions()
        .filter((p) => p.targets.some((t) => t.app === service.stages[1]));
      assert.equal(into.length, 1);
    } finally {
      stack.sandbox.faults.clear('lost-answer');
    }
  });

  test('a failed release phase marks the stage failed and is not retried into it', async () => {
    const service = await stack.launch('phase');
    stack.sandbox.scenario.setReleasePhase(service.stages[1], { fail: 'Release command failed: migration error' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const failed = await eventually(
      async () => {
        const s = await status(stack, service);
        return s.history[0]?.outcome === 'failed' ? s : undefined;
      },
      60_000,
      'the failed promotion',
    );
    assert.equal(failed.history[0].error, 'Release command failed: migration error');
    await eventually(async () => (await status(stack, service)).pairs[0]?.state === 'held');
    const held = await status(stack, service);
    assert.match(held.pairs[0].reason, /failed in .*migration error/);
    assert.notEqual(held.stages[1].commit, merged.sha);
    assert.equal(held.stages[1].latest?.status, 'failed');
    // A few more ticks: still exactly one attempt into that stage.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(
      stack.sandbox.scenario.promotions().filter((p) => p.targets.some((t) => t.app === service.stages[1])).length,
      1,
    );
  });

  test('a newer release goes where an older one failed', async () => {
    const service = await stack.launch('recover');
    stack.sandbox.scenario.setReleasePhase(service.stages[1], { fail: 'boom' });
    await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(async () => (await status(stack, service)).history[0]?.outcome === 'failed', 60_000);
    stack.sandbox.scenario.setReleasePhase(service.stages[1], {});
    const fixed = await stack.sandbox.scenario.merge(service.pipeline, { message: 'fix' });
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === fixed.sha),
      60_000,
      'the fix everywhere',
    );
  });

  test('a hotfix on a later stage is never overwritten by an older release', async () => {
    const service = await stack.launch('hotfix', { minAge: '1s' });
    const hotfix = await stack.sandbox.scenario.hotfix(service.pipeline, service.stages[2], { message: 'urgent fix' });
    await eventually(
      async () => (await status(stack, service)).pairs[1]?.state === 'gated',
      30_000,
      'the pair into the hotfix gated',
    );
    const s = await status(stack, service);
    const forward = s.pairs[1].verdicts.find((v) => v.gate === 'forward');
    assert.equal(forward?.ok, false);
    assert.match(forward.reason, /newer than .*not overwritten/);
    // The hotfix itself is not on main, so it does not move on either.
    assert.equal(s.pairs[2].verdicts.find((v) => v.gate === 'branch')?.ok, false);
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal((await commitsByStage(stack, service))[2], hotfix.sha);
  });

  test('a commit that is not on the branch stays where it was deployed', async () => {
    const service = await stack.launch('branch');
    const feature = await stack.sandbox.scenario.pushBranch(service.pipeline, 'feature/try-me');
    const gated = await eventually(async () => {
      const s = await status(stack, service);
      return s.stages[0].commit === feature.sha && s.pairs[0].state === 'gated' ? s : undefined;
    });
    const branch = gated.pairs[0].verdicts.find((v) => v.gate === 'branch');
    assert.equal(branch?.reason, `${feature.sha.slice(0, 7)} is not on main`);
  });

  test('the age gate opens on time: its timer wakes the workflow to decide ahead of the threshold, and the POST comes at it, not the next tick', async () => {
    // The release is there when the workflow first looks; after that only the age gate's timer
    // can wake it before the 1-minute tick.
    const service = await stack.prepare('on-time', { minAge: '4s', tick: '1m' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await stack.start(service);
    const promoted = await eventually(
      async () => (await status(stack, service)).history.find((h) => h.commit === merged.sha),
      30_000,
      'the promotion',
    );
    const release = stack.sandbox.scenario.releases(service.stages[0]).find((r) => r.commit === merged.sha)!;
    // Soak counts from when the release started running: its release phase's end (updated_at).
    const opensAt = Date.parse(release.updatedAt) + 4_000;
    const ahead = opensAt - Date.parse(promoted.startedAt);
    // Decided at most that much ahead (at the moment itself on a worker too slow to decide ahead).
    assert.ok(ahead <= DECIDE_AHEAD_MS, `decided ${ahead} ms before the gate opened`);
    const [posted] = stack.sandbox.scenario.promotions().filter((p) => p.commit === merged.sha);
    // Heroku's timestamps have whole seconds, as updated_at has.
    const late = Date.parse(posted.createdAt) - opensAt;
    assert.ok(late >= 0, `posted ${-late} ms before the gate opened`);
    // Woken by the gate's own timer: long before the first tick after the start (a minute) would come.
    assert.ok(late < 30_000, `posted ${late} ms after the gate opened (tick is 1m)`);
  });
});
