import { herokuActivities } from '../activities/heroku';
import type { Service } from '../domain/service';
import { apiClients, apiEndpoints } from '../activities/api-clients';
import { budgetSettings } from '../config/budget-settings';
import { UnreachableError, UsageError } from './errors';

const NETWORK = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|fetch failed|socket hang up/;

/** A network failure means the service cannot be reached (exit 3), not that the config is wrong. */
const unreachable = (what: string, url: string, error: unknown): UnreachableError | undefined => {
  const text = `${(error as NodeJS.ErrnoException)?.code ?? ''} ${(error as Error)?.message ?? ''} ${((error as Error)?.cause as Error | undefined)?.message ?? ''}`;
  return NETWORK.test(text)
    ? new UnreachableError(`cannot reach ${what} at ${url}: ${(error as Error).message.split('\n')[0]}`)
    : undefined;
};

/** Every stage app that is not coupled to its pipeline, one line each; needs HEROKU_API_KEY. */
export async function checkCouplings(services: Service[], env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  if (!env.HEROKU_API_KEY)
    throw new UsageError(
      'HEROKU_API_KEY is not set: it is needed to check the stage apps (or pass --skip-coupling-check)',
    );
  const endpoints = apiEndpoints(env);
  const url = endpoints.herokuUrl;
  // The token's budget: a person's command may use the reserve, never the last request (see docs, API budget).
  const client = apiClients(endpoints, { budgets: budgetSettings(env) }).heroku;
  // A refused token is the same answer for every service: say it once (exit 3), not per service.
  try {
    await client.request({ method: 'GET', path: '/account/rate-limits' });
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 401 || status === 403)
      throw new UnreachableError(`Heroku at ${url} refused HEROKU_API_KEY (${status}): check the token`);
    throw unreachable('Heroku', url, error) ?? error;
  }
  const heroku = herokuActivities(client);
  const problems: string[] = [];
  for (const service of services) {
    try {
      const uncoupled = await heroku.uncoupledStages(service.pipeline, service.stages);
      for (const app of uncoupled)
        problems.push(`service ${service.name}: app ${app} is not coupled to pipeline ${service.pipeline}`);
    } catch (error) {
      const down = unreachable('Heroku', url, error);
      if (down) throw down;
      problems.push(`service ${service.name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return problems;
}

/** Every repository or branch GitHub does not know, one line each; needs GITHUB_TOKEN. */
export async function checkRepos(services: Service[], env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const endpoints = apiEndpoints(env);
  const url = endpoints.githubUrl;
  const github = apiClients(endpoints, { budgets: budgetSettings(env) }).github;
  const problems: string[] = [];
  for (const service of services) {
    const [owner, repo] = service.repo.split('/');
    try {
      await github.request('GET /repos/{owner}/{repo}/branches/{branch}', { owner, repo, branch: service.branch });
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404)
        problems.push(
          `service ${service.name}: GitHub has no repository ${service.repo} with a branch ${service.branch}`,
        );
      else if (status === 401)
        throw new UnreachableError(`GitHub at ${url} refused GITHUB_TOKEN (401): check the token`);
      else if (status === 403)
        problems.push(`service ${service.name}: GITHUB_TOKEN may not read ${service.repo} (403)`);
      else throw unreachable('GitHub', url, error) ?? error;
    }
  }
  return problems;
}
