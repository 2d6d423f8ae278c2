import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { currentStageQuery } from '../../workflows/messages';
import { pausePipeline, resumePipeline } from '../../client/pipelines';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

describe('a release rolls through the pipeline', () => {
  let stack: Stack;
  before(async () => (stack = await startStack({ promotionDelayMs: 1_500 })));
  after(async () => stack?.stop());

  test('a merged release reaches every stage, in order', async () => {
    const service = await stack.launch('roll');
    const merged = await stack.sandbox.scenario.merge(service.pipeline, { message: 'feature' });
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'the release on every stage',
    );
    const promotions = stack.sandbox.scenario
      .promotions()
      .filter((p) => service.stages.some((s) => p.targets.some((t) => t.app === s)));
    assert.deepEqual(
      promotions.map((p) => `${p.source}->${p.targets.map((t) => t.app).join(',')}`),
      [
        `${service.stages[0]}->${service.stages[1]}`,
        `${service.stages[1]}->${service.stages[2]}`,
        `${service.stages[2]}->${service.stages[3]}`,
      ],
    );
    // A promotion is recorded when its activity sees the target's release settle (its next poll),
    // which may come a moment after an observation already shows the commit there.
    const history = await eventually(
      async () => {
        const recorded = (await status(stack, service)).history;
        return recorded.length >= service.stages.length - 1 ? recorded : undefined;
      },
      30_000,
      'every promotion recorded',
    );
    assert.deepEqual(
      history.map((h) => [h.to, h.outcome]).reverse(),
      service.stages.slice(1).map((s) => [s, 'succeeded']),
    );
  });

  test('currentStage answers the furthest stage the newest release has reached', async () => {
    const service = await stack.launch('where', { minAge: '1h' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const handle = stack.client.workflow.getHandle(`conveyor/${service.name}`);
    const where = await eventually(async () => {
      const stage = await handle.query(currentStageQuery);
      return stage?.commit === merged.sha ? stage : undefined;
    });
    assert.deepEqual(where, { stage: service.stages[0], index: 0, commit: merged.sha, version: merged.version });
  });

  test('status shows each stage, each pair and why it waits', async () => {
    const service = await stack.launch('status', { minAge: '1h' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const shown = await eventually(async () => {
      const s = await status(stack, service);
      return s.pairs[0]?.state === 'gated' ? s : undefined;
    });
    assert.equal(shown.stages[0].commit, merged.sha);
    assert.equal(shown.stages[0].status, 'succeeded');
    assert.deepEqual(
      shown.pairs.map((p) => p.state),
      ['gated', 'in-sync', 'in-sync'],
    );
    const age = shown.pairs[0].verdicts.find((v) => v.gate === 'age');
    assert.equal(age?.ok, false);
    assert.match(age.reason, /soaked at .* \(minAge 1h\)/);
    assert.ok(shown.pairs[0].recheckAt, 'the pair says when it is checked again');
    assert.deepEqual(
      shown.pairs[0].verdicts.map((v) => [v.gate, v.ok]),
      [
        ['allow', true],
        ['age', false],
        ['branch', true],
        ['forward', true],
      ],
      'CI is not read while a gate that costs nothing to judge (age) holds',
    );
  });

  test('two releases advance in different pairs at the same time', async () => {
    const service = await stack.launch('pairs', { minAge: '2s' }, undefined);
    const a = await stack.sandbox.scenario.merge(service.pipeline, { message: 'A' });
    await eventually(async () => (await commitsByStage(stack, service))[2] === a.sha, 60_000, 'A on the third stage');
    // Held while B lands and both soak, then let go: A goes from va to eu while B goes from qa to st,
    // both promotions in flight at once (decided in one pass, not by a race of timings).
    await pausePipeline(stack.client, service.name, { reason: 'line them up', by: 'test' });
    const b = await stack.sandbox.scenario.merge(service.pipeline, { message: 'B' });
    await eventually(
      async () => ((await status(stack, service)).stages[0].commit === b.sha ? true : undefined),
      30_000,
      'B on the first stage',
    );
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await resumePipeline(stack.client, service.name, 'test');
    const both = await eventually(
      async () => {
        const s = await status(stack, service);
        const targets = s.inFlight.map((p) => `${p.to}:${p.commit}`);
        return targets.length === 2 ? targets.sort() : undefined;
      },
      60_000,
      'two promotions in flight',
    );
    assert.deepEqual(both, [`${service.stages[1]}:${b.sha}`, `${service.stages[3]}:${a.sha}`].sort());
  });
});

describe('the Temporal Web UI tells the same story', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  test('activities and timers carry summaries, so the event history reads like the deployment log', async () => {
    const service = await stack.launch('story', { minAge: '1s' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => ((await commitsByStage(stack, service))[1] === merged.sha ? true : undefined),
      60_000,
      'promoted once',
    );
    const history = JSON.parse(
      await stack.temporal('workflow', 'show', '--workflow-id', `conveyor/${service.name}`, '--output', 'json'),
    ) as {
      events: { userMetadata?: { summary?: { data?: string } } }[];
    };
    const summaries = history.events.flatMap((e) =>
      e.userMetadata?.summary?.data ? [JSON.parse(Buffer.from(e.userMetadata.summary.data, 'base64').toString())] : [],
    );
    assert.ok(
      summaries.includes(
        `promote v${merged.version} ${merged.sha.slice(0, 7)} ${service.stages[0]} -> ${service.stages[1]}`,
      ),
      summaries.join(' | '),
    );
    assert.ok(summaries.some((s) => s === `observe ${service.pipeline}`));
    assert.ok(summaries.some((s) => /^age gate opens for |^next look/.test(s)));
  });
});
