import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { freePort } from '../../temporal/free-port';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pausePipeline, resumePipeline } from '../../client/pipelines';
import { ensureDevServer } from '../../temporal/dev-server';
import { projectRoot } from '../../temporal/paths';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

/** A worker in its own process; resolves once it polls. */
async function workerProcess(stack: Stack): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'test', 'support', 'worker-main.ts')], {
    env: stack.workerEnv,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('worker running') && resolve());
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  return child;
}

describe('durability', () => {
  const cleanup: (() => unknown)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test('a worker killed between the promotion POST and its completion: the promotion happens exactly once', async () => {
    const stack = await startStack({ worker: false, promotionDelayMs: 3_000 });
    cleanup.push(() => stack.stop());
    let worker = await workerProcess(stack);
    cleanup.push(() => worker.kill('SIGKILL'));
    const service = await stack.launch('killed');
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const into = () =>
      stack.sandbox.scenario.promotions().filter((p) => p.targets.some((t) => t.app === service.stages[1]));
    await eventually(() => into().length === 1, 30_000, 'the promotion POST');
    assert.equal(into()[0].status, 'pending', 'killed while the promotion is still pending');
    worker.kill('SIGKILL');
    worker = await workerProcess(stack);
    // The retry starts on the new worker once the killed attempt's heartbeat times out (20 s).
    const done = await eventually(
      async () => (await status(stack, service)).history[0],
      90_000,
      'the promotion completed by the new worker',
    );
    assert.equal(done.outcome, 'succeeded');
    assert.equal(done.commit, merged.sha);
    assert.equal(into().length, 1, 'exactly one promotion into the stage');
  });

  test('a lost answer to a slow promotion POST: the retry waits for its effect instead of posting again', async () => {
    const stack = await startStack({ promotionDelayMs: 4_000 });
    cleanup.push(() => stack.stop());
    const service = await stack.launch('slow-lost', {
      stages: ['qa01', 'st01'].map((s) => `slow-lost-${Date.now() % 1e6}-${s}`),
    });
    stack.sandbox.faults.inject({ id: 'lost', endpoint: 'POST /pipeline-promotions', kind: 'reset-after', count: 1 });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const done = await eventually(async () => (await status(stack, service)).history[0], 60_000, 'the promotion');
    assert.deepEqual([done.outcome, done.commit], ['succeeded', merged.sha]);
    assert.equal(stack.sandbox.faults.list()[0].fired, 1);
    assert.equal(stack.sandbox.scenario.promotions().length, 1, 'one promotion, though the first answer was lost');
  });

  test('a restarted Temporal server (persistent database): workflows resume with their state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-restart-'));
    const address = `127.0.0.1:${await freePort()}`;
    const options = { address, headless: true, dbFile: join(dir, 'temporal.db') };
    let server = await ensureDevServer(options);
    cleanup.push(() => server.stop());
    const stack = await startStack({ worker: false, server });
    cleanup.push(() => stack.stop());
    let worker = await workerProcess(stack);
    cleanup.push(() => worker.kill('SIGKILL'));
    const service = await stack.launch('restart');
    await pausePipeline(stack.client, service.name, { reason: 'across a restart', by: 'ops' });

    worker.kill('SIGKILL');
    await server.stop();
    server = await ensureDevServer(options);
    worker = await workerProcess(stack);

    const resumed = await eventually(
      async () => (await status(stack, service)).paused ?? undefined,
      60_000,
      'the state after the restart',
    );
    assert.equal(resumed.reason, 'across a restart');
    await resumePipeline(stack.client, service.name, 'ops');
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      90_000,
      'the roll-out after the restart',
    );
  });
});
