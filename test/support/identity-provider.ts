// A real OpenID Connect provider on 127.0.0.1 for the tests: node-oidc-provider (a certified OP),
// with its development sign-in pages (any password; the login names the account) and accounts that
// carry an email and groups. Discovery, PKCE, signed ID tokens and userinfo are the library's own.
import type { Server } from 'node:http';
import Provider from 'oidc-provider';
import { freePort } from '../../temporal/free-port';

export interface TestAccount {
  email: string;
  groups: string[];
}

export interface IdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  stop(): Promise<void>;
}

/** The issuer's port is chosen first, so a dashboard can be told the issuer before the provider runs. */
export async function reserveIssuer(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

export async function startIdentityProvider(
  issuer: string,
  accounts: Record<string, TestAccount>,
  redirectUris: string[],
): Promise<IdentityProvider> {
  const clientId = 'conveyor-dashboard';
  const clientSecret = 'test-client-secret-5b1e';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'], profile: ['name'] },
    pkce: { required: () => true },
    cookies: { keys: ['conveyor-test-cookie-key'] },
    features: { devInteractions: { enabled: true } },
    findAccount: (_ctx, id) => {
      const account = accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, email: account.email, email_verified: true, groups: account.groups, name: id }),
      };
    },
  });
  const port = Number(new URL(issuer).port);
  const server: Server = await new Promise((resolve, reject) => {
    const s = provider.listen(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  return {
    issuer,
    clientId,
    clientSecret,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
