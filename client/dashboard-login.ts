// `conveyor login`: the CLI acts as a person by way of the dashboard, which holds the identity
// provider's settings and checks roles for every action. The CLI waits on a loopback port, the
// person allows it in their browser (signed in to the dashboard as usual), the dashboard hands a
// one-time code to 127.0.0.1, and the CLI trades it for a token kept in the user's config dir (0600).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError, UserError } from './errors';

export interface Credential {
  dashboard: string;
  token: string;
  name: string;
  provider: string;
  issuer: string;
  expiresAt: string;
}

/** CONVEYOR_CONFIG_DIR, else $XDG_CONFIG_HOME/conveyor, else ~/.config/conveyor. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CONVEYOR_CONFIG_DIR || join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'conveyor');
}
export const credentialPath = (env: NodeJS.ProcessEnv = process.env) => join(configDir(env), 'credentials.json');

/** The stored credential, when there is one that has not expired. */
export function readCredential(env: NodeJS.ProcessEnv = process.env, now = Date.now()): Credential | undefined {
  let text: string;
  try {
    text = readFileSync(credentialPath(env), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const credential = JSON.parse(text) as Credential;
    if (typeof credential.token !== 'string' || typeof credential.dashboard !== 'string') return undefined;
    if (Date.parse(credential.expiresAt) <= now) return undefined;
    return credential;
  } catch {
    throw new UserError(`${credentialPath(env)}: not a conveyor credential (run conveyor logout, then conveyor login)`);
  }
}

export function writeCredential(credential: Credential, env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = credentialPath(env);
  writeFileSync(path, `${JSON.stringify(credential, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // an older file keeps its mode through writeFileSync
  return path;
}

export function forgetCredential(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    rmSync(credentialPath(env));
    return true;
  } catch {
    return false;
  }
}

/** Opens the URL in the person's browser when the platform can; the URL is printed either way. */
function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    spawn(command, [url], { stdio: 'ignore', detached: true })
      .on('error', () => undefined)
      .unref();
  } catch {
    // No browser here: the printed URL is enough.
  }
}

export interface LoginOptions {
  dashboard: string;
  /** Print the URL only. */
  browser?: boolean;
  /** Told the URL to open (printed by the command). */
  show(url: string): void;
  timeoutMs?: number;
}

export async function login(options: LoginOptions, env: NodeJS.ProcessEnv = process.env): Promise<Credential> {
  if (!URL.canParse(options.dashboard) || !/^https?:$/.test(new URL(options.dashboard).protocol))
    throw new UsageError(`--dashboard: "${options.dashboard}" is not an http(s) URL`);
  const dashboard = options.dashboard.replace(/\/$/, '');
  const state = randomBytes(24).toString('base64url');
  let settle!: (code: string) => void;
  let fail!: (error: Error) => void;
  const received = new Promise<string>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    const code = url.searchParams.get('code');
    if (url.searchParams.get('state') !== state || !code) {
      res
        .writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
        .end('This sign-in was not started by this conveyor login.');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      .end('conveyor login: signed in. You can close this tab and go back to the terminal.');
    settle(code);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${dashboard}/cli/login?${new URLSearchParams({ port: String(port), state })}`;
  options.show(url);
  if (options.browser !== false) openBrowser(url);
  const timer = setTimeout(
    () => fail(new UserError('conveyor login: nobody allowed the sign-in in a browser within 5 minutes')),
    options.timeoutMs ?? 5 * 60_000,
  );
  try {
    const code = await received;
    const response = await fetch(`${dashboard}/api/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    const body = (await response.json().catch(() => ({}))) as Partial<Credential> & { error?: string };
    if (!response.ok || typeof body.token !== 'string')
      throw new UserError(`conveyor login: the dashboard refused: ${body.error ?? `HTTP ${response.status}`}`);
    const credential: Credential = {
      dashboard,
      token: body.token,
      name: String(body.name),
      provider: String(body.provider),
      issuer: String(body.issuer),
      expiresAt: String(body.expiresAt),
    };
    writeCredential(credential, env);
    return credential;
  } finally {
    clearTimeout(timer);
    server.close();
    server.closeAllConnections();
  }
}

/** An action refused by the dashboard: its words, and the rule that refused it. */
export class DashboardRefused extends UserError {}

/** Sends one action through the dashboard's API as the person logged in; answers its message. */
export async function actThroughDashboard(
  credential: Credential,
  action: string,
  request: Record<string, string | boolean | undefined>,
): Promise<{ ok: boolean; message: string; rule: string; by: string }> {
  const body = Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined));
  let response: Response;
  try {
    response = await fetch(`${credential.dashboard}/api/actions/${encodeURIComponent(action)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${credential.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (error) {
    throw new UserError(`the dashboard at ${credential.dashboard} did not answer: ${(error as Error).message}`);
  }
  const answer = (await response.json().catch(() => ({}))) as {
    ok?: boolean;
    message?: string;
    rule?: string;
    by?: string;
    error?: string;
  };
  if (!response.ok) throw new DashboardRefused(answer.error ?? `the dashboard answered HTTP ${response.status}`);
  return { ok: answer.ok !== false, message: answer.message ?? '', rule: answer.rule ?? '', by: answer.by ?? '' };
}
