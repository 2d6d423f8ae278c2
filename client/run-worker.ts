import type { WorkerSettings } from '../worker/settings';

/** `conveyor worker` (see worker/run.ts: logs, metrics, SIGTERM drain, Worker Deployment version). */
export async function runWorker(settings: WorkerSettings): Promise<void> {
  const { runWorker: run } = await import('../worker/run');
  await run(settings);
}
