// A conveyor worker in a process of its own, for bench/run.ts: its CPU and memory are measured apart
// from the sandbox serving it. Answers "usage" messages with process.cpuUsage() and memoryUsage().
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { workerSettings } from '../worker/settings';
import { createWorker } from '../worker/worker';

// Workflows terminated at the end make the core warn about tasks it cannot complete: noise.
Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});
const bundle = process.env.BENCH_WORKFLOW_BUNDLE;
const worker = await createWorker(workerSettings(), bundle ? { workflowBundle: { codePath: bundle } } : {});

export interface WorkerUsage {
  cpu: NodeJS.CpuUsage;
  memory: NodeJS.MemoryUsage;
}

process.on('message', (message) => {
  if (message === 'usage')
    process.send!({ cpu: process.cpuUsage(), memory: process.memoryUsage() } satisfies WorkerUsage);
  if (message === 'stop') worker.shutdown();
});
process.send!('ready');
await worker.run();
process.disconnect();
