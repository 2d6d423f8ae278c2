// `conveyor dashboard`: serves the dashboard until Ctrl-C, with this environment's settings.
import { connectClient, type TemporalTarget } from '../client/connection';
import { UsageError, UserError } from '../client/errors';
import { apiClients, apiEndpoints } from '../activities/api-clients';
import { budgetSettings } from '../config/budget-settings';
import { startDashboard, type Dashboard } from './server';
import { publicKeyOf } from '../domain/attestation';
import type { OidcSettings } from './oidc';

/**
 * How people sign in, from the environment: an OpenID Connect provider (CONVEYOR_OIDC_ISSUER,
 * CONVEYOR_OIDC_CLIENT_ID, CONVEYOR_OIDC_CLIENT_SECRET), else the shared token. A provider needs the
 * signing key too, or its verified identities could not be told apart from typed names.
 */
export function signInFromEnv(env: NodeJS.ProcessEnv): { oidc?: OidcSettings; signingKey?: string } {
  const signingKey = env.CONVEYOR_SIGNING_KEY || undefined;
  if (signingKey && !publicKeyOf(signingKey))
    throw new UsageError(
      'CONVEYOR_SIGNING_KEY: not an Ed25519 secret key (32 bytes in base64; conveyor signing-key makes one)',
    );
  const issuer = env.CONVEYOR_OIDC_ISSUER || undefined;
  if (!issuer) return signingKey ? { signingKey } : {};
  if (!URL.canParse(issuer)) throw new UsageError(`CONVEYOR_OIDC_ISSUER: "${issuer}" is not a URL`);
  const clientId = env.CONVEYOR_OIDC_CLIENT_ID;
  if (!clientId) throw new UsageError('CONVEYOR_OIDC_CLIENT_ID: required with CONVEYOR_OIDC_ISSUER');
  if (!signingKey)
    throw new UsageError(
      'CONVEYOR_SIGNING_KEY: required with CONVEYOR_OIDC_ISSUER (conveyor signing-key makes one; its public key goes in the services file under access.signingKeys)',
    );
  return {
    oidc: {
      issuer,
      clientId,
      ...(env.CONVEYOR_OIDC_CLIENT_SECRET ? { clientSecret: env.CONVEYOR_OIDC_CLIENT_SECRET } : {}),
      ...(env.CONVEYOR_OIDC_SCOPE ? { scope: env.CONVEYOR_OIDC_SCOPE } : {}),
    },
    signingKey,
  };
}

export interface DashboardCommandOptions {
  host?: string;
  port?: string;
  temporalUi?: string;
}

export const DEFAULT_DASHBOARD_PORT = 8234;

/** The port from the command line, or a clear one-line error naming it. */
export function parsePort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_DASHBOARD_PORT;
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port: "${text}" is not a port number (0 to 65535)`);
  return port;
}

/** Starts the dashboard from the environment: CONVEYOR_DASHBOARD_TOKEN, GITHUB_TOKEN and GITHUB_API_URL, TEMPORAL_UI_URL. */
export async function openDashboard(
  target: TemporalTarget & { taskQueue: string },
  options: DashboardCommandOptions = {},
  env = process.env,
): Promise<Dashboard> {
  const port = parsePort(options.port);
  const signIn = signInFromEnv(env);
  const client = await connectClient(target);
  const github = env.GITHUB_TOKEN ? apiClients(apiEndpoints(env), { budgets: budgetSettings(env) }).github : null;
  try {
    return await startDashboard({
      client,
      taskQueue: target.taskQueue,
      token: env.CONVEYOR_DASHBOARD_TOKEN || undefined,
      ...signIn,
      trustProxy: env.CONVEYOR_TRUST_PROXY === '1' || env.CONVEYOR_TRUST_PROXY === 'true',
      ...(env.CONVEYOR_DASHBOARD_URL ? { publicUrl: env.CONVEYOR_DASHBOARD_URL } : {}),
      host: options.host ?? env.CONVEYOR_DASHBOARD_HOST ?? '127.0.0.1',
      port,
      github,
      temporalUiUrl:
        options.temporalUi ??
        env.TEMPORAL_UI_URL ??
        (target.address.startsWith('127.0.0.1:7233') || target.address.startsWith('localhost:7233')
          ? 'http://127.0.0.1:8233'
          : undefined),
    });
  } catch (error) {
    await client.connection.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new UserError(`port ${port} on ${options.host ?? '127.0.0.1'} is taken (choose another with --port)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new UsageError(`--host: cannot bind to "${options.host}" on this machine`);
    throw error;
  }
}

export async function runDashboard(
  target: TemporalTarget & { taskQueue: string },
  options: DashboardCommandOptions = {},
): Promise<void> {
  const dashboard = await openDashboard(target, options);
  const env = process.env;
  console.log(
    `conveyor dashboard at ${dashboard.url}/${env.CONVEYOR_OIDC_ISSUER ? ` (actions: sign in through ${env.CONVEYOR_OIDC_ISSUER})` : env.CONVEYOR_DASHBOARD_TOKEN ? ' (actions: sign in with CONVEYOR_DASHBOARD_TOKEN, unverified)' : ' (read-only: no identity provider, no CONVEYOR_DASHBOARD_TOKEN)'}`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dashboard.stop();
  process.exit(0);
}
