// Traces: with CONVEYOR_TRACES_FILE set, `conveyor worker` records its workflows' and activities'
// spans (Temporal's OpenTelemetry interceptors), each named for what ran and the pipeline it ran for,
// and nothing secret; with nothing set it records none.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitsByStage, startStack, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import { conveyorWorker } from '../cluster/support';
import type { SpanLine } from '../../worker/traces';

describe('worker traces', () => {
  let stack: Stack;
  const folder = mkdtempSync(join(tmpdir(), 'conveyor-traces-'));
  before(async () => {
    stack = await startStack({ worker: false, promotionDelayMs: 200 });
  });
  after(async () => {
    await stack?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  test('a roll-out leaves spans of the pipeline workflow and its promote activity, tied to its workflow id, without the token', async () => {
    const file = join(folder, 'spans.jsonl');
    const worker = await conveyorWorker(stack.workerEnv, { CONVEYOR_TRACES_FILE: file });
    try {
      const service = await stack.launch('traced');
      const merged = await stack.sandbox.scenario.merge(service.pipeline);
      await eventually(
        async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
        60_000,
        'the roll-out',
      );
      const workflowId = `conveyor/${service.name}`;
      const spans = () =>
        readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as SpanLine);
      await eventually(
        () => spans().some((s) => s.name === 'RunActivity:promote'),
        10_000,
        'the promote activity span',
      );
      const promote = spans().find((s) => s.name === 'RunActivity:promote')!;
      assert.equal(promote.attributes.temporalWorkflowId, workflowId);
      assert.ok(promote.endMs >= promote.startMs);
      assert.ok(
        spans().some((s) => s.name === 'StartActivity:promote'),
        `the workflow side of the activity is traced too (workflow interceptors); spans: ${[...new Set(spans().map((s) => s.name))].join(', ')}`,
      );
      assert.ok(!readFileSync(file, 'utf8').includes(stack.sandbox.token), 'the token is in no span');
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });
});
