// Who may act: a session opened by an identity provider's sign-in (dashboard/oidc.ts, heroku-oauth.ts)
// or, in the shared-token mode, by the token from the environment (CONVEYOR_DASHBOARD_TOKEN) and a
// typed name, unverified. A session lives in a cookie (HttpOnly, SameSite=Strict); every action
// also carries the session's CSRF token. No token or secret ever reaches a browser.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { displayName, isVerified, SHARED_TOKEN_ISSUER, type Identity } from '../domain/identity';

export interface Session {
  id: string;
  csrf: string;
  /** Who acts, as shown and recorded as `by`: the email, or a typed name marked "(unverified)". */
  name: string;
  identity: Identity;
  expiresAt: number;
  flash?: { kind: 'ok' | 'error'; text: string };
}

export const SESSION_COOKIE = 'conveyor_session';
const SESSION_MS = 12 * 3_600_000;
const SESSION_LIMIT = 1_000;
const NAME = /^[\p{L}\p{N} ._@-]{1,64}$/u;

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export class Access {
  private readonly tokenDigest: Buffer | null;
  private readonly sessions = new Map<string, Session>();

  constructor(token: string | undefined) {
    this.tokenDigest = token ? digest(token) : null;
  }

  /** false: no token configured, the dashboard is read-only for everyone. */
  get enabled(): boolean {
    return this.tokenDigest !== null;
  }

  /** Compares in constant time (digests of equal length), so the answer's timing tells nothing. */
  tokenMatches(candidate: string): boolean {
    return this.tokenDigest !== null && timingSafeEqual(digest(candidate), this.tokenDigest);
  }

  /** A problem with the name in words, or undefined. */
  static nameProblem(name: string): string | undefined {
    if (!name.trim()) return 'say who you are: your name is recorded with every action';
    if (!NAME.test(name.trim())) return 'a name is 1 to 64 letters, digits, spaces or . _ @ -';
    return undefined;
  }

  /** A shared-token session: the typed name, unverified. */
  static typed(name: string): Identity {
    return { provider: 'shared-token', issuer: SHARED_TOKEN_ISSUER, subject: name.trim(), groups: [] };
  }

  open(identity: Identity, now = Date.now()): Session {
    this.sweep(now);
    if (this.sessions.size >= SESSION_LIMIT) this.sessions.delete(this.sessions.keys().next().value!);
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      csrf: randomBytes(32).toString('base64url'),
      name: isVerified(identity) ? displayName(identity) : `${displayName(identity)} (unverified)`,
      identity,
      expiresAt: now + SESSION_MS,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  find(id: string | undefined, now = Date.now()): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= now) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  close(id: string): void {
    this.sessions.delete(id);
  }

  static csrfMatches(session: Session, candidate: unknown): boolean {
    if (typeof candidate !== 'string' || candidate.length !== session.csrf.length) return false;
    return timingSafeEqual(Buffer.from(candidate), Buffer.from(session.csrf));
  }

  private sweep(now: number): void {
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
  }
}

export const SESSION_MAX_AGE_S = SESSION_MS / 1_000;
