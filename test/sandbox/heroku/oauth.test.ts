import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import { FAST, herokuClient, herokuFailure, personalToken } from '../support';

/** id.heroku.com's web flow and what a person's token may read, as Heroku's devcenter "OAuth" describes. */
describe("Heroku's OAuth web flow (id.heroku.com)", () => {
  let sandbox: Sandbox;
  let client: { id: string; secret: string };
  const callback = 'http://127.0.0.1:9/auth/heroku/callback';

  before(async () => {
    sandbox = await startSandbox(FAST);
    await sandbox.scenario.createService({ name: 'oauth', repo: 'acme/oauth', stages: ['oauth-qa01', 'oauth-st01'] });
    sandbox.scenario.addPerson('ana@acme.com', 'Ana');
    client = sandbox.scenario.registerOAuthClient('conveyor', callback);
  });
  after(async () => sandbox?.stop());

  const authorize = (params: Record<string, string>) =>
    fetch(`${sandbox.identityUrl}/oauth/authorize`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ client_id: client.id, response_type: 'code', scope: 'identity', ...params }),
    });
  const exchange = (params: Record<string, string>) =>
    fetch(`${sandbox.identityUrl}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', ...params }),
    });

  test('the authorize page names the client and the scope it asks for', async () => {
    const response = await fetch(
      `${sandbox.identityUrl}/oauth/authorize?client_id=${client.id}&response_type=code&scope=identity&state=xyz`,
    );
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(
      html,
      /<strong>conveyor<\/strong> would like to access your account with the scope <code>identity<\/code>/,
    );
    assert.match(html, /name="state" value="xyz"/);
  });

  test('an unknown client is refused before anyone signs in', async () => {
    const response = await fetch(`${sandbox.identityUrl}/oauth/authorize?client_id=nope&response_type=code`);
    assert.equal(response.status, 400);
    assert.match(await response.text(), /Unknown OAuth client/);
  });

  test('allowing sends the browser to the registered callback with a code and the same state', async () => {
    const response = await authorize({ state: 'xyz', email: 'ana@acme.com', password: 'any' });
    assert.equal(response.status, 302);
    const back = new URL(response.headers.get('location')!);
    assert.equal(`${back.origin}${back.pathname}`, callback);
    assert.equal(back.searchParams.get('state'), 'xyz');
    assert.ok(back.searchParams.get('code'));
  });

  test('an unknown email is not signed in', async () => {
    const response = await authorize({ state: 'xyz', email: 'nobody@acme.com', password: 'any' });
    assert.equal(response.status, 401);
    assert.match(await response.text(), /There was a problem with your login/);
  });

  test('the code is exchanged once, with the client secret, for a Bearer token naming the user', async () => {
    const code = new URL(
      (await authorize({ state: 's', email: 'ana@acme.com', password: 'x' })).headers.get('location')!,
    ).searchParams.get('code')!;
    assert.equal((await exchange({ code, client_secret: 'wrong' })).status, 401);
    const first = await exchange({ code, client_secret: client.secret });
    assert.equal(first.status, 200);
    const body = (await first.json()) as Record<string, unknown>;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 28800);
    assert.match(String(body.access_token), /^HRKU-/);
    assert.ok(body.refresh_token && body.user_id && body.session_nonce);
    const again = await exchange({ code, client_secret: client.secret });
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');
  });

  test('scope identity reads the account and nothing else', async () => {
    const heroku = herokuClient(sandbox, 'bearer', await personalToken(sandbox, 'ana@acme.com'));
    assert.equal(((await heroku.get('/account')) as { email: string }).email, 'ana@acme.com');
    const refused = await herokuFailure(heroku.get('/apps/oauth-qa01'));
    assert.equal(refused.statusCode, 403);
    assert.equal((refused.body as { id: string }).id, 'forbidden');
  });

  test("a team app's collaborators come with permissions; a personal app has none on the team endpoint", async () => {
    const heroku = herokuClient(sandbox);
    sandbox.scenario.moveAppToTeam('oauth-st01', 'acme');
    sandbox.scenario.addCollaborator('oauth-st01', 'ana@acme.com', { permissions: ['view', 'deploy'] });
    const team = (await heroku.get('/teams/apps/oauth-st01/collaborators')) as {
      user: { email: string };
      role: string;
      permissions: { name: string }[];
    }[];
    assert.deepEqual(
      team.map((c) => [c.user.email, c.role, c.permissions.map((p) => p.name)]),
      [['ana@acme.com', 'member', ['view', 'deploy']]],
    );
    assert.equal(((await heroku.get('/apps/oauth-st01')) as { team: { name: string } }).team.name, 'acme');
    assert.equal((await herokuFailure(heroku.get('/teams/apps/oauth-qa01/collaborators'))).statusCode, 404);
  });
});
