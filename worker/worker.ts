import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import {
  NativeConnection,
  Worker,
  bundleWorkflowCode,
  type WorkflowBundleOption,
  type WorkerOptions as SdkWorkerOptions,
} from '@temporalio/worker';
import { createActivities } from '../activities';
import type { HerokuActivityOptions } from '../activities/heroku';
import { apiClients } from '../activities/api-clients';
import type { ApiBudget } from '../activities/api-budget';
import { budgetSettings, type BudgetPair } from '../config/budget-settings';
import type { ConveyorMetrics } from './metrics';
import type { WorkerSettings } from './settings';
import { shutdownWindow } from './shutdown';
import { traceSettings, tracing, workflowTracingModules, type Tracing } from './traces';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions extends HerokuActivityOptions {
  connection?: NativeConnection;
  /** A pre-built workflow bundle (tests build it once; the Docker image builds it at build time). */
  workflowBundle?: WorkflowBundleOption;
  /** Where conveyor's metrics are recorded (activity interceptor, Heroku/GitHub requests). */
  metrics?: ConveyorMetrics;
  /** The API budgets' settings (default: from the environment, see config/budget-settings.ts). */
  budgets?: BudgetPair;
  /** The budgets themselves (default: one per token in this process); a test gives each worker its own. */
  budget?: { heroku: ApiBudget; github: ApiBudget };
  /** Traces (default: as the environment says, see worker/traces.ts; none when it says nothing). */
  traces?: Tracing;
}

const connections = new WeakMap<Worker, () => Promise<void>>();

/** Closes the connections createWorker opened itself (not one passed in); after `run()` has returned. */
export async function closeWorkerConnections(worker: Worker): Promise<void> {
  await connections.get(worker)?.();
}

const quiet = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error: (m: string) => console.error(m),
  log() {},
} as never;

/** The workflow code, and a build id derived from it: a new id exactly when the workflow code changes. */
async function workflowCode(
  bundle: WorkflowBundleOption | undefined,
  traced: boolean,
): Promise<{ bundle: WorkflowBundleOption; digest: string }> {
  const env = process.env.CONVEYOR_WORKFLOW_BUNDLE;
  const build = async () =>
    (
      await bundleWorkflowCode({
        workflowsPath,
        logger: quiet,
        // Traced workflows need the interceptors in the bundle itself (docs/operating/traces.md).
        ...(traced ? { workflowInterceptorModules: workflowTracingModules() } : {}),
      })
    ).code;
  const chosen: WorkflowBundleOption = bundle ?? (env ? { codePath: env } : { code: await build() });
  const code = 'code' in chosen ? chosen.code : readFileSync(chosen.codePath, 'utf8');
  return { bundle: chosen, digest: createHash('sha256').update(code).digest('hex').slice(0, 12) };
}

/** A worker that runs conveyor's workflows and activities, with clients made from the settings. */
export async function createWorker(settings: WorkerSettings, options: WorkerOptions = {}): Promise<Worker> {
  // A bad budget setting is told before anything connects.
  const budgets = options.budgets ?? budgetSettings(process.env);
  const connect = { ...settings.connectionOptions?.(), address: settings.address };
  const connection = options.connection ?? (await NativeConnection.connect(connect));
  // Activities that pass the freeze on talk to Temporal as a client.
  const clientConnection = await Connection.connect(connect);
  const traces = options.traces ?? tracesFromEnvironment();
  const plugins = traces ? [traces.plugin] : [];
  const temporal = new Client({ connection: clientConnection, namespace: settings.namespace, plugins });
  const metrics = options.metrics;
  // One budget per token, shared by every Heroku (GitHub) call this process makes with it.
  const apis = apiClients(settings, {
    budgets,
    ...(options.budget ? { budget: options.budget } : {}),
    observe: (api) => metrics?.http(api),
  });
  const activities = createActivities(
    {
      heroku: apis.heroku,
      herokuPost: apis.herokuPost,
      github: apis.github,
      temporal,
      librato: settings.librato,
      notify: settings.notify,
      ...(metrics ? { observeHealth: metrics.healthSource() } : {}),
    },
    {
      pollIntervalMs: options.pollIntervalMs ?? budgets.pollIntervalMs,
      pollMaxIntervalMs:
        options.pollMaxIntervalMs ?? (options.pollIntervalMs === undefined ? budgets.pollMaxIntervalMs : undefined),
    },
  );
  const production = settings.production;
  const production_options: Partial<SdkWorkerOptions> = {};
  let bundle: WorkflowBundleOption | undefined = options.workflowBundle;
  if (production) {
    const code = await workflowCode(options.workflowBundle, !!traces);
    bundle = code.bundle;
    const version = {
      deploymentName: production.deploymentName,
      buildId: production.buildId ?? `conveyor-${code.digest}`,
    };
    production_options.workerDeploymentOptions =
      production.versioning === 'off'
        ? { version, useWorkerVersioning: false }
        : {
            version,
            useWorkerVersioning: true,
            defaultVersioningBehavior: production.versioning === 'pinned' ? 'PINNED' : 'AUTO_UPGRADE',
          };
    // SIGTERM (the Runtime's shutdown signals) stops polling at once; running activities finish or are handed back in the window.
    const window = shutdownWindow(production.shutdownGraceMs);
    production_options.shutdownGraceTime = window.activitiesMs;
    production_options.shutdownForceTime = window.forceMs;
    if (production.memory.maxCachedWorkflows !== undefined)
      production_options.maxCachedWorkflows = production.memory.maxCachedWorkflows;
    if (production.workflowTaskSlots !== undefined)
      production_options.maxConcurrentWorkflowTaskExecutions = production.workflowTaskSlots;
  }
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    activities,
    ...(metrics ? { interceptors: { activity: [metrics.activityInterceptor()] } } : {}),
    ...production_options,
    ...(bundle ? { workflowBundle: bundle } : { workflowsPath }),
    plugins,
  });
  connections.set(worker, async () => {
    await traces?.flush().catch(() => undefined);
    await clientConnection.close().catch(() => undefined);
    if (!options.connection) await connection.close().catch(() => undefined);
  });
  return worker;
}

/** The tracing the environment asks for, made once per process (its spans go through one processor). */
let fromEnvironment: Tracing | undefined | null = null;
function tracesFromEnvironment(): Tracing | undefined {
  if (fromEnvironment === null) {
    const settings = traceSettings(process.env);
    fromEnvironment = settings ? tracing(settings) : undefined;
  }
  return fromEnvironment;
}
