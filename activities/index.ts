import type Heroku from 'heroku-client';
import type { Octokit } from 'octokit';
import type { Client } from '@temporalio/client';
import { alertActivities } from './alerts';
import { HealthHttp, type SourceObserver } from './health-http';
import { controlActivities } from './control';
import { notifyActivities, type NotifyTargets } from './notify';
import { statusActivities } from './status';
import { urlActivities } from './urls';
import { githubActivities } from './github';
import { herokuActivities, type ConfirmDecision, type HerokuActivityOptions } from './heroku';
import { CONFIRM_PROMOTION_UPDATE, type ConfirmAnswer, type ConfirmRequest } from '../domain/promotion';
import type { HerokuPost } from './heroku-post';
import { ciActivities } from './ci';
import { platformActivities } from './platform';
import { webhookActivities } from './webhook-check';

export interface ActivityClients {
  heroku: Heroku;
  /** Sends promotion and rollback POSTs once (see api-clients.ts herokuPoster). */
  herokuPost?: HerokuPost;
  github: Octokit;
  temporal: Client;
  /** Librato credentials, from the worker's environment. */
  librato?: { email?: string; token?: string };
  /** Where notices go; secrets, from the worker's environment. */
  notify?: NotifyTargets;
  /** Where the health sources' keys are read (the variables their policies name); the worker's environment by default. */
  env?: NodeJS.ProcessEnv;
  /** Counts every call to a health source (worker/metrics.ts). */
  observeHealth?: SourceObserver;
}

/** Every activity conveyor registers, over injected clients (real ones, pointed wherever). */
export function createActivities(clients: ActivityClients, options: HerokuActivityOptions = {}) {
  // The promote activity confirms its decision with the workflow that made it, right before its POST.
  const confirm: ConfirmDecision = (workflow, request) =>
    clients.temporal.workflow
      .getHandle(workflow.workflowId, workflow.runId)
      .executeUpdate<ConfirmAnswer, [ConfirmRequest]>(CONFIRM_PROMOTION_UPDATE, { args: [request] });
  const { observePipeline, promote, rollback, awaitRelease } = herokuActivities(clients.heroku, {
    confirm,
    ...options,
    post: clients.herokuPost ?? options.post,
  });
  // One cache and one set of rate limits for every health source this worker asks.
  const health = new HealthHttp({ ...(clients.observeHealth ? { observe: clients.observeHealth } : {}) });
  return {
    observePipeline,
    promote,
    rollback,
    awaitRelease,
    ...githubActivities(clients.github),
    ...controlActivities(clients.temporal),
    ...statusActivities({ http: health, ...(clients.env ? { env: clients.env } : {}) }),
    ...alertActivities({
      libratoEmail: clients.librato?.email,
      libratoToken: clients.librato?.token,
      http: health,
      ...(clients.env ? { env: clients.env } : {}),
    }),
    ...urlActivities(),
    ...notifyActivities(clients.notify ?? {}),
    ...platformActivities(clients.heroku),
    ...ciActivities(clients.github),
    ...webhookActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
