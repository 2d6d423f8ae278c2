import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROL_WORKFLOW_ID } from '../../domain/service';
import { ensureControl, promoteManually, rejectCommit, unrejectCommit } from '../../client/pipelines';
import { UserError } from '../../client/errors';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

describe('operators: freeze, manual promotion, reject', () => {
  let stack: Stack;
  let temporal: (...args: string[]) => Promise<string>;
  before(async () => {
    stack = await startStack();
    temporal = stack.temporal;
  });
  after(async () => {
    await temporal('workflow', 'signal', '--workflow-id', CONTROL_WORKFLOW_ID, '--name', 'unfreeze').catch(
      () => undefined,
    );
    await stack?.stop();
  });

  test('a freeze sent with the temporal CLI stops every pipeline and an unfreeze releases them', async () => {
    const [one, two] = [await stack.launch('frz-a'), await stack.launch('frz-b')];
    await ensureControl(stack.client, stack.taskQueue);
    await temporal(
      'workflow',
      'signal',
      '--workflow-id',
      CONTROL_WORKFLOW_ID,
      '--name',
      'freeze',
      '--input',
      '{"reason":"Dreamforce","by":"cto"}',
    );
    for (const service of [one, two])
      await eventually(
        async () => (await status(stack, service)).frozen?.reason === 'Dreamforce',
        10_000,
        `${service.name} frozen`,
      );
    const merged = await Promise.all([one, two].map((s) => stack.sandbox.scenario.merge(s.pipeline)));
    for (const service of [one, two]) {
      await eventually(async () => (await status(stack, service)).pairs[0]?.state === 'gated', 15_000);
      assert.match((await status(stack, service)).pairs[0].verdicts[0].reason, /^frozen by cto .*: Dreamforce$/);
    }
    // A pipeline started during the freeze is frozen too.
    const late = await stack.launch('frz-late');
    await eventually(
      async () => (await status(stack, late)).frozen?.reason === 'Dreamforce',
      10_000,
      'the late pipeline frozen',
    );

    await temporal('workflow', 'signal', '--workflow-id', CONTROL_WORKFLOW_ID, '--name', 'unfreeze');
    for (const [i, service] of [one, two].entries()) {
      await eventually(
        async () => (await commitsByStage(stack, service)).every((c) => c === merged[i].sha),
        60_000,
        `${service.name} rolled out`,
      );
    }
  });

  test('a manual promotion skips the age gate and is recorded with who and why', async () => {
    const service = await stack.launch('manual', { minAge: '1h' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(async () => (await status(stack, service)).pairs[0]?.state === 'gated');
    const outcome = await promoteManually(stack.client, service.name, {
      to: service.stages[1],
      reason: 'customer hotfix',
      by: 'ana',
    });
    assert.equal(outcome.started, true);
    assert.deepEqual(outcome.skippedGates, ['age']);
    const done = await eventually(
      async () => (await status(stack, service)).history.find((h) => h.outcome === 'succeeded'),
      30_000,
    );
    assert.equal(done.commit, merged.sha);
    assert.deepEqual(done.manual, { by: 'ana', reason: 'customer hotfix', skippedGates: ['age'] });
  });

  test('the promote validator rejects an unknown stage, an empty reason and the first stage, changing nothing', async () => {
    const service = await stack.launch('validate', { minAge: '1h' });
    const attempts: [object, RegExp][] = [
      [{ to: 'nope-01', reason: 'x' }, /unknown stage "nope-01"/],
      [{ to: service.stages[1], reason: '' }, /a reason is required/],
      [{ to: service.stages[0], reason: 'x' }, /first stage/],
    ];
    for (const [request, message] of attempts) {
      await assert.rejects(
        promoteManually(stack.client, service.name, request as never),
        (error: Error) => error instanceof UserError && message.test(error.message),
      );
    }
    const s = await status(stack, service);
    assert.equal(s.history.length, 0);
    assert.equal(s.inFlight.length, 0);
  });

  test('the promote update works from the temporal CLI as well', async () => {
    const service = await stack.launch('cli-update', { minAge: '1h' });
    await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(async () => (await status(stack, service)).pairs[0]?.state === 'gated');
    const out = await temporal(
      'workflow',
      'update',
      'execute',
      '--workflow-id',
      `conveyor/${service.name}`,
      '--name',
      'promote',
      '--input',
      JSON.stringify({ to: service.stages[1], reason: 'from the CLI', by: 'bo' }),
    );
    assert.match(out, /promoting/);
  });

  test('a rejected commit is never promoted until unrejected', async () => {
    const service = await stack.launch('reject', { minAge: '2s' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await rejectCommit(stack.client, service.name, {
      commit: merged.sha.slice(0, 10),
      reason: 'breaks billing',
      by: 'ops',
    });
    await eventually(async () => (await status(stack, service)).pairs[0]?.state === 'held');
    await new Promise((r) => setTimeout(r, 3_000));
    const held = await status(stack, service);
    assert.match(held.pairs[0].reason, /rejected by ops .*breaks billing/);
    assert.equal(held.history.length, 0);
    await assert.rejects(rejectCommit(stack.client, service.name, { commit: 'zzz', reason: 'x' }), /not a sha/);
    await unrejectCommit(stack.client, service.name, merged.sha.slice(0, 10), 'ops');
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'roll-out after unreject',
    );
  });
});
