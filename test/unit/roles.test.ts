// Who may do what: the role rules (domain/role.ts), one row per branch.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Identity } from '../../domain/identity';
import { mayApprove, mayOperate, mayOperateFleet, mayView, matchingMember, type Grant } from '../../domain/role';

const ana: Identity = {
  provider: 'oidc',
  issuer: 'https://id.acme.com',
  subject: 'u-1',
  email: 'ana@acme.com',
  groups: ['sre'],
};
const bo: Identity = {
  provider: 'oidc',
  issuer: 'https://id.acme.com',
  subject: 'u-2',
  email: 'bo@acme.com',
  groups: [],
};
const typedAna: Identity = {
  provider: 'shared-token',
  issuer: 'conveyor-dashboard',
  subject: 'ana@acme.com',
  groups: [],
};
const herokuAna: Identity = {
  provider: 'heroku',
  issuer: 'https://id.heroku.com',
  subject: 'h-1',
  email: 'ana@acme.com',
  groups: [],
};

const short = (grant: Grant) => (grant.allowed ? `yes: ${grant.rule}` : `no: ${grant.rule}: ${grant.reason}`);

describe('matchingMember', () => {
  const rows: [string, Identity, string[], boolean | undefined, string | undefined][] = [
    ['an email, whatever its case', ana, ['ANA@acme.com'], undefined, 'ANA@acme.com'],
    ['a group the provider sent', ana, ['group:sre'], undefined, 'group:sre'],
    ['a group it did not send', bo, ['group:sre'], undefined, undefined],
    ['everyone', typedAna, ['*'], undefined, '*'],
    ['a typed name never matches an email', typedAna, ['ana@acme.com'], undefined, undefined],
    ['Heroku deployers, when Heroku says so', herokuAna, ['heroku:deployers'], true, 'heroku:deployers'],
    ['Heroku deployers, when Heroku says no', herokuAna, ['heroku:deployers'], false, undefined],
    ['Heroku deployers never match an OIDC sign-in', ana, ['heroku:deployers'], true, undefined],
  ];
  for (const [name, identity, members, herokuDeployer, expected] of rows)
    test(name, () => assert.equal(matchingMember(identity, members, { herokuDeployer }), expected));
  test('nobody signed in matches nothing, not even everyone', () =>
    assert.equal(matchingMember(undefined, ['*']), undefined));
});

describe('role rules', () => {
  const rows: [string, () => Grant, string][] = [
    [
      'view: open to all when not set',
      () => mayView(undefined, undefined),
      'yes: access.view: not set, everyone may view',
    ],
    ['view: a listed group', () => mayView(ana, { view: ['group:sre'] }), 'yes: access.view: group:sre'],
    [
      'view: not listed',
      () => mayView(bo, { view: ['group:sre'] }),
      'no: access.view (group:sre): bo@acme.com may not view this service: not in access.view (group:sre)',
    ],
    [
      'view: listed but not signed in',
      () => mayView(undefined, { view: ['*'] }),
      'no: access.view: sign in to view this service',
    ],
    [
      'operate: anyone signed in when not set',
      () => mayOperate(typedAna, undefined, 'pause'),
      'yes: access.operate: not set, everyone signed in may operate',
    ],
    [
      'operate: not signed in',
      () => mayOperate(undefined, undefined, 'pause'),
      'no: access.operate: sign in to pause this service',
    ],
    [
      'operate: a listed email',
      () => mayOperate(ana, { operate: ['ana@acme.com'] }, 'resume'),
      'yes: access.operate: ana@acme.com',
    ],
    [
      'operate: a typed name against named operators',
      () => mayOperate(typedAna, { operate: ['ana@acme.com'] }, 'pause'),
      "no: access.operate (ana@acme.com): ana@acme.com signed in with the shared token, which verifies nobody; access.operate names people (ana@acme.com), so only a provider's sign-in can pause this service",
    ],
    [
      "operate: Heroku sign-in defaults to the app's deployers",
      () => mayOperate(herokuAna, undefined, 'promote', { herokuDeployer: true }),
      'yes: access.operate (default after a Heroku sign-in): heroku:deployers',
    ],
    [
      'operate: Heroku sign-in of someone Heroku does not let deploy',
      () => mayOperate(herokuAna, undefined, 'promote', { herokuDeployer: false }),
      'no: access.operate (default after a Heroku sign-in) (heroku:deployers): ana@acme.com may not promote this service: Heroku does not let them deploy to the app, and access.operate (default after a Heroku sign-in) lists nobody else who matches (heroku:deployers)',
    ],
    [
      'operate: Heroku says why not, naming the app',
      () =>
        mayOperate(herokuAna, undefined, 'pause', {
          herokuDeployer: false,
          herokuReason: 'ana@acme.com holds view on team app api-eu01, not deploy',
        }),
      'no: access.operate (default after a Heroku sign-in) (heroku:deployers): ana@acme.com may not pause this service: Heroku does not let them deploy to the app (ana@acme.com holds view on team app api-eu01, not deploy), and access.operate (default after a Heroku sign-in) lists nobody else who matches (heroku:deployers)',
    ],
    [
      'operate: Heroku could not be asked',
      () => mayOperate(herokuAna, undefined, 'pause', { herokuReason: 'Heroku could not be asked: HTTP 503' }),
      'no: access.operate (default after a Heroku sign-in) (heroku:deployers): ana@acme.com may not pause this service: Heroku could not be asked: HTTP 503, and access.operate (default after a Heroku sign-in) lists nobody else who matches (heroku:deployers)',
    ],
    [
      'approve: empty approvers take anyone signed in',
      () => mayApprove(typedAna, 'eu01', []),
      'yes: stageChecks.eu01.approval.approvers: empty, anyone signed in may approve',
    ],
    [
      'approve: empty approvers, not signed in',
      () => mayApprove(undefined, 'eu01', []),
      'no: stageChecks.eu01.approval.approvers: sign in to approve into eu01',
    ],
    [
      'approve: a listed approver',
      () => mayApprove(ana, 'eu01', ['ana@acme.com']),
      'yes: stageChecks.eu01.approval.approvers: ana@acme.com',
    ],
    [
      'approve: another signed-in person',
      () => mayApprove(bo, 'eu01', ['ana@acme.com']),
      'no: stageChecks.eu01.approval.approvers (ana@acme.com): bo@acme.com may not approve into eu01: not in stageChecks.eu01.approval.approvers (ana@acme.com)',
    ],
    [
      'approve: the shared token into named approvers',
      () => mayApprove(typedAna, 'eu01', ['ana@acme.com']),
      "no: stageChecks.eu01.approval.approvers (ana@acme.com): ana@acme.com signed in with the shared token, which verifies nobody; stageChecks.eu01.approval.approvers names people (ana@acme.com), so only a provider's sign-in can approve into eu01",
    ],
  ];
  for (const [name, grant, expected] of rows) test(name, () => assert.equal(short(grant()), expected));

  test('a fleet-wide freeze needs the right to operate every service, and names the one that refused', () => {
    assert.equal(
      short(
        mayOperateFleet(
          bo,
          [
            { service: 'api', access: undefined },
            { service: 'web', access: { operate: ['group:sre'] } },
          ],
          'freeze',
        ),
      ),
      'no: web: access.operate (group:sre): web: bo@acme.com may not freeze this service: not in access.operate (group:sre)',
    );
    assert.equal(
      short(mayOperateFleet(ana, [{ service: 'web', access: { operate: ['group:sre'] } }], 'freeze')),
      'yes: access.operate of every service',
    );
  });
});
