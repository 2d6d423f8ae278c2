// The Procfile's worker stopped as Heroku stops a dyno (daily restarts, deploys, scaling): SIGTERM,
// then SIGKILL 30 s later. It exits inside that window with a promotion in flight, and the next
// worker finishes the promotion exactly once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../temporal/free-port';
import { startStack, status, type Stack } from '../support/stack';
import { eventually, workflowBundle } from '../support/temporal';
import { printed, startDyno, type Dyno } from '../support/heroku-dyno';

describe('the worker dyno on SIGTERM', () => {
  let stack: Stack;
  let bundleFile: string;
  const dynos: Dyno[] = [];
  before(async () => {
    // The sandbox's promotions take 35 s: longer than the worker may wait, so the activity is handed back.
    stack = await startStack({ worker: false, promotionDelayMs: 35_000 });
    // What heroku-postbuild leaves in the slug.
    bundleFile = join(mkdtempSync(join(tmpdir(), 'conveyor-slug-')), 'workflow-bundle.js');
    writeFileSync(bundleFile, (await workflowBundle()).code);
  });
  after(async () => {
    for (const dyno of dynos) dyno.signal('SIGKILL');
    await stack?.stop();
  });

  const workerDyno = async (name: string) => {
    const dyno = startDyno('worker', name, {
      ...stack.workerEnv,
      PORT: String(await freePort()),
      CONVEYOR_WORKFLOW_BUNDLE: bundleFile,
      CONVEYOR_LOG_LEVEL: 'info',
    });
    dynos.push(dyno);
    await printed(dyno, /"msg":"worker running"/);
    return dyno;
  };

  test('exits within 25 s with a promotion in flight, and the next worker finishes it exactly once', async (t) => {
    const first = await workerDyno('worker.1');
    const service = await stack.launch('sigterm');
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const into = () =>
      stack.sandbox.scenario.promotions().filter((p) => p.targets.some((t) => t.app === service.stages[1]));
    await eventually(() => into().length === 1, 60_000, 'the promotion POST');
    assert.equal(into()[0].status, 'pending', 'stopped while the promotion is in flight');

    const stopped = await first.stop(30_000);
    assert.equal(stopped.killed, false, `SIGKILL was needed:\n${first.output()}`);
    assert.ok(stopped.ms <= 25_500, `exited ${stopped.ms} ms after SIGTERM`);
    assert.match(first.output(), /"msg":"draining: no new tasks/);
    t.diagnostic(`the worker exited ${stopped.ms} ms after SIGTERM`);

    const next = await workerDyno('worker.2');
    const done = await eventually(
      async () => (await status(stack, service)).history[0],
      120_000,
      'the promotion completed by the next worker',
    );
    assert.deepEqual([done.outcome, done.commit], ['succeeded', merged.sha]);
    assert.equal(into().length, 1, 'exactly one promotion POST into the stage');
    const again = await next.stop(30_000);
    assert.equal(again.killed, false);
  });
});
