// Whom Heroku lets deploy to an app (domain/deployer.ts), one row per branch.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mayDeploy, type AppCollaborators, type HerokuCollaborator } from '../../domain/deployer';

const ana = { id: 'u-ana', email: 'ana@acme.com' };
const as = (role: string | null, permissions: string[] = []): HerokuCollaborator => ({
  userId: ana.id,
  email: ana.email,
  role,
  permissions,
});
const personal = (app: string, ...collaborators: HerokuCollaborator[]): AppCollaborators => ({
  app,
  team: null,
  collaborators,
});
const teamApp = (app: string, ...collaborators: HerokuCollaborator[]): AppCollaborators => ({
  app,
  team: 'acme',
  collaborators,
});
const someoneElse: HerokuCollaborator = { userId: 'u-bo', email: 'ana@acme.com', role: 'owner', permissions: [] };

describe('mayDeploy', () => {
  const rows: [string, AppCollaborators[], string][] = [
    ['the owner of a personal app', [personal('api-st01', as('owner'))], 'yes: ana@acme.com is owner on api-st01'],
    [
      'a collaborator on a personal app',
      [personal('api-st01', as('collaborator'))],
      'yes: ana@acme.com is collaborator on api-st01',
    ],
    [
      'not a collaborator on a personal app',
      [personal('api-st01', someoneElse)],
      'no: ana@acme.com is not a collaborator on api-st01',
    ],
    [
      'matched by account id, never by email',
      [teamApp('api-eu01', someoneElse)],
      'no: ana@acme.com is not a collaborator on team app api-eu01',
    ],
    [
      'a team admin',
      [teamApp('api-eu01', as('admin', ['view', 'deploy', 'operate', 'manage']))],
      'yes: ana@acme.com is an admin of team acme (api-eu01)',
    ],
    [
      'a team member holding deploy',
      [teamApp('api-eu01', as('member', ['view', 'deploy']))],
      'yes: ana@acme.com holds deploy on team app api-eu01',
    ],
    [
      'a team member with view and operate only',
      [teamApp('api-eu01', as('member', ['view', 'operate']))],
      'no: ana@acme.com holds view, operate on team app api-eu01, not deploy',
    ],
    [
      'a team member with no permission',
      [teamApp('api-eu01', as('member'))],
      'no: ana@acme.com holds no permission on team app api-eu01, not deploy',
    ],
    [
      'several apps: every one must let them deploy',
      [personal('api-st01', as('owner')), teamApp('api-eu01', as('member', ['view']))],
      'no: ana@acme.com holds view on team app api-eu01, not deploy',
    ],
    ['no app named', [], 'no: no app to deploy to was named'],
  ];
  for (const [name, apps, expected] of rows)
    test(name, () => {
      const verdict = mayDeploy(ana, apps);
      assert.equal(`${verdict.deployer ? 'yes' : 'no'}: ${verdict.reason}`, expected);
    });
});
