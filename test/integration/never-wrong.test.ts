// Issue 9 on the real dev server: the behaviours where timing or Temporal's semantics matter.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pausePipeline, promoteManually, resumePipeline } from '../../client/pipelines';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import type { Service } from '../../domain/service';
import { startHealthSandbox } from '../../sandbox/health';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A merge whose promotion is decided and then stuck before its POST: Heroku answers 503 to the
 * promote activity's reads. Answers the function that lets Heroku answer again.
 */
async function decidedNotPosted(stack: Stack, service: Service): Promise<() => void> {
  const reads = ['GET /apps/{app}/releases', 'GET /apps/{app}/releases/{id}'];
  reads.forEach((endpoint, i) =>
    stack.sandbox.faults.inject({ id: `down-${service.name}-${i}`, endpoint, kind: 'error', status: 503 }),
  );
  await stack.sandbox.scenario.merge(service.pipeline);
  await eventually(
    async () => ((await status(stack, service)).inFlight.length > 0 ? true : undefined),
    30_000,
    'a promotion decided',
  );
  return () => reads.forEach((_, i) => stack.sandbox.faults.clear(`down-${service.name}-${i}`));
}

describe('never promote wrongly, never get stuck', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  test('a promotion decided while Heroku answers 5xx is not posted once the operator paused', async () => {
    const service = await stack.launch('decided-paused', { minAge: '0s' });
    const recover = await decidedNotPosted(stack, service);
    await pausePipeline(stack.client, service.name, { reason: 'stop everything', by: 'ana' });
    recover();
    const withdrawn = await eventually(
      async () => (await status(stack, service)).history.find((h) => h.outcome === 'withdrawn'),
      60_000,
      'the promotion withdrawn',
    );
    assert.match(withdrawn.error ?? '', /paused by ana/);
    await pause(2_000);
    assert.equal(
      stack.sandbox.scenario.promotions().filter((p) => p.source === service.stages[0]).length,
      0,
      'nothing was posted into the paused pipeline',
    );
    assert.equal((await status(stack, service)).inFlight.length, 0);
  });

  test('a promotion POST refused (403) is recorded as not posted, and the release goes once the refusal is gone', async () => {
    const service = await stack.launch('post-refused', { minAge: '0s', tick: '300ms' }, { blockedRecheckMs: 500 });
    stack.sandbox.faults.inject({ endpoint: 'POST /pipeline-promotions', kind: 'error', status: 403, count: 1 });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const refused = await eventually(
      async () => (await status(stack, service)).history.find((h) => h.to === service.stages[1]),
      30_000,
      'the refused promotion in history',
    );
    assert.deepEqual([refused.outcome, /403/.test(refused.error ?? '')], ['not-posted', true]);
    await eventually(
      async () => ((await commitsByStage(stack, service))[1] === merged.sha ? true : undefined),
      30_000,
      'the merge on the second stage',
    );
  });

  test('a pipeline destroyed and created again under its name goes on promoting (its new id is looked up)', async () => {
    const service = await stack.launch('recreated', { minAge: '0s', tick: '300ms' });
    const first = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => ((await commitsByStage(stack, service))[1] === first.sha ? true : undefined),
      30_000,
      'the first merge on the second stage',
    );
    const { pipelineId } = stack.sandbox.scenario.recreatePipeline(service.pipeline);
    const second = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => ((await commitsByStage(stack, service))[1] === second.sha ? true : undefined),
      30_000,
      'the merge made after the pipeline was recreated, on the second stage',
    );
    const promoted = stack.sandbox.scenario.promotions().filter((p) => p.commit === second.sha);
    assert.deepEqual(
      promoted.map((p) => [p.pipeline, p.pipelineId]),
      [[service.pipeline, pipelineId]],
      'posted once, into the pipeline as it is now',
    );
  });

  test('an incident that opens while a decided promotion waits for its POST withdraws it (read afresh at the POST)', async () => {
    const health = await startHealthSandbox();
    try {
      // A long tick: no pass runs between the decision and the POST, only the confirmation reads the incident.
      const service = await stack.launch('incident-at-post', {
        minAge: '0s',
        tick: '1h',
        incident: { herokuStatus: { url: health.herokuStatusUrl, systems: [] } },
      });
      const recover = await decidedNotPosted(stack, service);
      health.controls.openIncident({ source: 'heroku-status', title: 'Elevated API errors' });
      recover();
      const withdrawn = await eventually(
        async () => (await status(stack, service)).history.find((h) => h.outcome === 'withdrawn'),
        60_000,
        'the promotion withdrawn',
      );
      assert.match(withdrawn.error ?? '', /Elevated API errors/);
      assert.equal(stack.sandbox.scenario.promotions().filter((p) => p.source === service.stages[0]).length, 0);
    } finally {
      await health.stop();
    }
  });

  for (const artifact of ['tarball', 'image'] as const) {
    test(`a target running a release whose commit is unknown (${artifact}) is never overwritten automatically`, async () => {
      const service = await stack.launch(`unknown-${artifact}`, { minAge: '0s' });
      const hand = await stack.sandbox.scenario.handDeploy(service.pipeline, service.stages[1], { artifact });
      await pause(1_000);
      await stack.sandbox.scenario.merge(service.pipeline);
      const held = await eventually(
        async () => {
          const s = await status(stack, service);
          return s.pairs[0]?.verdicts.find((v) => v.gate === 'forward' && !v.ok);
        },
        30_000,
        'held by forward',
      );
      assert.equal(
        held.reason,
        `${service.stages[1]} runs v${hand.version} whose commit is unknown: promote by hand (--skip-gates) to overwrite it`,
      );
      await pause(2_000);
      assert.equal(stack.sandbox.scenario.promotions().filter((p) => p.source === service.stages[0]).length, 0);
    });
  }

  test('a freeze sent straight to one pipeline survives continue-as-new', async () => {
    const service = await stack.launch('straight-freeze', { tick: '200ms' }, { maxHistoryEvents: 40 });
    await stack.temporal(
      'workflow',
      'signal',
      '--workflow-id',
      `conveyor/${service.name}`,
      '--name',
      'freeze',
      '--input',
      '{"reason":"hands off","by":"ops"}',
    );
    const handle = stack.client.workflow.getHandle(`conveyor/${service.name}`);
    const first = (await handle.describe()).runId;
    await eventually(
      async () =>
        (await stack.client.workflow.getHandle(`conveyor/${service.name}`).describe()).runId !== first
          ? true
          : undefined,
      60_000,
      'a new run',
    );
    await pause(1_000);
    assert.equal((await status(stack, service)).frozen?.reason, 'hands off');
  });

  test('under merges more frequent than minAge, the next stage still receives releases, each soaked', async () => {
    const service = await stack.launch('storm', { minAge: '4s', tick: '500ms' });
    const merged: string[] = [];
    for (let i = 0; i < 12; i++) {
      merged.push((await stack.sandbox.scenario.merge(service.pipeline, { message: `storm ${i}` })).sha);
      await pause(1_500);
    }
    const promotions = stack.sandbox.scenario.promotions().filter((p) => p.source === service.stages[0]);
    assert.ok(promotions.length >= 2, `${promotions.length} promotions into ${service.stages[1]} during the storm`);
    const into = await commitsByStage(stack, service);
    assert.ok(merged.slice(0, -2).includes(into[1] ?? ''), 'the second stage runs a merge of the storm');
  });

  test('a read refused with 401 before the POST does not hold the release out of the stage for ever', async () => {
    const service = await stack.launch('rotated-token', { minAge: '0s' });
    await pausePipeline(stack.client, service.name, { reason: 'set up', by: 'test' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    // Once the merge's release phase is over and observed, only the promotion reads an app's releases:
    // an observation of the pending release would meet the 401 first and block the pipeline instead.
    await eventually(
      async () => {
        const [first] = (await status(stack, service)).stages;
        return first.commit === merged.sha && first.status === 'succeeded' && !first.latest ? true : undefined;
      },
      30_000,
      'the merge observed, settled',
    );
    stack.sandbox.faults.inject({ id: 'rotated', endpoint: 'GET /apps/{app}/releases', kind: 'error', status: 401 });
    await resumePipeline(stack.client, service.name, 'test');
    const erred = await eventually(
      async () => (await status(stack, service)).history.find((h) => h.outcome === 'not-posted'),
      60_000,
      'the promotion stopped before its POST',
    );
    assert.match(erred.error ?? '', /401/);
    stack.sandbox.faults.clear('rotated');
    await resumePipeline(stack.client, service.name, 'test'); // a person acts: the block is looked at again now
    await eventually(
      async () => ((await commitsByStage(stack, service))[1] === merged.sha ? true : undefined),
      60_000,
      'promoted once the token works',
    );
  });

  test('a configure signal with wrong types is refused and the pipeline goes on', async () => {
    const service = await stack.launch('bad-config', { minAge: '0s' });
    const bad = [
      { ...service, windows: {} },
      { ...service, minAgeMs: '30m' },
      { ...service, ignoreFreeze: 'false' },
      { ...service, minAgeMs: 100_000_000 * 86_400_000 },
    ];
    for (const payload of bad) {
      await stack.temporal(
        'workflow',
        'signal',
        '--workflow-id',
        `conveyor/${service.name}`,
        '--name',
        'configure',
        '--input',
        JSON.stringify(payload),
      );
    }
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => ((await commitsByStage(stack, service)).every((c) => c === merged.sha) ? true : undefined),
      60_000,
      'rolled out on the old config',
    );
    const described = await stack.client.workflow.getHandle(`conveyor/${service.name}`).describe();
    assert.equal(described.status.name, 'RUNNING');
  });
});

