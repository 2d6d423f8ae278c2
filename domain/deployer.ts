/**
 * Whom Heroku lets deploy to an app, from what Heroku says about it: on a personal app its owner
 * and every collaborator (Heroku gives them full access); on a team app an admin, or a member or
 * collaborator holding the `deploy` permission. The person is matched by Heroku account id, the
 * one thing a sign-in through Heroku proves.
 */
export interface HerokuCollaborator {
  userId: string;
  email: string;
  /** owner, collaborator, admin, member, or none. */
  role: string | null;
  /** Team app permissions (view, deploy, operate, manage); none on a personal app. */
  permissions: string[];
}

export interface AppCollaborators {
  app: string;
  /** The team that owns the app; null for a personal app. */
  team: string | null;
  collaborators: HerokuCollaborator[];
}

export interface HerokuAccount {
  id: string;
  email?: string;
}

/** Yes or no, with the reason in words (naming the app that decided). */
export interface DeployVerdict {
  deployer: boolean;
  reason: string;
}

function onApp(account: HerokuAccount, app: AppCollaborators): DeployVerdict {
  const who = account.email ?? account.id;
  const found = app.collaborators.find((c) => c.userId === account.id);
  if (!found)
    return { deployer: false, reason: `${who} is not a collaborator on ${app.team ? `team app ` : ''}${app.app}` };
  if (!app.team) return { deployer: true, reason: `${who} is ${found.role ?? 'a collaborator'} on ${app.app}` };
  if (found.role === 'admin') return { deployer: true, reason: `${who} is an admin of team ${app.team} (${app.app})` };
  if (found.permissions.includes('deploy'))
    return { deployer: true, reason: `${who} holds deploy on team app ${app.app}` };
  return {
    deployer: false,
    reason: `${who} holds ${found.permissions.length ? found.permissions.join(', ') : 'no permission'} on team app ${app.app}, not deploy`,
  };
}

/** May deploy to every one of `apps` (an action that can release to several needs each). */
export function mayDeploy(account: HerokuAccount, apps: readonly AppCollaborators[]): DeployVerdict {
  if (!apps.length) return { deployer: false, reason: 'no app to deploy to was named' };
  const verdicts = apps.map((app) => onApp(account, app));
  const refused = verdicts.find((v) => !v.deployer);
  if (refused) return refused;
  return { deployer: true, reason: verdicts.map((v) => v.reason).join('; ') };
}
