// `conveyor worker` logs: one JSON stream (pino) with the worker's, the workflows', the activities'
// and Core's lines; readable on a terminal; level from CONVEYOR_LOG_LEVEL; no secret in any line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../temporal/paths';
import { commitsByStage, startStack, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import { conveyorWorker, type WorkerProcess } from '../cluster/support';

const run = promisify(execFile);

describe('worker logs', () => {
  let stack: Stack;
  const workers: WorkerProcess[] = [];
  before(async () => {
    stack = await startStack({ worker: false, promotionDelayMs: 200 });
  });
  after(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await stack?.stop();
  });

  test('at debug, workflow, activity and Core lines land in the same JSON stream, with the workflow id', async () => {
    const worker = await conveyorWorker(stack.workerEnv, { CONVEYOR_LOG_LEVEL: 'debug' });
    workers.push(worker);
    const service = await stack.launch('logged');
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'the roll-out',
    );
    const workflowId = `conveyor/${service.name}`;
    const workflowLine = await worker.waitFor((l) => l.msg === 'Workflow started' && l.workflowId === workflowId);
    assert.equal(workflowLine.taskQueue, stack.taskQueue);
    const activityLine = await worker.waitFor(
      (l) => l.msg === 'Activity completed' && l.activityType === 'promote' && l.workflowId === workflowId,
    );
    assert.equal(typeof activityLine.durationMs, 'number');
    await worker.waitFor((l) => l.sdkComponent === 'core');
    assert.deepEqual(
      worker.lines.filter((l) => 'nonJson' in l),
      [],
      'every line is JSON',
    );
    for (const line of worker.lines)
      assert.ok(
        typeof line.level === 'number' && typeof line.time === 'number' && typeof line.msg === 'string',
        JSON.stringify(line),
      );
    const everything = JSON.stringify(worker.lines);
    assert.ok(!everything.includes(stack.sandbox.token), 'the Heroku/GitHub token is in no line');
    worker.child.kill('SIGTERM');
    await worker.exited;
  });

  test('at the default level (info) there are no debug lines', async () => {
    const worker = await conveyorWorker(stack.workerEnv, { CONVEYOR_LOG_LEVEL: '' });
    workers.push(worker);
    const service = await stack.launch('quiet');
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'the roll-out',
    );
    worker.child.kill('SIGTERM');
    await worker.exited;
    assert.ok(worker.lines.some((l) => l.msg === 'worker running'));
    assert.deepEqual(
      worker.lines.filter((l) => (l.level as number) < 30).map((l) => l.msg),
      [],
    );
  });

  test('on a terminal the lines are human-readable', async () => {
    if (spawnSync('sh', ['-c', 'command -v script']).status !== 0)
      assert.fail('util-linux `script` is needed to give the worker a terminal');
    const command = `CONVEYOR_LOG_LEVEL=info timeout -s INT 25 ${process.execPath} ${join(projectRoot, 'bin', 'conveyor.js')} worker`;
    const { stdout } = await run('script', ['-qfec', command, '/dev/null'], { env: stack.workerEnv }).catch(
      (error: { stdout: string }) => error,
    );
    const text = stdout.replace(/\x1b\[[0-9;]*m/g, '');
    assert.match(text, /INFO.*worker running/);
    assert.doesNotMatch(text, /^\{"level"/m);
  });

  test('a bad CONVEYOR_LOG_LEVEL is one clear line and no worker', async () => {
    const failed = await run(process.execPath, [join(projectRoot, 'bin', 'conveyor.js'), 'worker'], {
      env: { ...stack.workerEnv, CONVEYOR_LOG_LEVEL: 'loud' },
    }).then(
      () => assert.fail('the worker started'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.notEqual(failed.code, 0);
    assert.equal(
      failed.stderr.trim(),
      "conveyor: CONVEYOR_LOG_LEVEL 'loud' is not one of trace, debug, info, warn, error",
    );
  });
});
