/**
 * Who acts, and how sure conveyor is of it. A verified identity comes from an identity provider
 * (OpenID Connect or Heroku) by way of the dashboard; the shared token only says "someone who
 * knows the token", so the name typed with it is unverified.
 */
export type Provider = 'oidc' | 'heroku' | 'shared-token';

export interface Identity {
  provider: Provider;
  /** The provider's issuer URL ("conveyor-dashboard" for the shared token). */
  issuer: string;
  /** The provider's stable id of the person (for the shared token: the name typed). */
  subject: string;
  /** As the provider sent it; absent when it sent none. */
  email?: string;
  /** Group names, when the provider sends them. */
  groups: string[];
}

export const SHARED_TOKEN_ISSUER = 'conveyor-dashboard';

/** Only a provider's sign-in verifies who someone is. */
export const isVerified = (identity: Identity): boolean => identity.provider !== 'shared-token';

/** The name shown and recorded as `by`: the email when there is one, else the subject. */
export const displayName = (identity: Identity): string => identity.email ?? identity.subject;

/** "ana@acme.com (oidc)" or "ana (unverified: shared token)". */
export function describeIdentity(identity: Identity): string {
  if (!isVerified(identity)) return `${displayName(identity)} (unverified: shared token)`;
  return `${displayName(identity)} (${identity.provider === 'heroku' ? 'Heroku' : identity.issuer})`;
}
