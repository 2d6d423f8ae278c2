// The worker as the Docker image runs it: the workflow bundle built beforehand (scripts/bundle-workflows.ts),
// and a Worker Deployment version announced to the server: deployment name and a build id that is
// the bundle's hash unless CONVEYOR_BUILD_ID says otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../temporal/paths';
import { commitsByStage, startStack, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import { conveyorWorker, type WorkerProcess } from '../cluster/support';

const run = promisify(execFile);

describe('worker version', () => {
  let stack: Stack;
  const workers: WorkerProcess[] = [];
  const bundle = join(mkdtempSync(join(tmpdir(), 'conveyor-bundle-')), 'workflow-bundle.js');

  before(async () => {
    stack = await startStack({ worker: false, promotionDelayMs: 200 });
    await run(process.execPath, [
      join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      join(projectRoot, 'scripts', 'bundle-workflows.ts'),
      bundle,
    ]);
  });
  after(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await stack?.stop();
  });

  test('a worker on the prebuilt bundle promotes, and announces deployment name and the bundle hash as build id', async () => {
    const worker = await conveyorWorker(stack.workerEnv, {
      CONVEYOR_WORKFLOW_BUNDLE: bundle,
      CONVEYOR_DEPLOYMENT_NAME: 'conveyor-test',
    });
    workers.push(worker);
    const running = worker.lines.find((l) => l.msg === 'worker running')!;
    const digest = createHash('sha256').update(readFileSync(bundle)).digest('hex').slice(0, 12);
    assert.deepEqual(
      [running.deploymentName, running.buildId, running.versioning],
      ['conveyor-test', `conveyor-${digest}`, 'off'],
    );

    const service = await stack.launch('bundled');
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'the roll-out',
    );

    // The server sees the version on the task queue's pollers.
    const described = await stack.client.workflowService.describeTaskQueue({
      namespace: stack.namespace,
      taskQueue: { name: stack.taskQueue },
      taskQueueType: 1,
    });
    const versions = described.pollers.map((p) =>
      p.deploymentOptions ? `${p.deploymentOptions.deploymentName}:${p.deploymentOptions.buildId}` : null,
    );
    assert.ok(versions.includes(`conveyor-test:conveyor-${digest}`), JSON.stringify(versions));
  });

  test('CONVEYOR_BUILD_ID overrides the build id', async () => {
    const worker = await conveyorWorker(stack.workerEnv, {
      CONVEYOR_WORKFLOW_BUNDLE: bundle,
      CONVEYOR_BUILD_ID: 'v2.3.0',
    });
    workers.push(worker);
    assert.equal(worker.lines.find((l) => l.msg === 'worker running')!.buildId, 'v2.3.0');
  });
});
