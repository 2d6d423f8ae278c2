import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import Heroku from 'heroku-client';
import { Octokit } from 'octokit';
import type { Sandbox } from '../../sandbox/server';

/** What the sandbox tests share: real clients pointed at a sandbox, and bounded polling. */

/** Fast enough for tests, slow enough that a test still sees the pending states on a loaded machine. */
export const FAST = { promotionDelayMs: 400, releasePhaseMs: 400 };

/** The parts of Heroku's release the tests read. */
export interface Release {
  id: string;
  version: number;
  status: 'pending' | 'succeeded' | 'failed' | 'expired';
  current: boolean;
  eligible_for_rollback: boolean;
  description: string;
  slug: { id: string } | null;
  app: { id: string; name: string };
  created_at: string;
}

export interface PromotionTarget {
  id: string;
  app: { id: string };
  release: { id: string } | null;
  status: 'pending' | 'succeeded' | 'failed';
  error_message: string | null;
}

/** heroku-client as its users construct it: Basic auth with the token (its default), or Bearer. */
export function herokuClient(sandbox: Sandbox, auth: 'basic' | 'bearer' = 'basic', token = sandbox.token): Heroku {
  return auth === 'basic'
    ? new Heroku({ token, host: sandbox.herokuUrl })
    : new Heroku({ host: sandbox.herokuUrl, headers: { Authorization: `Bearer ${token}` } });
}

/**
 * A person's token through id.heroku.com's web flow, as a browser and a client would get it: a
 * registered client, the person allowing it (scope `identity` by default), the code exchanged.
 */
export async function personalToken(sandbox: Sandbox, email: string, scope = 'identity'): Promise<string> {
  const client = sandbox.scenario.registerOAuthClient('test client', 'http://127.0.0.1:9/callback');
  const allowed = await fetch(`${sandbox.identityUrl}/oauth/authorize`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ client_id: client.id, response_type: 'code', scope, state: 's', email, password: 'x' }),
  });
  const code = new URL(allowed.headers.get('location')!).searchParams.get('code')!;
  const exchanged = await fetch(`${sandbox.identityUrl}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', code, client_secret: client.secret }),
  });
  return ((await exchanged.json()) as { access_token: string }).access_token;
}

export function octokit(sandbox: Sandbox, token = sandbox.token): Octokit {
  return new Octokit({
    baseUrl: sandbox.githubUrl,
    auth: token,
    retry: { enabled: false },
    throttle: { enabled: false },
  });
}

/** A response seen through heroku-client: every page's status and headers, and the (concatenated) body. */
export interface Seen<T> {
  body: T;
  pages: { status: number; headers: IncomingHttpHeaders }[];
}

/** One heroku-client request, recording each response it received (it follows Next-Range on its own). */
export async function seen<T>(heroku: Heroku, options: Parameters<Heroku['request']>[0]): Promise<Seen<T>> {
  const pages: Seen<T>['pages'] = [];
  const body = (await heroku.request({
    ...options,
    middleware: (res, next) => {
      const response = res as unknown as IncomingMessage;
      pages.push({ status: response.statusCode ?? 0, headers: response.headers });
      next();
    },
  })) as T;
  return { body, pages };
}

/** What heroku-client rejects with for a non-2xx answer. */
export interface HerokuFailure {
  statusCode: number;
  body: { id: string; message: string; resource?: string };
}

/** The failure of a heroku-client call that must fail. */
export async function herokuFailure(call: Promise<unknown>): Promise<HerokuFailure> {
  try {
    await call;
  } catch (error) {
    return error as HerokuFailure;
  }
  throw new Error('expected the Heroku call to fail');
}

/** Polls `check` until it returns something other than undefined/false; fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the app's newest release has left `pending`, and answers it. */
export function settledRelease(heroku: Heroku, app: string): Promise<Release> {
  return until(`the newest release of ${app} to settle`, async () => {
    const [newest] = (await heroku.request({
      method: 'GET',
      path: `/apps/${app}/releases`,
      headers: { Range: 'version ..; max=1, order=desc' },
      partial: true,
    })) as Release[];
    return newest.status !== 'pending' && newest;
  });
}

/** The status and message of a GitHub call that must fail (octokit's RequestError). */
export async function githubFailure(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as { status: number; response: { data: { message: string } } };
    return { status: e.status, message: e.response.data.message };
  }
  throw new Error('expected the GitHub call to fail');
}
