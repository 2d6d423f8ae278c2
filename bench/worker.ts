// A conveyor worker in a process of its own, for bench/run.ts: its CPU and memory are measured apart
// from the sandbox serving it. Answers "usage" messages with process.cpuUsage() and memoryUsage().
// With CONVEYOR_RECEIVER_ADDRESS and CONVEYOR_HEROKU_WEBHOOK_SECRET set it also runs the webhook
// receiver in this process, as `conveyor worker` does (worker/run.ts), so its cost is counted too.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { Tally } from '../activities/api-budget';
import { apiClients } from '../activities/api-clients';
import { startReceiver } from '../worker/receiver';
import { workerSettings } from '../worker/settings';
import { createWorker } from '../worker/worker';
import { profileMainThread } from './main-thread-profile';

/** Bounds (ms) for Core's workflow-task latencies, finer than its defaults around the 200 ms goal (bench/scale.ts). */
const TASK_LATENCY_BOUNDS = [
  1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000, 10000, 30000, 60000,
];
const metricsAddress = process.env.BENCH_SDK_METRICS_ADDRESS;
const overrides = Object.fromEntries(
  ['schedule_to_start', 'execution', 'replay'].flatMap((what) => [
    [`workflow_task_${what}_latency`, TASK_LATENCY_BOUNDS],
    [`temporal_workflow_task_${what}_latency`, TASK_LATENCY_BOUNDS],
  ]),
);
// Workflows terminated at the end make the core warn about tasks it cannot complete: noise.
// BENCH_SDK_METRICS_ADDRESS: Core's own metrics served for scraping there (task latencies, sticky cache, slots).
Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} },
    ...(metricsAddress
      ? { metrics: { prometheus: { bindAddress: metricsAddress, histogramBucketOverrides: overrides } } }
      : {}),
  },
});
const settings = workerSettings();
const bundle = process.env.BENCH_WORKFLOW_BUNDLE;
const worker = await createWorker(settings, bundle ? { workflowBundle: { codePath: bundle } } : {});
const connection = settings.receiver ? await Connection.connect({ address: settings.address }) : undefined;
const receiver =
  settings.receiver && connection
    ? await startReceiver({
        client: new Client({ connection, namespace: settings.namespace }),
        secret: settings.receiver.secret,
        taskQueue: settings.taskQueue,
        host: settings.receiver.host,
        port: settings.receiver.port,
      })
    : undefined;

// The same budget the worker's Heroku calls go through (one per token in the process): its tally says what they were for.
const herokuBudget = apiClients(settings).herokuBudget;

export interface WorkerUsage {
  cpu: NodeJS.CpuUsage;
  memory: NodeJS.MemoryUsage;
  /** The process's peak resident set so far (getrusage), KB. */
  maxRssKb: number;
  /** Heroku calls by activity type so far, as the budget saw them. */
  budget: Record<string, Tally>;
  /** The workflow cache's size the worker was given (undefined: the SDK's own from the heap limit). */
  maxCachedWorkflows?: number;
}

process.on('message', (message) => {
  if (message === 'usage')
    process.send!({
      cpu: process.cpuUsage(),
      memory: process.memoryUsage(),
      maxRssKb: process.resourceUsage().maxRSS,
      budget: herokuBudget.tally(),
      maxCachedWorkflows: worker.options.maxCachedWorkflows,
    } satisfies WorkerUsage);
  if (message === 'stop') void stopProfile().finally(() => worker.shutdown());
});
const stopProfile = await profileMainThread(process.env.BENCH_PROFILE_DIR);
process.send!('ready');
await worker.run();
await receiver?.stop();
await connection?.close();
process.disconnect();
