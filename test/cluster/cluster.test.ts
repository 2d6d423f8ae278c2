// conveyor on a self-hosted Temporal: the server built from go.temporal.io/server, on PostgreSQL.
// Every worker here is the real `conveyor worker` CLI in its own process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { startCluster, type Cluster } from '../../temporal/cluster';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import { asServer, conveyorWorker, pendingActivityWorker, promotionsInto, type WorkerProcess } from './support';

describe('conveyor on Temporal on PostgreSQL', () => {
  let cluster: Cluster;
  const cleanup: (() => unknown)[] = [];
  const workers: WorkerProcess[] = [];
  const worker = async (stack: Stack, extra: NodeJS.ProcessEnv = {}) => {
    const started = await conveyorWorker(stack.workerEnv, extra);
    workers.push(started);
    return started;
  };
  const stack = async (promotionDelayMs: number) => {
    const made = await startStack({ worker: false, server: asServer(cluster), promotionDelayMs });
    cleanup.push(() => made.stop());
    return made;
  };

  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    for (const step of cleanup.reverse()) await step();
    await cluster?.stop();
  });

  test('pipelines run and every merge is promoted to the last stage, once per stage', async () => {
    const s = await stack(200);
    await worker(s);
    const services = [await s.launch('pg-a'), await s.launch('pg-b')];
    const merged = await Promise.all(services.map((service) => s.sandbox.scenario.merge(service.pipeline)));
    for (const [i, service] of services.entries()) {
      await eventually(
        async () => (await commitsByStage(s, service)).every((c) => c === merged[i].sha),
        90_000,
        `${service.name} rolled out`,
      );
      for (const stage of service.stages.slice(1))
        assert.equal(promotionsInto(s, stage).length, 1, `one promotion into ${stage}`);
    }
    // The search attributes the CLI registered are kept by the workflows and answer visibility queries.
    const listed = await cluster.temporal(
      'workflow',
      'list',
      '--namespace',
      s.namespace,
      '--query',
      `ConveyorService = '${services[0].name}'`,
    );
    assert.match(listed, new RegExp(`conveyor/${services[0].name}`));
  });

  test('the Temporal server killed and restarted in the middle of a promotion: the roll-out resumes, nothing lost or doubled', async () => {
    const s = await stack(4_000);
    await worker(s);
    const service = await s.launch('pg-restart');
    const merged = await s.sandbox.scenario.merge(service.pipeline);
    await eventually(() => promotionsInto(s, service.stages[1]).length === 1, 60_000, 'the promotion POST');
    assert.equal(
      promotionsInto(s, service.stages[1])[0].status,
      'pending',
      'the server goes down while the promotion is pending',
    );

    await cluster.stopServer('SIGKILL');
    await cluster.startServer();

    await eventually(
      async () => (await commitsByStage(s, service)).every((c) => c === merged.sha),
      180_000,
      'the roll-out after the restart',
    );
    for (const stage of service.stages.slice(1))
      assert.equal(promotionsInto(s, stage).length, 1, `one promotion into ${stage}`);
    // A promotion is recorded when its activity sees the target's release settle (its next poll).
    const history = await eventually(
      async () => {
        const recorded = (await status(s, service)).history;
        return recorded.length >= service.stages.length - 1 ? recorded : undefined;
      },
      30_000,
      'every promotion recorded',
    );
    assert.deepEqual(
      history.map((p) => [p.to, p.outcome]).reverse(),
      service.stages.slice(1).map((stage) => [stage, 'succeeded']),
    );
  });

  test('two workers share the task queue; the one running a promotion is SIGKILLed and the other finishes it: one promotion', async () => {
    const s = await stack(4_000);
    const pair = [await worker(s), await worker(s)];
    const service = await s.launch('pg-two');
    const merged = await s.sandbox.scenario.merge(service.pipeline);
    await eventually(() => promotionsInto(s, service.stages[1]).length === 1, 60_000, 'the promotion POST');
    const identity = await eventually(
      () => pendingActivityWorker(s, `conveyor/${service.name}`, 'promote'),
      30_000,
      'the worker running the promotion',
    );
    const running = pair.find((w) => identity === `${w.pid}@${hostname()}`);
    assert.ok(running, `the promotion runs on one of the two workers (${identity})`);
    running.child.kill('SIGKILL');
    const survivor = pair.find((w) => w !== running)!;

    const first = await eventually(
      async () =>
        (await status(s, service)).history.find((p) => p.to === service.stages[1] && p.outcome !== 'in-flight'),
      120_000,
      'the promotion finished by the other worker',
    );
    assert.deepEqual([first.outcome, first.commit], ['succeeded', merged.sha]);
    assert.equal(promotionsInto(s, service.stages[1]).length, 1, 'exactly one promotion into the stage');
    await eventually(
      async () => (await commitsByStage(s, service)).every((c) => c === merged.sha),
      120_000,
      'the rest of the roll-out on the survivor',
    );
    for (const stage of service.stages.slice(1))
      assert.equal(promotionsInto(s, stage).length, 1, `one promotion into ${stage}`);
    assert.equal(survivor.child.exitCode, null, 'the survivor still runs');
  });

  test('a worker rollout: the old worker drains on SIGTERM (its running promotion finishes), the new one carries on', async () => {
    const s = await stack(5_000);
    const old = await worker(s, { CONVEYOR_BUILD_ID: 'old' });
    const service = await s.launch('pg-rollout');
    const merged = await s.sandbox.scenario.merge(service.pipeline);
    await eventually(() => promotionsInto(s, service.stages[1]).length === 1, 60_000, 'the promotion POST');
    await worker(s, { CONVEYOR_BUILD_ID: 'new' });

    old.child.kill('SIGTERM');
    await old.waitFor((line) => line.msg === 'draining: no new tasks; running activities may finish');
    assert.equal(await old.exited, 0, 'the old worker exits cleanly once drained');

    await eventually(
      async () => (await commitsByStage(s, service)).every((c) => c === merged.sha),
      120_000,
      'the roll-out on the new worker',
    );
    for (const stage of service.stages.slice(1))
      assert.equal(promotionsInto(s, stage).length, 1, `one promotion into ${stage}`);
    // Drained, not abandoned: no promotion attempt was cut short and retried. A promote activity's
    // started event is written when it completes: wait until none is in flight any more.
    const handle = s.client.workflow.getHandle(`conveyor/${service.name}`);
    await eventually(
      async () => (await handle.query<{ inFlight: unknown[] }>('status')).inFlight.length === 0,
      60_000,
      'no promotion in flight',
    );
    const history = await handle.fetchHistory();
    const promoteIds = new Set(
      history
        .events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'promote')
        .map((e) => String(e.eventId)),
    );
    const attempts = history
      .events!.filter(
        (e) =>
          e.activityTaskStartedEventAttributes &&
          promoteIds.has(String(e.activityTaskStartedEventAttributes.scheduledEventId)),
      )
      .map((e) => e.activityTaskStartedEventAttributes!.attempt);
    assert.equal(attempts.length, service.stages.length - 1);
    assert.ok(
      attempts.every((a) => a === 1),
      `every promotion ran once, attempts: ${attempts.join(',')}`,
    );

    const next = await s.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(s, service)).every((c) => c === next.sha),
      120_000,
      'a later merge on the new worker alone',
    );
  });
});
