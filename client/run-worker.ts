import { createWorker } from '../worker/worker';
import type { WorkerSettings } from '../worker/settings';

export async function runWorker(settings: WorkerSettings): Promise<void> {
  const worker = await createWorker(settings);
  console.error(`conveyor worker on ${settings.address}, namespace ${settings.namespace}, task queue ${settings.taskQueue}`);
  await worker.run();
}
