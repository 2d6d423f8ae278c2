// Records workflow histories for the replay test (test/replay.test.ts): run after a deliberate
// change of workflow shape, behind patched(), to add the new shape beside the old ones.
//   npx tsx scripts/record-histories.ts [name]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pausePipeline, resumePipeline } from '../client/pipelines';
import { projectRoot } from '../temporal/paths';
import { commitsByStage, startStack } from '../test/support/stack';
import { eventually, testServer } from '../test/support/temporal';

const name = process.argv[2] ?? 'pipeline-rollout';
const stack = await startStack();
try {
  const service = await stack.launch('recorded', { minAge: '1s', tick: '1s' });
  await pausePipeline(stack.client, service.name, { reason: 'recording', by: 'recorder' });
  const merged = await stack.sandbox.scenario.merge(service.pipeline, { message: 'recorded change' });
  await new Promise((r) => setTimeout(r, 2_000));
  await resumePipeline(stack.client, service.name, 'recorder');
  await eventually(async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha), 60_000);
  const history = await stack.client.workflow.getHandle(`conveyor/${service.name}`).fetchHistory();
  const file = join(projectRoot, 'test', 'histories', `${name}.json`);
  const { historyToJSON } = await import('@temporalio/common/lib/proto-utils');
  writeFileSync(file, historyToJSON(history));
  console.log(`wrote ${file} (${history.events?.length} events)`);
} finally {
  await stack.stop();
  await (await testServer()).stop();
}
