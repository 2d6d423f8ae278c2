import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from '@temporalio/worker';
import { ApiBudget } from '../../activities/api-budget';
import type { Service } from '../../domain/service';
import { budgetSettings } from '../../config/budget-settings';
import { closeWorkerConnections, createWorker } from '../../worker/worker';
import { commitsByStage, startStack, type Stack } from '../support/stack';
import { eventually, workflowBundle } from '../support/temporal';

// A pool far smaller than the fleet's appetite: 40 requests, refilled at 10 a second, 8 kept for people.
const POOL = { bucket: 40, refillPerMinute: 600 };
const HEROKU = { pool: POOL.bucket, refillPerMinute: POOL.refillPerMinute, reserve: 8, staleMs: 500 };

describe('API budget: pipelines sharing a small Heroku pool', () => {
  let stack: Stack;
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];

  before(async () => {
    stack = await startStack({ worker: false });
    stack.sandbox.scenario.setRateLimit({ ...POOL, remaining: POOL.bucket });
    const settings = {
      address: stack.address,
      namespace: stack.namespace,
      taskQueue: stack.taskQueue,
      herokuUrl: stack.sandbox.herokuUrl,
      herokuToken: stack.sandbox.token,
      githubUrl: stack.sandbox.githubUrl,
      githubToken: stack.sandbox.token,
    };
    const defaults = budgetSettings({});
    // Two workers on one token, each with a budget of its own, as two processes would have.
    for (let i = 0; i < 2; i++) {
      const worker = await createWorker(settings, {
        workflowBundle: await workflowBundle(),
        pollIntervalMs: 200,
        budgets: { ...defaults, heroku: HEROKU },
        budget: { heroku: new ApiBudget('Heroku', HEROKU), github: new ApiBudget('GitHub', defaults.github) },
      });
      workers.push(worker);
      running.push(worker.run());
    }
  });

  after(async () => {
    for (const worker of workers) worker.shutdown();
    await Promise.all(running);
    await Promise.all(workers.map((w) => closeWorkerConnections(w)));
    await stack?.stop();
  });

  test('six pipelines on two workers all deliver their merge to the last stage without a storm of 429s', async () => {
    const services: Service[] = [];
    for (let i = 0; i < 6; i++) services.push(await stack.launch(`budget${i}`, { minAge: '0s', tick: '1s' }));
    stack.sandbox.resetCounts();
    const merged = await Promise.all(services.map((s) => stack.sandbox.scenario.merge(s.pipeline)));
    await eventually(
      async () => {
        const stages = await Promise.all(services.map((s) => commitsByStage(stack, s)));
        return stages.every((commits, i) => commits.every((c) => c === merged[i].sha));
      },
      180_000,
      'every merge on every stage of its pipeline',
    );
    const answers = stack.sandbox.answerCounts();
    const asked = Object.values(answers).reduce((a, b) => a + b, 0);
    assert.ok(asked > POOL.bucket, `the fleet needed more than the pool holds (${asked} requests)`);
    assert.equal(answers['429'] ?? 0, 0, `no request was refused for the rate limit: ${JSON.stringify(answers)}`);
  });
});
