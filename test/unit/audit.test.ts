// What the audit makes of a request in the history (domain/audit.ts): who, how sure, what, what followed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRequest, freezeFollowed, whatFollowed, whoSent } from '../../domain/audit';
import { newSigningKey, sign, type Claim } from '../../domain/attestation';
import type { PromotionRecord } from '../../domain/promotion';

const key = newSigningKey();
const claim = (overrides: Partial<Claim> = {}): Claim => ({
  v: 1,
  service: 'api',
  action: 'pause',
  identity: { provider: 'oidc', issuer: 'https://id.acme.com', subject: 'u-1', email: 'ana@acme.com', groups: [] },
  rule: 'access.operate: ana@acme.com',
  at: '2020-01-01T00:00:00.000Z',
  ...overrides,
});

describe('whoSent', () => {
  const rows: [string, unknown, string, Record<string, unknown>][] = [
    [
      'a signed request from a provider sign-in: verified, with issuer, subject and rule (at any age)',
      { by: 'typed', attestation: sign(claim(), key.secretKey) },
      'pause',
      {
        by: 'ana@acme.com',
        assurance: 'verified',
        provider: 'oidc',
        issuer: 'https://id.acme.com',
        subject: 'u-1',
        rule: 'access.operate: ana@acme.com',
      },
    ],
    [
      'a signed shared-token request: unverified',
      {
        attestation: sign(
          claim({ identity: { provider: 'shared-token', issuer: 'conveyor-dashboard', subject: 'cy', groups: [] } }),
          key.secretKey,
        ),
      },
      'pause',
      { by: 'cy', assurance: 'unverified', provider: 'shared-token', rule: 'access.operate: ana@acme.com' },
    ],
    [
      'no signature: administrator, under the typed name',
      { by: 'ops-bot' },
      'pause',
      { by: 'ops-bot', assurance: 'administrator' },
    ],
    ['nothing at all', undefined, 'resume', { by: 'unknown', assurance: 'administrator' }],
    [
      'a signature for another action does not lend its identity',
      { by: 'ops-bot', attestation: sign(claim(), key.secretKey) },
      'resume',
      { by: 'ops-bot (signature did not check: signed for another action)', assurance: 'administrator' },
    ],
    [
      'a signature by an unknown key',
      { by: 'ops-bot', attestation: sign(claim(), newSigningKey().secretKey) },
      'pause',
      { by: 'ops-bot (signature did not check: does not match any of access.signingKeys)', assurance: 'administrator' },
    ],
    [
      'a freeze is signed for no one service: verified in every service it stops',
      {
        by: 'typed',
        attestation: sign(
          claim({ service: '', action: 'freeze', rule: 'access.operate of every service' }),
          key.secretKey,
        ),
      },
      'freeze',
      {
        by: 'ana@acme.com',
        assurance: 'verified',
        provider: 'oidc',
        issuer: 'https://id.acme.com',
        subject: 'u-1',
        rule: 'access.operate of every service',
      },
    ],
    [
      "a pause signed for no service does not lend its identity to this service's pause",
      { by: 'ops-bot', attestation: sign(claim({ service: '' }), key.secretKey) },
      'pause',
      { by: 'ops-bot (signature did not check: signed for another action)', assurance: 'administrator' },
    ],
  ];
  for (const [name, input, action, expected] of rows)
    test(name, () => assert.deepEqual(whoSent(action, input, 'api', [key.publicKey]), expected));
});

describe('freezeFollowed', () => {
  const rows: [string, string, boolean, string][] = [
    ['a freeze holds the service', 'freeze', false, 'every pipeline froze: this one holds its promotions'],
    ['a service that ignores freezes goes on', 'freeze', true, 'every pipeline froze except this one (ignoreFreeze)'],
    ['an unfreeze', 'unfreeze', false, 'the freeze ended: promotions go again'],
  ];
  for (const [name, action, ignores, expected] of rows)
    test(name, () => assert.equal(freezeFollowed(action, ignores), expected));
});

describe('describeRequest', () => {
  test('stage, commit, gates skipped, reason and comment, in that order', () => {
    assert.equal(
      describeRequest('promote', { to: 'eu01', commit: 'abcdef1234', skipGates: true, reason: 'hotfix' }),
      'into eu01; commit abcdef1; skipping every gate; reason: hotfix',
    );
    assert.equal(describeRequest('approve', { stage: 'eu01', comment: 'ok' }), 'into eu01; comment: ok');
    assert.equal(describeRequest('reconfigure', {}), 'a new configuration');
  });

  test('a resume of one app names the app it lifts the hold of', () =>
    assert.equal(describeRequest('resume', { stage: 'api-va02', by: 'ana' }), 'of api-va02'));

  test('a pause of one app names the app it holds', () =>
    assert.equal(describeRequest('pause', { stage: 'api-va02', reason: 'canary' }), 'of api-va02; reason: canary'));

  test('a promotion into several apps of a wave names them all', () =>
    assert.equal(
      describeRequest('promote', { to: ['api-va01', 'api-va02'], reason: 'hotfix' }),
      'into api-va01, api-va02; reason: hotfix',
    ));
});

describe('whatFollowed', () => {
  const record = (over: Partial<PromotionRecord>): PromotionRecord => ({
    from: 'st01',
    to: 'eu01',
    commit: 'abcdef1234',
    sourceVersion: 3,
    artifactId: 's',
    startedAt: '2026-11-20T10:00:05.000Z',
    outcome: 'succeeded',
    finishedAt: '2026-11-20T10:01:00.000Z',
    ...over,
  });
  const at = '2026-11-20T10:00:00.000Z';
  test('the first promotion into the stage after the approval', () => {
    assert.equal(
      whatFollowed('approve', { stage: 'eu01' }, at, [record({})]),
      'promotion abcdef1 st01 -> eu01 succeeded at 2026-11-20T10:01:00.000Z',
    );
  });
  test('none yet', () => {
    assert.equal(
      whatFollowed('approve', { stage: 'eu01' }, at, [record({ startedAt: '2026-11-20T09:00:00.000Z' })]),
      'no promotion into eu01 since',
    );
  });
  test('only of the commit named', () => {
    assert.equal(
      whatFollowed('promote', { to: 'eu01', commit: 'fff0000' }, at, [record({})]),
      'no promotion into eu01 since',
    );
  });
  test('nothing for actions that start no promotion', () => {
    assert.equal(whatFollowed('pause', {}, at, [record({})]), undefined);
  });
});
