// Records a history of the freeze control workflow for the replay test (test/histories): a freeze,
// an unfreeze one second later (inside the second-pass wait) and a freeze again; then the history.
//   npx tsx scripts/record-control-history.ts [name]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freezeAll, unfreezeAll } from '../client/pipelines';
import { CONTROL_WORKFLOW_ID } from '../domain/service';
import { projectRoot } from '../temporal/paths';
import { startStack } from '../test/support/stack';
import { ensureDevServer } from '../temporal/dev-server';
import { freePort } from '../temporal/free-port';

const name = process.argv[2] ?? 'control-freeze';
const server = await ensureDevServer({ address: `127.0.0.1:${await freePort()}`, headless: true, dbFile: null });
process.env.CONVEYOR_TEST_TEMPORAL_ADDRESS = server.address;
const stack = await startStack();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  await freezeAll(stack.client, stack.taskQueue, { reason: 'recording', by: 'recorder' });
  await pause(1_000);
  await unfreezeAll(stack.client, stack.taskQueue, 'recorder');
  await pause(7_000);
  await freezeAll(stack.client, stack.taskQueue, { reason: 'again', by: 'recorder' });
  await pause(7_000);
  const history = await stack.temporal('workflow', 'show', '--workflow-id', CONTROL_WORKFLOW_ID, '--output', 'json');
  const file = join(projectRoot, 'test', 'histories', `${name}.json`);
  writeFileSync(file, history);
  console.log(`wrote ${file} (${JSON.parse(history).events.length} events)`);
} finally {
  await stack.stop();
  await server.stop();
}
