import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { workflowTaskSlots } from '../../worker/settings';

describe('the workflow task slots the worker is given', () => {
  test("unset: the SDK's own (40)", () => assert.equal(workflowTaskSlots({}), undefined));

  test('CONVEYOR_WORKFLOW_TASK_SLOTS sets them', () =>
    assert.equal(workflowTaskSlots({ CONVEYOR_WORKFLOW_TASK_SLOTS: '100' }), 100));

  test('a setting that is not a whole number of at least 2 is one line naming it', () => {
    assert.throws(() => workflowTaskSlots({ CONVEYOR_WORKFLOW_TASK_SLOTS: 'many' }), {
      message: "CONVEYOR_WORKFLOW_TASK_SLOTS 'many' is not a whole number of at least 2",
    });
    assert.throws(() => workflowTaskSlots({ CONVEYOR_WORKFLOW_TASK_SLOTS: '1' }), /at least 2/);
  });
});
