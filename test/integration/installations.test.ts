// Several installations in one namespace, and a control workflow whose worker is down.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freezeAll, unfreezeAll } from '../../client/pipelines';
import { CONTROL_WORKFLOW_ID } from '../../domain/service';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

describe('installations', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  test('a pipeline starting while conveyor/control has no worker reconciles without waiting for it', async () => {
    // Another installation's control workflow: its task queue has no worker here.
    await stack.client.workflow.start('control', {
      workflowId: CONTROL_WORKFLOW_ID,
      taskQueue: 'nobody-polls-this',
      args: [{}],
    });
    const service = await stack.launch('no-control', { minAge: '0s' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => ((await commitsByStage(stack, service)).every((c) => c === merged.sha) ? true : undefined),
      30_000,
      'rolled out without conveyor/control answering',
    );
    await stack.client.workflow.getHandle(CONTROL_WORKFLOW_ID).terminate('test over');
  });

  test("a freeze of one installation does not freeze another installation's pipelines", async () => {
    const service = await stack.launch('ours');
    // A pipeline of another installation (another task queue) in the same namespace.
    const theirs = await stack.client.workflow.start('pipeline', {
      workflowId: `conveyor/theirs-${Date.now()}`,
      taskQueue: 'another-installation',
      args: [{ service: { ...service, name: 'theirs' } }],
    });
    await freezeAll(stack.client, stack.taskQueue, { reason: 'our launch', by: 'ops' });
    await eventually(
      async () => ((await status(stack, service)).frozen ? true : undefined),
      30_000,
      'our pipeline frozen',
    );
    const history = await stack.temporal('workflow', 'show', '--workflow-id', theirs.workflowId, '--output', 'json');
    const signalled = JSON.parse(history).events.filter((e: { eventType: string }) => /Signaled/i.test(e.eventType));
    assert.deepEqual(signalled, [], 'the other installation was not signalled');
    await unfreezeAll(stack.client, stack.taskQueue, 'ops');
    await theirs.terminate('test over');
  });
});
