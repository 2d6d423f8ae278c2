import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { HerokuActivityOptions } from '../activities/heroku';
import { githubClient, herokuClient, herokuPoster } from './clients';
import type { WorkerSettings } from './settings';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions extends HerokuActivityOptions {
  connection?: NativeConnection;
  /** A pre-built workflow bundle (tests build it once). */
  workflowBundle?: WorkflowBundleOption;
}

/** A worker that runs conveyor's workflows and activities, with clients made from the settings. */
export async function createWorker(settings: WorkerSettings, options: WorkerOptions = {}): Promise<Worker> {
  const connect = { ...settings.connectionOptions?.(), address: settings.address };
  const connection = options.connection ?? (await NativeConnection.connect(connect));
  // Activities that pass the freeze on talk to Temporal as a client.
  const temporal = new Client({ connection: await Connection.connect(connect), namespace: settings.namespace });
  const activities = createActivities(
    {
      heroku: herokuClient(settings.herokuUrl, settings.herokuToken),
      herokuPost: herokuPoster(settings.herokuUrl, settings.herokuToken),
      github: githubClient(settings.githubUrl, settings.githubToken),
      temporal,
      librato: settings.librato,
      notify: settings.notify,
    },
    { pollIntervalMs: options.pollIntervalMs },
  );
  return Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    activities,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
  });
}