describe('a manual promotion while the run hands over (continue-as-new)', () => {
  let stack: Stack;
  // Slow promotions: the run reaches its history cap while one is in flight and drains it.
  before(async () => {
    stack = await startStack({ promotionDelayMs: 6_000 });
  });
  after(async () => stack?.stop());

  test('is answered, never left waiting, and the pipeline keeps reconciling', async () => {
    const service = await stack.launch('manual-handover', { minAge: '0s', tick: '200ms' }, { maxHistoryEvents: 50 });
    await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => ((await status(stack, service)).inFlight.length > 0 ? true : undefined),
      30_000,
      'a slow promotion in flight',
    );
    const answers: string[] = [];
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline) {
      const answer = await Promise.race([
        promoteManually(stack.client, service.name, { to: service.stages[2], reason: 'now', by: 'ana' }).then(
          (outcome) => (outcome.started ? 'started' : `refused: ${outcome.message}`),
          (error: Error) => `refused: ${error.message}`,
        ),
        pause(30_000).then(() => 'no answer'),
      ]);
      answers.push(answer);
      await pause(250);
    }
    assert.ok(!answers.includes('no answer'), `every request answered: ${answers.join(' | ')}`);
    const before = (await status(stack, service)).observedAt;
    const later = await eventually(
      async () => {
        const s = await status(stack, service);
        return s.observedAt !== before ? s : undefined;
      },
      30_000,
      'still reconciling',
    );
    assert.ok(later.observedAt);
  });

  test('a run waiting for a slow promotion to hand over keeps observing its stages', async () => {
    const service = await stack.launch('drain-looks', { minAge: '0s', tick: '300ms' }, { maxHistoryEvents: 30 });
    await stack.sandbox.scenario.merge(service.pipeline);
    const first = await eventually(
      async () => (await status(stack, service)).inFlight[0],
      30_000,
      'a slow promotion in flight',
    );
    const seen = new Set<string>();
    const deadline = Date.now() + 4_000;
    while (Date.now() < deadline) {
      const now = await status(stack, service);
      if (now.inFlight[0]?.decisionId !== first.decisionId) break;
      if (now.observedAt) seen.add(now.observedAt);
      await pause(200);
    }
    assert.ok(
      seen.size >= 2,
      `observations while promotion ${first.decisionId} was in flight: ${[...seen].join(', ')}`,
    );
  });
});
