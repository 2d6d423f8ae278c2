// Records workflow histories for the replay test (test/replay.test.ts): run after a deliberate
// change of workflow shape, behind patched(), to add the new shape beside the old ones.
//   npx tsx scripts/record-histories.ts [name]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pausePipeline, resumePipeline } from '../client/pipelines';
import { projectRoot } from '../temporal/paths';
import { commitsByStage, startStack } from '../test/support/stack';
import { ensureDevServer } from '../temporal/dev-server';
import { freePort } from '../temporal/free-port';
import { eventually } from '../test/support/temporal';

const name = process.argv[2] ?? 'pipeline-rollout';
const server = await ensureDevServer({ address: `127.0.0.1:${await freePort()}`, headless: true, dbFile: null });
process.env.CONVEYOR_TEST_TEMPORAL_ADDRESS = server.address;
const stack = await startStack();
try {
  const service = await stack.launch('recorded', { minAge: '1s', tick: '1s' });
  await pausePipeline(stack.client, service.name, { reason: 'recording', by: 'recorder' });
  const merged = await stack.sandbox.scenario.merge(service.pipeline, { message: 'recorded change' });
  await new Promise((r) => setTimeout(r, 2_000));
  await resumePipeline(stack.client, service.name, 'recorder');
  await eventually(async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha), 60_000);
  // The temporal CLI writes the JSON form the SDK's replayer reads.
  const history = await stack.temporal('workflow', 'show', '--workflow-id', `conveyor/${service.name}`, '--output', 'json');
  const file = join(projectRoot, 'test', 'histories', `${name}.json`);
  writeFileSync(file, history);
  console.log(`wrote ${file} (${JSON.parse(history).events.length} events)`);
} finally {
  await stack.stop();
  await server.stop();
}
