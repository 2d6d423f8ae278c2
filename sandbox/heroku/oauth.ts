import type { ApiRequest, Reply } from '../http';
import { randomHex } from '../ids';
import { ACCESS_TOKEN_SECONDS, type People } from './people';

/**
 * id.heroku.com's web authorization flow, as Heroku's devcenter article "OAuth" describes it:
 * - GET /oauth/authorize?client_id=…&response_type=code&scope=…&state=… shows the sign-in and
 *   the request to allow the client; allowing sends the browser to the client's registered
 *   callback URL with `code` and the same `state`;
 * - POST /oauth/token (form: grant_type=authorization_code, code, client_secret) answers
 *   {access_token, expires_in, refresh_token, token_type: "Bearer", user_id, session_nonce}.
 * The sandbox signs in any registered person by email (any password). Refresh grants are not served.
 */

export const SCOPES = ['global', 'identity', 'read', 'write', 'read-protected', 'write-protected'];

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (status: number, title: string, body: string): Reply => ({
  status,
  headers: { 'Content-Type': 'text/html; charset=utf-8' },
  text: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)} | Heroku</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`,
});

const oauthError = (status: number, error: string, description: string): Reply => ({
  status,
  body: { error, error_description: description },
});

/** The parameters of a form post (or, for the token endpoint, a JSON body). */
function formOf(call: ApiRequest): URLSearchParams {
  const type = String(call.headers['content-type'] ?? '');
  if (type.includes('application/json')) {
    try {
      const parsed = JSON.parse(call.body) as Record<string, unknown>;
      return new URLSearchParams(Object.entries(parsed).map(([k, v]): [string, string] => [k, String(v)]));
    } catch {
      return new URLSearchParams();
    }
  }
  return new URLSearchParams(call.body);
}

export function herokuIdentityApi(people: People): (call: ApiRequest) => Promise<Reply> {
  /** The authorization request checked; a page naming the problem when it is not one Heroku would take. */
  function request(params: URLSearchParams): { problem: Reply } | { clientId: string; scope: string[]; state: string } {
    const client = people.client(params.get('client_id') ?? '');
    if (!client) return { problem: page(400, 'Unknown OAuth client', '<p>No OAuth client has this client_id.</p>') };
    if (params.get('response_type') !== 'code')
      return { problem: page(400, 'Unsupported response type', '<p>response_type must be "code".</p>') };
    const redirect = params.get('redirect_uri');
    if (redirect && redirect !== client.redirectUri)
      return {
        problem: page(400, 'Redirect URI mismatch', "<p>The redirect_uri is not the client's callback URL.</p>"),
      };
    const scope = (params.get('scope') ?? 'global').split(/[\s,]+/).filter(Boolean);
    const unknown = scope.find((s) => !SCOPES.includes(s));
    if (unknown) return { problem: page(400, 'Invalid scope', `<p>Unknown scope "${escape(unknown)}".</p>`) };
    return { clientId: client.id, scope, state: params.get('state') ?? '' };
  }

  function signInPage(params: URLSearchParams, problem?: string): Reply {
    const checked = request(params);
    if ('problem' in checked) return checked.problem;
    const client = people.client(checked.clientId)!;
    const hidden = ['client_id', 'response_type', 'scope', 'state', 'redirect_uri']
      .filter((name) => params.has(name))
      .map((name) => `<input type="hidden" name="${name}" value="${escape(params.get(name)!)}">`)
      .join('');
    return page(
      problem ? 401 : 200,
      'Log in to your account',
      `${problem ? `<p role="alert">${escape(problem)}</p>` : ''}
<p><strong>${escape(client.name)}</strong> would like to access your account with the scope <code>${escape(checked.scope.join(' '))}</code>.</p>
<form method="post" action="/id/oauth/authorize">${hidden}
<label for="email">Email address</label><input id="email" name="email" type="email" required>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Log in and allow access</button>
</form>`,
    );
  }

  return async (call) => {
    if (call.method === 'GET' && call.path === '/oauth/authorize') return signInPage(call.query);
    if (call.method === 'POST' && call.path === '/oauth/authorize') {
      const form = formOf(call);
      const checked = request(form);
      if ('problem' in checked) return checked.problem;
      const person = people.byEmail(form.get('email') ?? '');
      if (!person || !form.get('password')) return signInPage(form, 'There was a problem with your login.');
      const client = people.client(checked.clientId)!;
      const back = new URL(client.redirectUri);
      back.searchParams.set('code', people.grant(client.id, person.id, checked.scope));
      if (checked.state) back.searchParams.set('state', checked.state);
      return { status: 302, headers: { Location: back.href } };
    }
    if (call.method === 'POST' && call.path === '/oauth/token') {
      const form = formOf(call);
      if (form.get('grant_type') !== 'authorization_code')
        return oauthError(400, 'unsupported_grant_type', 'grant_type must be authorization_code.');
      const client = people.clientBySecret(form.get('client_secret') ?? basicSecret(call) ?? '');
      if (!client) return oauthError(401, 'invalid_client', 'Invalid OAuth client secret.');
      const grant = people.redeem(form.get('code') ?? '', client.id);
      if (!grant) return oauthError(400, 'invalid_grant', 'The grant code is unknown, used or expired.');
      const { token, refreshToken } = people.issue(grant.userId, grant.scope);
      return {
        status: 200,
        headers: { 'Cache-Control': 'no-store' },
        body: {
          access_token: token,
          expires_in: ACCESS_TOKEN_SECONDS,
          refresh_token: refreshToken,
          token_type: 'Bearer',
          user_id: grant.userId,
          session_nonce: randomHex(8),
        },
      };
    }
    return { status: 404, body: { id: 'not_found', message: 'Not found.' } };
  };
}

/** A client secret sent as HTTP Basic's password (client_id:client_secret). */
function basicSecret(call: ApiRequest): string | undefined {
  const [scheme, value = ''] = String(call.headers.authorization ?? '').split(/\s+/, 2);
  if (!/^basic$/i.test(scheme)) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decodeURIComponent(decoded.slice(colon + 1)) : undefined;
}
