// The baseline poller (bench/cedar.ts) in a process of its own, as bench/worker.ts runs conveyor's
// worker: its CPU and memory are measured apart from the sandbox. Configured by BENCH_CEDAR (JSON);
// answers "usage", takes {paused} (every pipeline), {paused, pipeline} (one) and "stop" over IPC.
import { CedarPoller, type CedarCounters, type CedarOptions, type CedarPipeline } from './cedar';

export interface CedarConfig extends CedarOptions {
  herokuUrl: string;
  token: string;
  pipelines: CedarPipeline[];
}

export interface CedarUsage {
  cpu: NodeJS.CpuUsage;
  memory: NodeJS.MemoryUsage;
  counters: CedarCounters;
}

const config = JSON.parse(process.env.BENCH_CEDAR ?? '{}') as CedarConfig;
const poller = new CedarPoller(config.herokuUrl, config.token, config.pipelines, config);
await poller.start();

process.on('message', (message: unknown) => {
  if (message === 'usage')
    process.send!({
      cpu: process.cpuUsage(),
      memory: process.memoryUsage(),
      counters: poller.counters,
    } satisfies CedarUsage);
  else if (message === 'stop') void poller.stop().then(() => process.disconnect());
  else if (typeof message === 'object' && message !== null && 'paused' in message) {
    const { paused, pipeline } = message as { paused: unknown; pipeline?: unknown };
    if (typeof pipeline !== 'string') poller.paused = Boolean(paused);
    else if (paused) poller.pausedPipelines.add(pipeline);
    else poller.pausedPipelines.delete(pipeline);
  }
});
process.send!('ready');
