import { herokuActivities } from '../activities/heroku';
import type { Service } from '../domain/service';
import { herokuClient } from '../worker/clients';
import { UserError } from './errors';

/** `apply`'s check that every stage app is coupled to its pipeline; needs HEROKU_API_KEY. */
export async function checkCouplings(services: Service[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!env.HEROKU_API_KEY) throw new UserError('HEROKU_API_KEY is not set: it is needed to check the stage apps (or pass --skip-coupling-check)');
  const heroku = herokuActivities(herokuClient(env.HEROKU_API_URL || 'https://api.heroku.com', env.HEROKU_API_KEY));
  const problems: string[] = [];
  for (const service of services) {
    try {
      const uncoupled = await heroku.uncoupledStages(service.pipeline, service.stages);
      for (const app of uncoupled) problems.push(`service ${service.name}: app ${app} is not coupled to pipeline ${service.pipeline}`);
    } catch (error) {
      problems.push(`service ${service.name}: ${(error as Error).message}`);
    }
  }
  if (problems.length) throw new UserError(problems.join('\n'));
}
