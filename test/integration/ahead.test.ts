import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pausePipeline, resumePipeline } from '../../client/pipelines';
import type { Service } from '../../domain/service';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

/** The moment a promotion decided ahead waits for, as status tells it ("promoting v2 at <ISO>, when its gates open"). */
async function decidedAhead(stack: Stack, service: Service) {
  return eventually(
    async () => {
      const pair = (await status(stack, service)).pairs[0];
      const at = pair?.state === 'promoting' && /^promoting v\d+ at (\S+), when its gates open$/.exec(pair.reason)?.[1];
      return at ? { at: Date.parse(at), pair } : undefined;
    },
    30_000,
    'a promotion decided ahead of its soak',
  );
}

const promotionsFrom = (stack: Stack, stage: string) =>
  stack.sandbox.scenario.promotions().filter((p) => p.source === stage);

describe('a promotion decided ahead of the moment its gates open', () => {
  let stack: Stack;
  before(async () => (stack = await startStack()));
  after(async () => stack?.stop());

  test('is decided before the soak ends, and posted only once it has ended', async () => {
    const service = await stack.launch('ahead', { minAge: '5s', tick: '1s' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const { at, pair } = await decidedAhead(stack, service);
    assert.ok(Date.now() < at, 'status tells the moment before it comes');
    assert.deepEqual(promotionsFrom(stack, service.stages[0]), [], 'nothing is posted before the moment');
    assert.ok(
      pair.verdicts.some((v) => v.gate === 'age' && !v.ok),
      'the age gate still says when the soak ends',
    );
    const [posted] = await eventually(() => {
      const found = promotionsFrom(stack, service.stages[0]);
      return found.length ? found : undefined;
    });
    // Heroku's timestamps have whole seconds.
    assert.ok(
      Date.parse(posted.createdAt) >= Math.floor(at / 1000) * 1000,
      `posted at ${posted.createdAt}, not before ${new Date(at).toISOString()}`,
    );
    assert.equal(posted.commit, merged.sha);
    await eventually(async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha), 60_000);
  });

  test('a pause that lands between the decision and its moment posts nothing', async () => {
    const service = await stack.launch('ahead-pause', { minAge: '5s', tick: '1s' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const { at } = await decidedAhead(stack, service);
    await pausePipeline(stack.client, service.name, { reason: 'hold on', by: 'ana' });
    await sleep(Math.max(0, at - Date.now()) + 3_000);
    assert.deepEqual(promotionsFrom(stack, service.stages[0]), []);
    const held = await status(stack, service);
    assert.equal(held.pairs[0].state, 'gated');
    assert.match(held.history[0]?.error ?? '', /paused by ana/);
    await resumePipeline(stack.client, service.name, 'ana');
    await eventually(async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha), 60_000);
  });
});
