import * as oidc from 'openid-client';

/** Why a sign-in failed, in words for the page (never a token). */
export class SignInFailed extends Error {}

/** What every sign-in attempt keeps until the browser comes back: where to return, and where it was sent from. */
export interface Attempt {
  state: string;
  next: string;
  redirectUri: string;
}

const ATTEMPT_MS = 10 * 60_000;
const ATTEMPT_LIMIT = 1_000;

/**
 * Sign-ins under way, by an id kept in a short-lived cookie: each lasts ten minutes, is taken once,
 * and the oldest goes first when too many are open (a flood of starts cannot grow memory).
 */
export class SignInAttempts<T extends Attempt> {
  private readonly open = new Map<string, T & { expiresAt: number }>();

  /** Keeps `attempt` and answers its id. */
  start(attempt: T, now: number): string {
    for (const [id, kept] of this.open) if (kept.expiresAt <= now) this.open.delete(id);
    if (this.open.size >= ATTEMPT_LIMIT) this.open.delete(this.open.keys().next().value!);
    const id = oidc.randomState();
    this.open.set(id, { ...attempt, expiresAt: now + ATTEMPT_MS });
    return id;
  }

  /**
   * The attempt the browser came back for, taken (never twice), or SignInFailed: unknown, expired,
   * or refused by `provider` (its `error` in the callback).
   */
  take(id: string | undefined, callbackUrl: URL, provider: string, now: number): T {
    const kept = id ? this.open.get(id) : undefined;
    if (!id || !kept || kept.expiresAt <= now)
      throw new SignInFailed('this sign-in was not started here or took too long: sign in again');
    this.open.delete(id);
    const error = callbackUrl.searchParams.get('error');
    if (error)
      throw new SignInFailed(`${provider} refused: ${callbackUrl.searchParams.get('error_description') ?? error}`);
    return kept;
  }
}
