/** How the two APIs carry a token. */

/** Heroku: `Bearer <token>`, or Basic with the token as password (heroku-client's default, `:<token>`). */
export function herokuToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const [scheme, value = ''] = authorization.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/** GitHub: `token <token>` (octokit's way for a token) or `Bearer <token>`. */
export function githubToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const [scheme, value = ''] = authorization.trim().split(/\s+/, 2);
  return /^(token|bearer)$/i.test(scheme) ? value : undefined;
}
