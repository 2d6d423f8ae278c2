// The services file's access section (config/access-schema.ts, config/schema.ts): roles, keys, and
// the rule that named approvers need a key to check approvals against.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { servicesFile, toService, describeIssues } from '../../config/schema';
import { newSigningKey } from '../../domain/attestation';

const KEY = newSigningKey().publicKey;
const OTHER = newSigningKey().publicKey;
const service = (extra: Record<string, unknown> = {}) => ({
  name: 'api',
  pipeline: 'api',
  stages: ['api-qa01', 'api-eu01'],
  repo: 'acme/api',
  ...extra,
});
const problems = (file: unknown) => {
  const parsed = servicesFile.safeParse(file);
  return parsed.success ? [] : describeIssues(parsed.error);
};
const gated = { stageChecks: { 'api-eu01': { approval: { approvers: ['ana@acme.com'] } } } };

describe('access in the services file', () => {
  test('named approvers with no signing key anywhere are refused: no approval could open the gate', () => {
    assert.deepEqual(problems({ services: [service(gated)] }), [
      "services[0].stageChecks.api-eu01.approval.approvers: names people, but no access.signingKeys is set (global or this service's): only an approval a dashboard signed opens such a gate, so none could; add the dashboard's public key (conveyor signing-key)",
    ]);
  });

  test('a global key or the service own key is enough; approvers that are "*" or none need none', () => {
    assert.deepEqual(problems({ global: { access: { signingKeys: [KEY] } }, services: [service(gated)] }), []);
    assert.deepEqual(problems({ services: [service({ ...gated, access: { signingKeys: [KEY] } })] }), []);
    assert.deepEqual(
      problems({ services: [service({ stageChecks: { 'api-eu01': { approval: { approvers: ['*'] } } } })] }),
      [],
    );
  });

  test('a key that is not an Ed25519 public key, and a member written wrong, are named', () => {
    assert.deepEqual(
      problems({ services: [service({ access: { signingKeys: ['abc'], operate: ['group:', 'heroku:admins'] } })] }),
      [
        'services[0].access.operate[0]: "group:" must name a group',
        'services[0].access.operate[1]: the only Heroku member is "heroku:deployers"',
        'services[0].access.signingKeys[0]: must be an Ed25519 public key: 32 bytes in base64 (conveyor signing-key)',
      ],
    );
  });

  test("a service's roles replace the global ones role by role; its keys add to the global keys", () => {
    const file = servicesFile.parse({
      global: { access: { signingKeys: [KEY], view: ['group:eng'], operate: ['group:sre'] } },
      services: [service({ access: { operate: ['ana@acme.com'], signingKeys: [OTHER] } })],
    });
    assert.deepEqual(toService(file.services[0], file.global).access, {
      view: ['group:eng'],
      operate: ['ana@acme.com'],
      signingKeys: [KEY, OTHER],
    });
  });

  test('no access anywhere: the service carries none', () => {
    const file = servicesFile.parse({ services: [service()] });
    assert.equal(toService(file.services[0], file.global).access, undefined);
  });
});
