// Pay only for what can change the answer: what an idle pipeline costs per tick, in
// history events and in Heroku and GitHub requests, counted by the real server and the sandbox.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { measureIdleTicks, type TickCost } from '../support/cost';
import { startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import { pausePipeline, resumePipeline } from '../../client/pipelines';
import { HELD_FACTS_TICKS } from '../../domain/decision';
import type { Service } from '../../domain/service';

/** At most this many history events per idle tick (a timer, one workflow task, one observation). */
const EVENTS_PER_IDLE_TICK = 6;

function report(t: TestContext, name: string, cost: TickCost) {
  t.diagnostic(
    `${name}: events per tick ${cost.eventsPerTick.join(', ')} (${cost.lastTick.join(' ')}); ` +
      `Heroku ${cost.heroku.toFixed(2)}, GitHub ${cost.github.toFixed(2)} requests per tick ${JSON.stringify(cost.requestsPerTick)}`,
  );
}

describe('cost of an idle pipeline', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  const stop = (service: Service) => stack.client.workflow.getHandle(`conveyor/${service.name}`).terminate('measured');

  test('an idle pipeline adds at most a few history events per tick and reads only the pipeline', async (t) => {
    const service = await stack.launch('idle', { tick: '1s' });
    const inSync = async () => (await status(stack, service)).pairs.every((p) => p.state === 'in-sync');
    const cost = await measureIdleTicks(stack, service, inSync);
    report(t, 'idle', cost);
    await stop(service);
    assert.ok(
      cost.eventsPerTick.every((n) => n <= EVENTS_PER_IDLE_TICK),
      `events per tick ${cost.eventsPerTick.join(', ')}: ${cost.lastTick.join(' ')}`,
    );
    assert.deepEqual(cost.requestsPerTick, { 'GET /pipelines/{id}/latest-releases': 1 });
  });

  test('stages running one commit from different builds are in sync and cost what an idle pipeline costs', async (t) => {
    const service = await stack.launch('builds', { tick: '1s' });
    for (const app of service.stages.slice(1)) await stack.sandbox.scenario.rebuild(service.pipeline, app);
    const rebuilt = async () => {
      const s = await status(stack, service);
      return s.stages.slice(1).every((stage) => stage.version === 2) && s.pairs.every((p) => p.state === 'in-sync');
    };
    const cost = await measureIdleTicks(stack, service, rebuilt);
    report(t, 'same commit, other builds', cost);
    const pairs = (await status(stack, service)).pairs;
    await stop(service);
    assert.deepEqual(
      pairs.map((p) => [p.state, p.reason.replace(/v\d+/g, 'vN').replace(/[0-9a-f]{7}/, 'sha')]),
      service.stages.slice(1).map(() => ['in-sync', 'both run sha (same commit, another build: vN and vN)']),
    );
    assert.deepEqual(cost.requestsPerTick, { 'GET /pipelines/{id}/latest-releases': 1 });
    assert.ok(
      cost.eventsPerTick.every((n) => n <= EVENTS_PER_IDLE_TICK),
      `events per tick ${cost.eventsPerTick}`,
    );
  });
  test('a candidate held by a pause reads no CI and no formation per tick, and reads them once resumed', async (t) => {
    const service = await stack.launch('paused', { tick: '1s', minAge: '0s' });
    await pausePipeline(stack.client, service.name, { reason: 'db migration', by: 'ana' });
    await eventually(async () => (await status(stack, service)).paused ?? undefined, 30_000, 'paused');
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const held = async () => {
      const s = await status(stack, service);
      const [first] = s.pairs;
      return (
        s.stages[0].commit === merged.sha &&
        first?.state === 'gated' &&
        first.verdicts.filter((v) => !v.ok).every((v) => v.gate === 'allow')
      );
    };
    const cost = await measureIdleTicks(stack, service, held);
    report(t, 'held by a pause', cost);
    assert.deepEqual(cost.requestsPerTick, { 'GET /pipelines/{id}/latest-releases': 1 });
    assert.ok(
      cost.eventsPerTick.every((n) => n <= EVENTS_PER_IDLE_TICK),
      `events per tick ${cost.eventsPerTick}`,
    );

    stack.sandbox.resetCounts();
    await resumePipeline(stack.client, service.name, 'ana');
    await eventually(
      async () => ((await status(stack, service)).stages[1].commit === merged.sha ? true : undefined),
      60_000,
      'promoted once resumed',
    );
    await stop(service);
    assert.ok((stack.sandbox.requestCounts()['GET /github/repos/{owner}/{repo}/commits/{ref}/check-runs'] ?? 0) > 0);
  });
  test('a target held by its formation is read again only every few ticks, not at every one', async (t) => {
    const service = await stack.launch('formation', { tick: '1s', minAge: '0s' });
    const production = service.stages[2];
    stack.sandbox.scenario.setFormation(production, { web: 1 });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const held = async () => {
      const s = await status(stack, service);
      const pair = s.pairs.find((p) => p.to === production);
      return (
        s.stages[1].commit === merged.sha &&
        pair?.state === 'gated' &&
        pair.verdicts.filter((v) => !v.ok).every((v) => v.gate === 'zeroDowntime')
      );
    };
    const cost = await measureIdleTicks(stack, service, held, HELD_FACTS_TICKS);
    report(t, 'held by zeroDowntime', cost);
    await stop(service);
    const formationReads = (cost.requestsPerTick['GET /apps/{app}/formation/{formation}'] ?? 0) * HELD_FACTS_TICKS;
    assert.ok(formationReads <= 1.01, `formation read ${formationReads} times in ${HELD_FACTS_TICKS} ticks`);
  });
});
