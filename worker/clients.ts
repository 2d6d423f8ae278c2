import Heroku from 'heroku-client';
import { Octokit } from 'octokit';

/** heroku-client with a Bearer token (its default is Basic) against any Platform API base URL. */
export function herokuClient(baseUrl: string, token: string): Heroku {
  return new Heroku({ host: baseUrl, headers: { Authorization: `Bearer ${token}` } });
}

/** octokit against any GitHub REST base URL; retries are Temporal's job, not octokit's. */
export function githubClient(baseUrl: string, token: string): Octokit {
  return new Octokit({
    baseUrl,
    auth: token,
    retry: { enabled: false },
    throttle: { enabled: false },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}
