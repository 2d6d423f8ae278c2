// Sign-in through Heroku's own OAuth (the web flow at id.heroku.com, scope `identity`), by
// openid-client as a plain OAuth 2.0 client: Heroku is no OpenID provider, so who signed in is read
// from `GET /account` with the person's token. The token is used for that one call and dropped: a
// session keeps only the identity, and scope `identity` could not do more anyway.
import * as oidc from 'openid-client';
import { herokuClient } from '../activities/api-clients';
import type { Identity } from '../domain/identity';
import { SignInAttempts, SignInFailed } from './sign-in-attempts';

export const HEROKU_ID_URL = 'https://id.heroku.com';

export interface HerokuOAuthSettings {
  /** CONVEYOR_HEROKU_OAUTH_ID: the OAuth client's id (heroku clients:create). */
  clientId: string;
  /** CONVEYOR_HEROKU_OAUTH_SECRET. */
  clientSecret: string;
  /** Where the web flow is (CONVEYOR_HEROKU_ID_URL); default https://id.heroku.com. */
  idUrl?: string;
  /** The Platform API for GET /account (HEROKU_API_URL); default https://api.heroku.com. */
  apiUrl?: string;
}

const LOOPBACK = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/;

export class HerokuSignIn {
  private readonly configuration: oidc.Configuration;
  private readonly attempts = new SignInAttempts();
  private readonly idUrl: string;

  constructor(private readonly settings: HerokuOAuthSettings) {
    this.idUrl = (settings.idUrl ?? HEROKU_ID_URL).replace(/\/$/, '');
    // Heroku publishes no discovery document: its two endpoints, from its OAuth article.
    this.configuration = new oidc.Configuration(
      {
        issuer: this.idUrl,
        authorization_endpoint: `${this.idUrl}/oauth/authorize`,
        token_endpoint: `${this.idUrl}/oauth/token`,
      },
      settings.clientId,
      undefined,
      oidc.ClientSecretPost(settings.clientSecret),
    );
    // Plain http only for an id service on this machine (the sandbox in tests and the demo).
    if (LOOPBACK.test(this.idUrl)) oidc.allowInsecureRequests(this.configuration);
  }

  get issuer(): string {
    return this.idUrl;
  }

  /** Where to send the browser, and the id of this attempt (kept in a short-lived cookie). */
  async start(redirectUri: string, next: string, now = Date.now()): Promise<{ url: string; attempt: string }> {
    const pending = { state: oidc.randomState(), next, redirectUri };
    const attempt = this.attempts.start(pending, now);
    // Heroku documents no PKCE: the state (checked on return) and the client secret guard the code.
    const url = oidc.buildAuthorizationUrl(this.configuration, {
      redirect_uri: redirectUri,
      scope: 'identity',
      state: pending.state,
    });
    return { url: url.href, attempt };
  }

  /** Heroku sent the browser back: the code is exchanged, the account read, or SignInFailed. */
  async finish(
    callbackUrl: URL,
    attempt: string | undefined,
    now = Date.now(),
  ): Promise<{ identity: Identity; next: string }> {
    const pending = this.attempts.take(attempt, callbackUrl, 'Heroku', now);
    const current = new URL(pending.redirectUri);
    current.search = callbackUrl.search;
    let token: string;
    try {
      const tokens = await oidc.authorizationCodeGrant(this.configuration, current, {
        expectedState: pending.state,
        idTokenExpected: false,
      });
      token = tokens.access_token;
    } catch (failure) {
      throw new SignInFailed(`the sign-in could not be completed: ${(failure as Error).message}`);
    }
    let account: { id?: unknown; email?: unknown };
    try {
      account = (await herokuClient(this.settings.apiUrl ?? 'https://api.heroku.com', token).get('/account')) as {
        id?: unknown;
        email?: unknown;
      };
    } catch (failure) {
      throw new SignInFailed(`Heroku did not say who signed in: ${(failure as Error).message}`);
    }
    if (typeof account.id !== 'string') throw new SignInFailed('Heroku did not say who signed in: no account id');
    return {
      identity: {
        provider: 'heroku',
        issuer: this.idUrl,
        subject: account.id,
        ...(typeof account.email === 'string' ? { email: account.email } : {}),
        groups: [],
      },
      next: pending.next,
    };
  }
}
