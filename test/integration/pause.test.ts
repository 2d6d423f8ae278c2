import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConveyorPaused } from '../../temporal/search-attributes';
import { pausePipeline, resumePipeline } from '../../client/pipelines';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../support/temporal';
import { CATCH_UP_AFTER_MS } from '../../domain/catch-up';
import { startHealthSandbox, type HealthSandbox } from '../../sandbox/health';

describe('pause and resume', () => {
  let stack: Stack;
  let temporal: (...args: string[]) => Promise<string>;
  before(async () => {
    stack = await startStack();
    temporal = stack.temporal;
  });
  after(async () => stack?.stop());

  test('a pause sent with the temporal CLI holds promotions until resume', async () => {
    const service = await stack.launch('cli-pause');
    const id = `conveyor/${service.name}`;
    await temporal(
      'workflow',
      'signal',
      '--workflow-id',
      id,
      '--name',
      'pause',
      '--input',
      '{"reason":"release freeze","by":"ana"}',
    );
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const held = await eventually(async () => {
      const s = await status(stack, service);
      return s.stages[0].commit === merged.sha && s.pairs[0].state === 'gated' ? s : undefined;
    });
    assert.deepEqual([held.paused?.reason, held.paused?.by], ['release freeze', 'ana']);
    assert.match(held.pairs[0].verdicts[0].reason, /^paused by ana .*: release freeze$/);
    assert.equal(stack.sandbox.scenario.promotions().filter((p) => p.source === service.stages[0]).length, 0);

    await temporal('workflow', 'signal', '--workflow-id', id, '--name', 'resume');
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'roll-out after resume',
    );
  });

  test('a pause with no input, as the Web UI sends it, pauses with a placeholder reason', async () => {
    const service = await stack.launch('ui-pause');
    await temporal('workflow', 'signal', '--workflow-id', `conveyor/${service.name}`, '--name', 'pause');
    const paused = await eventually(async () => (await status(stack, service)).paused ?? undefined);
    assert.equal(paused.reason, 'no reason given');
  });

  test('the paused search attribute lets the Web UI list paused pipelines', async () => {
    const service = await stack.launch('visible');
    await pausePipeline(stack.client, service.name, { reason: 'maintenance', by: 'ops' });
    const listed = await eventually(
      async () => {
        for await (const w of stack.client.workflow.list({
          query: `ConveyorPaused = true AND WorkflowId = 'conveyor/${service.name}'`,
        }))
          return w;
        return undefined;
      },
      30_000,
      'the workflow listed as paused',
    );
    assert.equal(listed.typedSearchAttributes.get(ConveyorPaused), true);
    await resumePipeline(stack.client, service.name, 'ops');
    assert.equal((await status(stack, service)).paused, null);
  });

  test('queries answer with the temporal CLI too', async () => {
    const service = await stack.launch('cli-query', { minAge: '1h' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(async () => (await status(stack, service)).stages[0].commit === merged.sha);
    const out = await temporal(
      'workflow',
      'query',
      '--workflow-id',
      `conveyor/${service.name}`,
      '--name',
      'currentStage',
      '--output',
      'json',
    );
    assert.equal(JSON.parse(out).queryResult[0].stage, service.stages[0]);
  });

  test('continue-as-new keeps the paused state', async () => {
    const service = await stack.launch('long-life', { tick: '200ms' }, { maxHistoryEvents: 40 });
    await pausePipeline(stack.client, service.name, { reason: 'keep me', by: 'ops' });
    const handle = stack.client.workflow.getHandle(`conveyor/${service.name}`);
    const first = (await handle.describe()).runId;
    await eventually(
      async () => (await stack.client.workflow.getHandle(`conveyor/${service.name}`).describe()).runId !== first,
      60_000,
      'a new run',
    );
    const after = await status(stack, service);
    assert.equal(after.paused?.reason, 'keep me');
    assert.equal(after.paused?.by, 'ops');
  });
});

describe('a pause that lands while a pass reads its checks slowly', () => {
  let stack: Stack;
  let health: HealthSandbox;
  /** Set by a test: the URL reads of its stage wait for it to be resolved. */
  let readsWait: { url: string; started: () => void; done: Promise<void> } | undefined;
  const promoteCalls: string[] = [];
  before(async () => {
    [stack, health] = await Promise.all([
      startStack({
        wrapActivities: (activities) => ({
          ...activities,
          async urlFacts(policy) {
            if (readsWait && policy.urls.includes(readsWait.url)) {
              readsWait.started();
              await readsWait.done;
            }
            return activities.urlFacts(policy);
          },
          async promote(request) {
            promoteCalls.push(request.targetApp);
            return activities.promote(request);
          },
        }),
      }),
      startHealthSandbox(),
    ]);
  });
  after(async () => Promise.all([stack?.stop(), health?.stop()]));

  test('is applied before the decision: nothing is decided, nothing posted', async () => {
    health.controls.setProbe('slow-read', { status: 200 });
    const url = health.probeUrl('slow-read');
    const service = await stack.launch('read-pause', {
      minAge: '0s',
      checks: { '*': { urls: { urls: [url], timeoutMs: 5_000, followRedirects: false } } },
    });
    await eventually(async () => (await status(stack, service)).observedAt, 20_000, 'the first look');
    let release = () => {};
    const reading = new Promise<void>((started) => {
      readsWait = { url, started, done: new Promise<void>((done) => (release = done)) };
    });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await reading;
    // The pass has let the release through every gate it judged so far and now reads its URLs, slowly.
    await pausePipeline(stack.client, service.name, { reason: 'incident call', by: 'ana' });
    await sleep(CATCH_UP_AFTER_MS + 500);
    release();
    const held = await eventually(
      async () => {
        const s = await status(stack, service);
        return s.stages[0].commit === merged.sha && s.pairs[0].state === 'gated' ? s : undefined;
      },
      30_000,
      'the pair held by the pause',
    );
    readsWait = undefined;
    assert.match(held.pairs[0].verdicts.find((v) => !v.ok)?.reason ?? '', /^paused by ana .*: incident call$/);
    assert.deepEqual(held.inFlight, []);
    assert.deepEqual(
      promoteCalls.filter((app) => service.stages.includes(app)),
      [],
      'no promotion was decided',
    );
    assert.equal(stack.sandbox.scenario.promotions().filter((p) => p.pipeline === service.pipeline).length, 0);
  });
});
