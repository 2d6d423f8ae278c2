import type Heroku from 'heroku-client';
import type { Octokit } from 'octokit';
import { githubActivities } from './github';
import { herokuActivities, type HerokuActivityOptions } from './heroku';

export type { PromotionRequest } from './heroku';

export interface ActivityClients {
  heroku: Heroku;
  github: Octokit;
}

/** Every activity conveyor registers, over injected clients (real ones, pointed wherever). */
export function createActivities(clients: ActivityClients, options: HerokuActivityOptions = {}) {
  const { observePipeline, promote } = herokuActivities(clients.heroku, options);
  return { observePipeline, promote, ...githubActivities(clients.github) };
}

export type Activities = ReturnType<typeof createActivities>;
