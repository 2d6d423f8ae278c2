import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { temporalBinary } from '../../temporal/binary';
import type { Client } from '@temporalio/client';
import { Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { fileLogger } from './test-logs';
import { createActivities, type Activities } from '../../activities';
import type { NotifyTargets } from '../../activities/notify';
import { parseDuration } from '../../domain/duration';
import type { Service } from '../../domain/service';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { applyServices } from '../../client/pipelines';
import { githubClient, herokuClient, herokuPoster } from '../../activities/api-clients';
import { sharedBudget } from '../../activities/api-budget';
import { budgetSettings } from '../../config/budget-settings';
import type { PipelineOptions } from '../../workflows/pipeline';
import { connect, createNamespace, testServer, workflowBundle } from './temporal';
import type { DevServer } from '../../temporal/dev-server';

let runtimeInstalled = false;
const run = promisify(execFile);

/** A short unique service name: tests share one Temporal server, and workflow ids are per service. */
export const uniqueName = (base: string) => `${base}-${randomBytes(3).toString('hex')}`;

export interface Stack {
  client: Client;
  sandbox: Sandbox;
  address: string;
  namespace: string;
  taskQueue: string;
  /** The environment a worker process needs to serve this stack. */
  workerEnv: NodeJS.ProcessEnv;
  /** Runs the real `temporal` CLI against this stack's server and namespace; answers its stdout. */
  temporal(...args: string[]): Promise<string>;
  /** Creates the service in the sandbox and starts its pipeline workflow, as `conveyor apply` does. */
  launch(base: string, overrides?: ServiceOverrides, options?: PipelineOptions): Promise<Service>;
  /** Creates the service in the sandbox only; `start` starts its workflow later. */
  prepare(base: string, overrides?: ServiceOverrides): Promise<Service>;
  start(service: Service, options?: PipelineOptions): Promise<void>;
  stop(): Promise<void>;
}

/** `generation`: the sandbox pipeline's (Heroku's, not the service's config: conveyor reads it). */
export type ServiceOverrides = Partial<Service> & { minAge?: string; tick?: string; generation?: 'cedar' | 'fir' };

export interface StackOptions {
  /** Wraps the real activities, e.g. to make one attempt fail after it has acted. */
  wrapActivities?: (activities: Activities) => Activities;
  promotionDelayMs?: number;
  releasePhaseMs?: number;
  /** Where the worker sends notices. */
  notify?: NotifyTargets;
  /** false: no worker in this process (a test runs its own, e.g. to kill it). */
  worker?: boolean;
  /** The Temporal server; the shared test server by default. */
  server?: DevServer;
  /** Spend Heroku and GitHub through the worker's API budget, as a deployed worker does (default settings). */
  budget?: boolean;
}

/** The real thing, small: the sandbox, a worker on the real dev server, real clients over HTTP. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  if (!runtimeInstalled) {
    // Workflows terminated at the end of a file make the core warn about tasks it cannot complete: noise.
    Runtime.install({
      // Warnings (activities failing on purpose, with their stacks) go to a file kept for failures.
      logger: fileLogger('WARN'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
    });
    runtimeInstalled = true;
  }
  const server = options.server ?? (await testServer());
  const sandbox = await startSandbox({
    promotionDelayMs: options.promotionDelayMs ?? 200,
    releasePhaseMs: options.releasePhaseMs ?? 100,
  });
  const namespace = await createNamespace(server.address, uniqueName('test'));
  const { client, native, close } = await connect(server.address, namespace);
  const taskQueue = uniqueName('test');
  const budgets = options.budget ? budgetSettings({}) : undefined;
  const herokuBudget = budgets && sharedBudget('Heroku', sandbox.herokuUrl, sandbox.token, budgets.heroku);
  const githubBudget = budgets && sharedBudget('GitHub', sandbox.githubUrl, sandbox.token, budgets.github);
  const real = createActivities(
    {
      heroku: herokuClient(sandbox.herokuUrl, sandbox.token, undefined, herokuBudget),
      herokuPost: herokuPoster(sandbox.herokuUrl, sandbox.token, undefined, herokuBudget),
      github: githubClient(sandbox.githubUrl, sandbox.token, undefined, githubBudget),
      temporal: client,
      notify: options.notify,
    },
    { pollIntervalMs: 100 },
  );
  const worker =
    options.worker === false
      ? undefined
      : await Worker.create({
          connection: native,
          namespace,
          taskQueue,
          workflowBundle: await workflowBundle(),
          activities: options.wrapActivities ? options.wrapActivities(real) : real,
        });
  const running = worker?.run();
  const launched: string[] = [];

  const stack: Stack = {
    client,
    sandbox,
    address: server.address,
    namespace,
    taskQueue,
    workerEnv: {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: namespace,
      CONVEYOR_TASK_QUEUE: taskQueue,
      HEROKU_API_URL: sandbox.herokuUrl,
      HEROKU_API_KEY: sandbox.token,
      GITHUB_API_URL: sandbox.githubUrl,
      GITHUB_TOKEN: sandbox.token,
      // Promotions and release phases polled as quickly as the in-process worker does (production: 2s to 30s).
      CONVEYOR_POLL_INTERVAL: '100ms',
      CONVEYOR_POLL_MAX_INTERVAL: '1500ms',
    },
    async temporal(...args) {
      return (await run(temporalBinary(), [...args, '--address', server.address, '--namespace', namespace])).stdout;
    },
    async launch(base, overrides = {}, pipelineOptions) {
      const service = await stack.prepare(base, overrides);
      await stack.start(service, pipelineOptions);
      return service;
    },
    async prepare(base, overrides = {}) {
      const name = uniqueName(base);
      const stages = overrides.stages ?? ['qa01', 'st01', 'va01', 'eu01'].map((s) => `${name}-${s}`);
      const { minAge, tick, generation, ...rest } = overrides;
      const service: Service = {
        name,
        pipeline: name,
        stages,
        repo: `acme/${name}`,
        branch: 'main',
        minAgeMs: parseDuration(minAge ?? '1s')!,
        tickMs: parseDuration(tick ?? '2s')!,
        ...rest,
      };
      await sandbox.scenario.createService({
        name: service.pipeline,
        repo: service.repo,
        stages: service.stages,
        branch: service.branch,
        ...(generation ? { generation } : {}),
      });
      return service;
    },
    async start(service, pipelineOptions) {
      const [applied] = await applyServices(client, [service], taskQueue, pipelineOptions);
      launched.push(applied.workflowId);
    },
    async stop() {
      await Promise.all(
        launched.map((id) =>
          client.workflow
            .getHandle(id)
            .terminate('test finished')
            .catch(() => undefined),
        ),
      );
      worker?.shutdown();
      await running;
      await close();
      await sandbox.stop();
    },
  };
  return stack;
}

export async function status(stack: Stack, service: Service) {
  const { statusQuery } = await import('../../workflows/messages');
  return stack.client.workflow.getHandle(`conveyor/${service.name}`).query(statusQuery);
}

/** The commit each stage runs, in stage order, as the workflow last observed it. */
export async function commitsByStage(stack: Stack, service: Service): Promise<(string | null)[]> {
  return (await status(stack, service)).stages.map((s) => s.commit);
}
