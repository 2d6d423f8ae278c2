// How `conveyor dashboard` reads its sign-in settings from the environment (dashboard/main.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signInFromEnv } from '../../dashboard/main';
import { newSigningKey, publicKeyOf } from '../../domain/attestation';
import { UsageError } from '../../client/errors';

const key = newSigningKey();

describe('sign-in settings from the environment', () => {
  test('nothing set: the shared-token mode, no signing', () => {
    assert.deepEqual(signInFromEnv({}), {});
  });
  test('a provider with its client and the signing key', () => {
    assert.deepEqual(
      signInFromEnv({
        CONVEYOR_OIDC_ISSUER: 'https://id.acme.com',
        CONVEYOR_OIDC_CLIENT_ID: 'conveyor',
        CONVEYOR_OIDC_CLIENT_SECRET: 's3cret',
        CONVEYOR_SIGNING_KEY: key.secretKey,
      }),
      {
        oidc: { issuer: 'https://id.acme.com', clientId: 'conveyor', clientSecret: 's3cret' },
        signingKey: key.secretKey,
      },
    );
  });
  test("Heroku's OAuth with its client, the Platform API's URL and the signing key", () => {
    assert.deepEqual(
      signInFromEnv({
        CONVEYOR_HEROKU_OAUTH_ID: 'c-1',
        CONVEYOR_HEROKU_OAUTH_SECRET: 's-1',
        HEROKU_API_URL: 'http://127.0.0.1:5000',
        CONVEYOR_SIGNING_KEY: key.secretKey,
      }),
      {
        herokuOAuth: { clientId: 'c-1', clientSecret: 's-1', apiUrl: 'http://127.0.0.1:5000' },
        signingKey: key.secretKey,
      },
    );
  });
  const refusals: [string, NodeJS.ProcessEnv, RegExp][] = [
    [
      "Heroku's OAuth without its secret",
      { CONVEYOR_HEROKU_OAUTH_ID: 'c-1', CONVEYOR_SIGNING_KEY: key.secretKey },
      /^CONVEYOR_HEROKU_OAUTH_SECRET: required with CONVEYOR_HEROKU_OAUTH_ID/,
    ],
    [
      "Heroku's OAuth without the signing key",
      { CONVEYOR_HEROKU_OAUTH_ID: 'c-1', CONVEYOR_HEROKU_OAUTH_SECRET: 's-1' },
      /^CONVEYOR_SIGNING_KEY: required with CONVEYOR_HEROKU_OAUTH_ID/,
    ],
    [
      'a provider without the signing key',
      { CONVEYOR_OIDC_ISSUER: 'https://id.acme.com', CONVEYOR_OIDC_CLIENT_ID: 'c' },
      /^CONVEYOR_SIGNING_KEY: required with CONVEYOR_OIDC_ISSUER/,
    ],
    [
      'a provider without a client id',
      { CONVEYOR_OIDC_ISSUER: 'https://id.acme.com', CONVEYOR_SIGNING_KEY: key.secretKey },
      /^CONVEYOR_OIDC_CLIENT_ID: required/,
    ],
    [
      'an issuer that is not a URL',
      { CONVEYOR_OIDC_ISSUER: 'id.acme', CONVEYOR_SIGNING_KEY: key.secretKey },
      /^CONVEYOR_OIDC_ISSUER: "id.acme" is not a URL/,
    ],
    [
      'a signing key that is not one',
      { CONVEYOR_SIGNING_KEY: 'abc' },
      /^CONVEYOR_SIGNING_KEY: not an Ed25519 secret key/,
    ],
  ];
  for (const [name, env, expected] of refusals)
    test(`refused: ${name}`, () =>
      assert.throws(
        () => signInFromEnv(env),
        (error: Error) => error instanceof UsageError && expected.test(error.message),
      ));

  test('the key pair conveyor signing-key prints belongs together', () => {
    assert.equal(publicKeyOf(key.secretKey), key.publicKey);
  });
});
