// A conveyor worker in a process of its own, so a test can SIGKILL it mid-promotion.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { workerSettings } from '../../worker/settings';
import { createWorker } from '../../worker/worker';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const worker = await createWorker(workerSettings(), { pollIntervalMs: 100 });
console.log('worker running');
await worker.run();
