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

/** Sends one POST to the Platform API and answers its JSON, or throws {statusCode, body} like heroku-client. */
export type HerokuPost = (path: string, body: unknown) => Promise<unknown>;

/**
 * POSTs that must not be repeated (a promotion, a rollback) go through this, not heroku-client:
 * heroku-client re-sends a request whose socket died, even a POST the server already acted on,
 * which would promote twice. A failed POST here fails once; the activity's retry decides again.
 */
export function herokuPoster(baseUrl: string, token: string): HerokuPost {
  return async (path, body) => {
    const response = await fetch(new URL(path, baseUrl), {
      method: 'POST',
      headers: {
        Accept: 'application/vnd.heroku+json; version=3',
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Left as text: a 2xx that is not JSON is refused by the caller's guard.
    }
    if (!response.ok) throw Object.assign(new Error(`Expected response to be successful, got ${response.status}`), { statusCode: response.status, body: parsed });
    return parsed;
  };
}
