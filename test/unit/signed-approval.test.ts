// Approvals nobody can forge: the dashboard's signature (domain/attestation.ts) checked by the
// pipeline's approval rule (domain/approval.ts), one row per way it is refused.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readApproval, type ApprovalStage } from '../../domain/approval';
import { newSigningKey, sign, verify, type Claim } from '../../domain/attestation';

const NOW = Date.parse('2026-11-20T10:00:00Z');
const WAITING = 'def5678def5678def5678def5678def5678def5';
const key = newSigningKey();
const otherKey = newSigningKey();
const stages: ApprovalStage[] = [
  { stage: 'eu01', policy: { approvers: ['ana@acme.com', 'group:release'] }, waitingCommit: WAITING },
];
const context = { service: 'api', signingKeys: [key.publicKey] };

const claim = (overrides: Partial<Claim> = {}): Claim => ({
  v: 1,
  service: 'api',
  action: 'approve',
  stage: 'eu01',
  commit: WAITING,
  identity: { provider: 'oidc', issuer: 'https://id.acme.com', subject: 'u-1', email: 'ana@acme.com', groups: [] },
  rule: 'stageChecks.eu01.approval.approvers: ana@acme.com',
  member: 'ana@acme.com',
  at: new Date(NOW - 5_000).toISOString(),
  ...overrides,
});
const read = (attestation: unknown, by = 'ana@acme.com') =>
  readApproval({ stage: 'eu01', by, attestation }, stages, NOW, context);

describe('signed approvals', () => {
  test('a listed approver signed by the dashboard opens the gate, recorded as verified with the rule', () => {
    assert.deepEqual(read(sign(claim(), key.secretKey), 'typed-by-is-ignored'), {
      stage: 'eu01',
      commit: WAITING,
      by: 'ana@acme.com',
      at: '2026-11-20T10:00:00.000Z',
      assurance: 'verified',
      provider: 'oidc',
      rule: 'stageChecks.eu01.approval.approvers: ana@acme.com',
    });
  });

  test('a member of a listed group is an approver too', () => {
    const signed = sign(
      claim({
        identity: { provider: 'oidc', issuer: 'i', subject: 'u-3', email: 'cy@acme.com', groups: ['release'] },
        member: 'group:release',
      }),
      key.secretKey,
    );
    assert.equal(typeof read(signed), 'object');
  });

  const refusals: [string, unknown, RegExp][] = [
    [
      'signed with a key the services file does not name',
      sign(claim(), otherKey.secretKey),
      /signature does not match any of access\.signingKeys/,
    ],
    [
      'a claim changed after signing',
      {
        ...sign(claim(), key.secretKey),
        claim: JSON.stringify(claim({ identity: { ...claim().identity, email: 'bo@acme.com' } })),
      },
      /does not match/,
    ],
    [
      'older than ten minutes (replayed)',
      sign(claim({ at: new Date(NOW - 11 * 60_000).toISOString() }), key.secretKey),
      /too old/,
    ],
    ['for another service', sign(claim({ service: 'web' }), key.secretKey), /not for approving api into eu01/],
    ['for another action', sign(claim({ action: 'pause' }), key.secretKey), /is for pause api/],
    [
      'for another commit',
      sign(claim({ commit: 'abc1234' }), key.secretKey),
      /for commit abc1234, not the one waiting/,
    ],
    [
      'a shared-token session',
      sign(
        claim({
          identity: { provider: 'shared-token', issuer: 'conveyor-dashboard', subject: 'ana@acme.com', groups: [] },
        }),
        key.secretKey,
      ),
      /signed in with the shared token, which verifies nobody/,
    ],
    [
      'someone the rule it names does not match',
      sign(claim({ identity: { ...claim().identity, email: 'bo@acme.com' } }), key.secretKey),
      /bo@acme\.com may not approve into eu01: not in stageChecks\.eu01\.approval\.approvers/,
    ],
    [
      'a member that is not an approver of the stage',
      sign(claim({ member: '*' }), key.secretKey),
      /may not approve into eu01/,
    ],
    ['no signature at all', { claim: JSON.stringify(claim()) }, /is not \{claim, signature\}/],
  ];
  for (const [name, attestation, expected] of refusals)
    test(`refused: ${name}`, () => {
      const answer = read(attestation);
      assert.equal(typeof answer, 'string');
      assert.match(answer as string, expected);
    });

  test('without signing keys in the services file nothing signed can be checked', () => {
    const answer = readApproval({ stage: 'eu01', attestation: sign(claim(), key.secretKey) }, stages, NOW, {
      service: 'api',
      signingKeys: [],
    });
    assert.match(answer as string, /cannot be checked: the services file names no access\.signingKeys/);
  });

  test('the audit reads a past claim at any age; the pipeline does not act on it', () => {
    const old = sign(claim({ at: '2020-01-01T00:00:00.000Z' }), key.secretKey);
    assert.equal(verify(old, [key.publicKey]).ok, true);
    assert.equal(verify(old, [key.publicKey], NOW).ok, false);
  });

  test('a signature made with node:crypto checks with the pure-JS verifier (one format both sides)', async () => {
    const { createPrivateKey, sign: nodeSign } = await import('node:crypto');
    const { fromBase64, toBase64Url, publicKeyOf } = await import('../../domain/attestation');
    const seed = fromBase64(key.secretKey)!;
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)]);
    const text = JSON.stringify(claim());
    const signature = toBase64Url(
      nodeSign(null, Buffer.from(text), createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })),
    );
    assert.equal(publicKeyOf(key.secretKey), key.publicKey);
    assert.equal(typeof read({ claim: text, signature }), 'object');
  });
});
