import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHealthSandbox, type HealthSandbox } from '../../sandbox/health';
import { pausePipeline } from '../../client/pipelines';
import type { Notice } from '../../domain/notice';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { startReceiver, type Receiver } from '../support/receiver';
import { eventually } from '../support/temporal';

describe('safe failure', () => {
  let stack: Stack;
  let health: HealthSandbox;
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
    [stack, health] = await Promise.all([
      startStack({ notify: { webhookUrl: receiver.url, timeoutMs: 1_000 } }),
      startHealthSandbox(),
    ]);
  });
  after(async () => Promise.all([stack?.stop(), health?.stop(), receiver?.stop()]));

  const noticesFor = (service: string) => (receiver.bodies as Notice[]).filter((n) => n.service === service);

  test('a release that fails verification is rolled back, held and the pipeline paused', async () => {
    health.controls.setProbe('bake', { status: 200 });
    const service = await stack.launch('verify', {
      checks: {
        '*': { urls: { urls: [health.probeUrl('bake')], timeoutMs: 1_000, followRedirects: false }, bakeMs: 4_000 },
      },
    });
    const before = stack.sandbox.scenario.releases(service.stages[1])[0].commit;
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await status(stack, service)).inFlight.some((p) => p.outcome === 'verifying'),
      30_000,
      'the bake to start',
    );
    health.controls.setProbe('bake', { status: 503 });
    const rolledBack = await eventually(
      async () => (await status(stack, service)).history.find((h) => h.outcome === 'rolled-back'),
      30_000,
      'the rollback',
    );
    assert.match(rolledBack.verification!.problem, /^urls: .*503/);
    const after = await status(stack, service);
    assert.equal(after.paused?.by, 'conveyor');
    assert.match(after.paused.reason, /verification of .* failed .*rolled back to v1/);
    assert.equal(after.rejected[0]?.commit, merged.sha);
    await eventually(
      async () => (await commitsByStage(stack, service))[1] === before,
      15_000,
      'the previous release back on the stage',
    );
    const releases = stack.sandbox.scenario.releases(service.stages[1]);
    assert.equal(releases.at(-1)?.commit, before, 'the newest release on the stage runs the old commit again');
  });

  test('notifications: one per change of state, never repeated while a gate keeps holding', async () => {
    const service = await stack.launch('notify', { minAge: '3s', tick: '500ms' });
    await pausePipeline(stack.client, service.name, { reason: 'first', by: 'ana' });
    await pausePipeline(stack.client, service.name, { reason: 'second', by: 'ana' });
    await stack.temporal('workflow', 'signal', '--workflow-id', `conveyor/${service.name}`, '--name', 'resume');
    // Merged once the resume is seen: a pass that read the merge while still paused would rightly
    // tell "held by allow; age", then "held by age" (the gates changed), and this test counts one per pair.
    await eventually(async () => !(await status(stack, service)).paused, 20_000, 'the resume');
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'the roll-out',
    );
    await eventually(
      () => noticesFor(service.name).filter((n) => n.kind === 'promotion-succeeded').length === 3,
      10_000,
      'three success notices',
    );
    const kinds = noticesFor(service.name).map((n) => n.kind);
    assert.equal(kinds.filter((k) => k === 'paused').length, 1);
    assert.equal(kinds.filter((k) => k === 'resumed').length, 1);
    assert.equal(kinds.filter((k) => k === 'promotion-started').length, 3);
    // Each pair waited on the age gate over several ticks: told once per pair, not once per tick.
    assert.ok(
      kinds.filter((k) => k === 'held').length <= 3,
      `held told ${kinds.filter((k) => k === 'held').length} times: ${JSON.stringify(noticesFor(service.name).map((n) => n.text))}`,
    );
  });

  test('a failing notification endpoint never holds up a promotion', async () => {
    receiver.status = 500;
    try {
      const service = await stack.launch('quiet');
      const merged = await stack.sandbox.scenario.merge(service.pipeline);
      await eventually(
        async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
        60_000,
        'the roll-out',
      );
    } finally {
      receiver.status = 200;
    }
  });

  test('malformed signals and updates never fail a workflow task', async () => {
    const service = await stack.launch('garbage');
    const id = `conveyor/${service.name}`;
    await stack.temporal('workflow', 'signal', '--workflow-id', id, '--name', 'pause', '--input', '"just a string"');
    await stack.temporal('workflow', 'signal', '--workflow-id', id, '--name', 'pause', '--input', '[1, 2, 3]');
    await stack.temporal('workflow', 'signal', '--workflow-id', id, '--name', 'configure', '--input', '{"name": 42}');
    await stack.temporal('workflow', 'signal', '--workflow-id', id, '--name', 'freeze', '--input', 'null');
    await assert.rejects(
      stack.temporal('workflow', 'update', 'execute', '--workflow-id', id, '--name', 'promote', '--input', '{"to": 5}'),
    );
    await assert.rejects(
      stack.temporal('workflow', 'update', 'execute', '--workflow-id', id, '--name', 'reject', '--input', '"abc"'),
    );
    await stack.temporal('workflow', 'signal', '--workflow-id', id, '--name', 'resume', '--input', '12');
    await stack.temporal('workflow', 'signal', '--workflow-id', id, '--name', 'unfreeze');
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'the roll-out after the garbage',
    );
    const history = JSON.parse(await stack.temporal('workflow', 'show', '--workflow-id', id, '--output', 'json')) as {
      events: { eventType: string }[];
    };
    const failedTasks = history.events.filter((e) => /WORKFLOW_TASK_FAILED|WorkflowTaskFailed/.test(e.eventType));
    assert.deepEqual(failedTasks, []);
    assert.equal((await status(stack, service)).service, service.name);
  });

  test('no token or secret appears in any workflow history', async () => {
    const ids: string[] = [];
    for await (const w of stack.client.workflow.list()) ids.push(w.workflowId);
    assert.ok(ids.length >= 3);
    for (const id of ids) {
      const history = await stack.temporal('workflow', 'show', '--workflow-id', id, '--output', 'json');
      assert.equal(history.includes(stack.sandbox.token), false, `${id} history holds the API token`);
      assert.equal(/authorization|bearer /i.test(history), false, `${id} history holds an Authorization header`);
    }
  });
});
