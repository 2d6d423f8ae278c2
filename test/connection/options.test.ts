import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describeTarget, resolveTemporalTarget } from '../../temporal/connection-config';
import { workerSettings } from '../../worker/settings';

const dir = mkdtempSync(join(tmpdir(), 'conveyor-connection-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const cert = file('client.pem', '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
const key = file('client.key', '-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n');
const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
// No user config file is read: HOME points at an empty folder.
const base = { HOME: dir };

describe('the Temporal connection (envconfig, flags, profile file)', () => {
  test('with nothing set it is the local dev server, in namespace default, without TLS', () => {
    const target = resolveTemporalTarget({}, base);
    assert.deepEqual(
      [target.address, target.namespace, target.tls, target.apiKey],
      ['127.0.0.1:7233', 'default', 'off', false],
    );
    assert.equal(target.connectionOptions().tls, undefined);
  });

  test('TEMPORAL_API_KEY turns TLS on and is sent as the API key', () => {
    const target = resolveTemporalTarget(
      {},
      {
        ...base,
        TEMPORAL_ADDRESS: 'ns.a2b3c.tmprl.cloud:7233',
        TEMPORAL_NAMESPACE: 'ns.a2b3c',
        TEMPORAL_API_KEY: 'k-123',
      },
    );
    assert.deepEqual(
      [target.address, target.namespace, target.tls, target.apiKey],
      ['ns.a2b3c.tmprl.cloud:7233', 'ns.a2b3c', 'tls', true],
    );
    const options = target.connectionOptions();
    assert.equal(options.apiKey, 'k-123');
    assert.equal(options.tls, true);
  });

  test('--api-key turns TLS on too, and TEMPORAL_TLS=false turns it off explicitly (a local proxy)', () => {
    assert.equal(resolveTemporalTarget({ apiKey: 'k' }, base).connectionOptions().tls, true);
    assert.equal(resolveTemporalTarget({ apiKey: 'k' }, { ...base, TEMPORAL_TLS: 'false' }).tls, 'off');
  });

  test('flags win over the environment', () => {
    const target = resolveTemporalTarget(
      { address: 'flag:7233', namespace: 'from-flag' },
      { ...base, TEMPORAL_ADDRESS: 'env:7233', TEMPORAL_NAMESPACE: 'from-env' },
    );
    assert.deepEqual([target.address, target.namespace], ['flag:7233', 'from-flag']);
  });

  test('mTLS flags load the client certificate pair and the CA', () => {
    const target = resolveTemporalTarget(
      {
        address: 'temporal.internal:7233',
        tlsCertPath: cert,
        tlsKeyPath: key,
        tlsCaPath: ca,
        tlsServerName: 'temporal',
      },
      base,
    );
    assert.equal(target.tls, 'mtls');
    const tls = target.connectionOptions().tls as {
      clientCertPair: { crt: Buffer; key: Buffer };
      serverRootCACertificate: Buffer;
      serverNameOverride: string;
    };
    assert.match(tls.clientCertPair.crt.toString(), /client/);
    assert.match(tls.clientCertPair.key.toString(), /secret-key-material/);
    assert.match(tls.serverRootCACertificate.toString(), /ca/);
    assert.equal(tls.serverNameOverride, 'temporal');
  });

  test('the TEMPORAL_TLS_* variables do the same as the flags', () => {
    const target = resolveTemporalTarget(
      {},
      {
        ...base,
        TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: key,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
      },
    );
    assert.equal(target.tls, 'mtls');
  });

  test('a profile of the temporal CLI config file is chosen by --profile or TEMPORAL_PROFILE; the environment overrides it', () => {
    const toml = file(
      'temporal.toml',
      `[profile.default]\naddress = "localhost:7233"\n\n[profile.prod]\naddress = "prod.example:7233"\nnamespace = "prod"\napi_key = "toml-key"\n\n[profile.mtls]\naddress = "mtls.example:7233"\n[profile.mtls.tls]\nclient_cert_path = "${cert}"\nclient_key_path = "${key}"\n`,
    );
    const env = { ...base, TEMPORAL_CONFIG_FILE: toml };
    assert.equal(resolveTemporalTarget({}, env).address, 'localhost:7233');
    const prod = resolveTemporalTarget({ profile: 'prod' }, env);
    assert.deepEqual(
      [prod.address, prod.namespace, prod.tls, prod.connectionOptions().apiKey],
      ['prod.example:7233', 'prod', 'tls', 'toml-key'],
    );
    assert.equal(resolveTemporalTarget({}, { ...env, TEMPORAL_PROFILE: 'mtls' }).tls, 'mtls');
    assert.equal(
      resolveTemporalTarget({ profile: 'prod' }, { ...env, TEMPORAL_NAMESPACE: 'override' }).namespace,
      'override',
    );
  });

  test('an unknown profile, a missing file, half a certificate pair or a bad address is one clear error', () => {
    assert.throws(() => resolveTemporalTarget({ profile: 'staging' }, base), /profile.*'staging' not found/i);
    assert.throws(
      () => resolveTemporalTarget({ tlsCaPath: join(dir, 'missing.pem') }, base),
      /--tls-ca-path .*missing\.pem: no such file/,
    );
    assert.throws(() => resolveTemporalTarget({ tlsCertPath: cert }, base), /client certificate needs its key/);
    assert.throws(
      () => resolveTemporalTarget({}, { ...base, TEMPORAL_ADDRESS: 'https://x' }),
      /'https:\/\/x' is not host:port/,
    );
  });

  test('the API key and key material never show when the settings are printed or logged', () => {
    const settings = workerSettings({
      ...base,
      TEMPORAL_API_KEY: 'super-secret-api-key',
      TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
      HEROKU_API_KEY: 'h',
      GITHUB_TOKEN: 'g',
    });
    for (const text of [
      JSON.stringify(settings),
      inspect(settings, { depth: 10 }),
      describeTarget({
        address: settings.address,
        namespace: settings.namespace,
        tls: settings.tls!,
        apiKey: settings.apiKey!,
      }),
    ]) {
      assert.doesNotMatch(text, /super-secret-api-key|secret-key-material/);
    }
    assert.equal(
      describeTarget({
        address: settings.address,
        namespace: settings.namespace,
        tls: settings.tls!,
        apiKey: settings.apiKey!,
      }),
      '127.0.0.1:7233, namespace default, mTLS, API key',
    );
  });
});
