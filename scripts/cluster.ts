// `npm run cluster`: a self-hosted Temporal on PostgreSQL on this machine, in the foreground, for
// trying conveyor the way production runs it (see docs/operating/production.md). Ctrl-C stops it.
// State is kept in .conveyor/cluster between runs; the frontend is 127.0.0.1:7233 (CONVEYOR_CLUSTER_PORT).
import { join } from 'node:path';
import { startCluster } from '../temporal/cluster';
import { stateDir } from '../temporal/paths';

const cluster = await startCluster({
  dir: join(stateDir, 'cluster'),
  frontendPort: Number(process.env.CONVEYOR_CLUSTER_PORT || 7233),
});
console.error(
  `Temporal ${cluster.address} (namespace ${cluster.namespace}) on PostgreSQL 127.0.0.1:${cluster.postgresPort}`,
);
console.error(`  TEMPORAL_ADDRESS=${cluster.address} npx conveyor worker`);
console.error(`  server log: ${cluster.serverLog}`);
console.error('Ctrl-C stops the server and PostgreSQL.');
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', stop).on('SIGTERM', stop);
