import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from './support/temporal';

const dir = join(import.meta.dirname, 'histories');

test('recorded pipeline histories replay with the current workflow code', async () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length > 0, 'test/histories holds at least one recorded history');
  const histories = files.map((f) => ({ workflowId: f, history: JSON.parse(readFileSync(join(dir, f), 'utf8')) }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  assert.deepEqual(failures, []);
});
