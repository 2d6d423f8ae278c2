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
  const refusals: [string, NodeJS.ProcessEnv, RegExp][] = [
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
