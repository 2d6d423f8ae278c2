// Records workflow histories for the replay test (test/replay.test.ts) from the current workflow
// code: before 1.0.0, run after a change of workflow commands to record the histories anew; from
// 1.0.0 on, after a change behind patched(), to add the new shape beside the old ones.
//   npx tsx scripts/record-histories.ts [name]            a pipeline: pause, merge, resume, roll out
//   npx tsx scripts/record-histories.ts NAME --control     conveyor/control: freeze, unfreeze 1 s later
//                                                        (inside the second-pass wait), freeze again
//   npx tsx scripts/record-histories.ts NAME --webhooks    a pipeline told its apps are subscribed (slow
//                                                        fallback poll), woken by a webhook look, rolling out
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freezeAll, pausePipeline, resumePipeline, unfreezeAll } from '../client/pipelines';
import { CONTROL_WORKFLOW_ID } from '../domain/service';
import { projectRoot } from '../temporal/paths';
import { commitsByStage, startStack, type Stack } from '../test/support/stack';
import { ensureDevServer } from '../temporal/dev-server';
import { freePort } from '../temporal/free-port';
import { eventually } from '../test/support/temporal';
import { lookSignal } from '../workflows/messages';

const control = process.argv.includes('--control');
const webhooks = process.argv.includes('--webhooks');
const name =
  process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? (control ? 'control-freeze' : 'pipeline-rollout');
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function recordPipeline(stack: Stack): Promise<string> {
  const service = await stack.launch('recorded', { minAge: '1s', tick: '1s' });
  await pausePipeline(stack.client, service.name, { reason: 'recording', by: 'recorder' });
  const merged = await stack.sandbox.scenario.merge(service.pipeline, { message: 'recorded change' });
  await pause(2_000);
  await resumePipeline(stack.client, service.name, 'recorder');
  await eventually(async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha), 60_000);
  return `conveyor/${service.name}`;
}

async function recordWebhooks(stack: Stack): Promise<string> {
  // A soak longer than DECIDE_AHEAD_MS, so the history holds a promotion decided ahead of the soak's end.
  const service = await stack.launch('hooked', { minAge: '5s', tick: '1s', webhookTickMs: 10_000 });
  const handle = stack.client.workflow.getHandle(`conveyor/${service.name}`);
  await handle.signal(lookSignal, { source: 'subscription' });
  await pause(3_000);
  const merged = await stack.sandbox.scenario.merge(service.pipeline, { message: 'recorded change' });
  await handle.signal(lookSignal, { source: 'webhook', app: service.stages[0] });
  await eventually(async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha), 60_000);
  return `conveyor/${service.name}`;
}

async function recordControl(stack: Stack): Promise<string> {
  await freezeAll(stack.client, stack.taskQueue, { reason: 'recording', by: 'recorder' });
  await pause(1_000);
  await unfreezeAll(stack.client, stack.taskQueue, 'recorder');
  await pause(7_000);
  await freezeAll(stack.client, stack.taskQueue, { reason: 'again', by: 'recorder' });
  await pause(7_000);
  return CONTROL_WORKFLOW_ID;
}

const server = await ensureDevServer({ address: `127.0.0.1:${await freePort()}`, headless: true, dbFile: null });
process.env.CONVEYOR_TEST_TEMPORAL_ADDRESS = server.address;
const stack = await startStack();
try {
  const workflowId = control
    ? await recordControl(stack)
    : webhooks
      ? await recordWebhooks(stack)
      : await recordPipeline(stack);
  // The temporal CLI writes the JSON form the SDK's replayer reads.
  const history = await stack.temporal('workflow', 'show', '--workflow-id', workflowId, '--output', 'json');
  const dir = join(projectRoot, 'test', 'histories');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, history);
  console.log(`wrote ${file} (${JSON.parse(history).events.length} events)`);
} finally {
  await stack.stop();
  await server.stop();
}
