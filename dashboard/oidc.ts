// Sign-in through an OpenID Connect provider: authorization code with PKCE, by openid-client (a
// certified relying party; conveyor writes no token checks of its own). The ID token and the access
// token are used once, to learn who signed in, and then dropped: a session keeps only the identity.
import * as oidc from 'openid-client';
import type { Identity } from '../domain/identity';
import { SignInAttempts, SignInFailed, type Attempt } from './sign-in-attempts';

export interface OidcSettings {
  /** The issuer URL (CONVEYOR_OIDC_ISSUER); its /.well-known/openid-configuration is read once. */
  issuer: string;
  clientId: string;
  /** Absent: a public client (PKCE alone). */
  clientSecret?: string;
  /** Default "openid email profile groups"; a provider ignores scopes it does not know. */
  scope?: string;
}

interface Pending extends Attempt {
  verifier: string;
  nonce: string;
}

const LOOPBACK = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/;

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

export class OidcSignIn {
  private configuration: Promise<oidc.Configuration> | undefined;
  private readonly attempts = new SignInAttempts<Pending>();

  constructor(private readonly settings: OidcSettings) {}

  get issuer(): string {
    return this.settings.issuer;
  }

  /** Discovered once; a failed discovery is tried again at the next sign-in. */
  private config(): Promise<oidc.Configuration> {
    this.configuration ??= oidc
      .discovery(
        new URL(this.settings.issuer),
        this.settings.clientId,
        undefined,
        this.settings.clientSecret ? oidc.ClientSecretBasic(this.settings.clientSecret) : oidc.None(),
        // Plain http only for a provider on this machine (tests, a local provider).
        LOOPBACK.test(this.settings.issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        this.configuration = undefined;
        throw new SignInFailed(
          `the identity provider ${this.settings.issuer} could not be read: ${(error as Error).message}`,
        );
      });
    return this.configuration;
  }

  /** Where to send the browser, and the id of this attempt (kept in a short-lived cookie). */
  async start(redirectUri: string, next: string, now = Date.now()): Promise<{ url: string; attempt: string }> {
    const config = await this.config();
    const verifier = oidc.randomPKCECodeVerifier();
    const pending: Pending = { verifier, nonce: oidc.randomNonce(), state: oidc.randomState(), next, redirectUri };
    const attempt = this.attempts.start(pending, now);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.settings.scope ?? 'openid email profile groups',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.href, attempt };
  }

  /** The provider sent the browser back: the code is exchanged and the identity read, or SignInFailed. */
  async finish(
    callbackUrl: URL,
    attempt: string | undefined,
    now = Date.now(),
  ): Promise<{ identity: Identity; next: string }> {
    const pending = this.attempts.take(attempt, callbackUrl, 'the identity provider', now);
    const config = await this.config();
    // The URL the provider redirected to, as registered (a proxy may have rewritten the host).
    const current = new URL(pending.redirectUri);
    current.search = callbackUrl.search;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (failure) {
      throw new SignInFailed(`the sign-in could not be completed: ${(failure as Error).message}`);
    }
    const claims = tokens.claims();
    if (!claims) throw new SignInFailed('the identity provider sent no ID token');
    let profile: Record<string, unknown> = { ...claims };
    if (tokens.access_token && (profile.email === undefined || profile.groups === undefined)) {
      try {
        profile = { ...(await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)), ...profile };
      } catch {
        // The ID token alone still says who signed in; email and groups stay unknown.
      }
    }
    const email = typeof profile.email === 'string' && profile.email_verified !== false ? profile.email : undefined;
    return {
      identity: {
        provider: 'oidc',
        issuer: claims.iss,
        subject: claims.sub,
        ...(email ? { email } : {}),
        groups: strings(profile.groups),
      },
      next: pending.next,
    };
  }
}
