// Continue-as-new on the real dev server: a run whose history is full hands over at the first moment
// no promotion is in flight, and until then its other pairs keep flowing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

describe('a run whose history is full while a promotion bakes', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  test('still promotes a new merge into the next stage, and hands over once the bake has ended', async () => {
    const bakeMs = 45_000;
    const prepared = await stack.prepare('full-baking', { minAge: '0s', tick: '300ms' });
    const [, second, third] = prepared.stages;
    // The third stage bakes each release (no alerts or URLs: the bake only takes its time).
    const service = { ...prepared, checks: { [third]: { bakeMs } } };
    await stack.start(service, { maxHistoryEvents: 40 });
    const handle = stack.client.workflow.getHandle(`conveyor/${service.name}`);
    await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await status(stack, service)).inFlight.find((p) => p.to === third && p.outcome === 'verifying'),
      60_000,
      `a promotion baking in ${third}`,
    );
    const run = await eventually(
      async () => {
        const described = await handle.describe();
        return (described.historyLength ?? 0) >= 40 ? described.runId : undefined;
      },
      30_000,
      'the history full',
    );
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      () => stack.sandbox.scenario.releases(second).at(-1)?.commit === merged.sha,
      30_000,
      `the new merge in ${second}`,
    );
    const meanwhile = await status(stack, service);
    assert.ok(
      meanwhile.inFlight.some((p) => p.to === third && p.outcome === 'verifying'),
      `${third} still bakes the first merge when the second reaches ${second}`,
    );
    assert.equal((await handle.describe()).runId, run, 'the same run promoted it, its hand-over still pending');
    const next = await eventually(
      async () => {
        const described = await handle.describe();
        return described.runId !== run ? described.runId : undefined;
      },
      bakeMs + 60_000,
      'the hand-over once nothing is in flight',
    );
    assert.notEqual(next, run);
  });
});
