// Whom Heroku lets deploy to an app, asked at the time of the action with conveyor's own token
// (HEROKU_API_KEY): the person's sign-in token had scope `identity` and is gone. A wider scope on
// the person's token would also answer, but would hand the dashboard write power over every app
// that person can touch; conveyor's token reads only apps conveyor already runs.
import type Heroku from 'heroku-client';
import { mayDeploy, type AppCollaborators, type DeployVerdict, type HerokuAccount } from '../../domain/deployer';

interface CollaboratorJson {
  role?: string | null;
  permissions?: { name?: string }[];
  user?: { id?: string; email?: string };
}

/** The app's team and collaborators: the team endpoint for a team app (it carries permissions). */
export async function readAppCollaborators(heroku: Heroku, app: string): Promise<AppCollaborators> {
  const path = encodeURIComponent(app);
  const info = (await heroku.get(`/apps/${path}`)) as { team?: { name?: string } | null };
  const team = info.team?.name ?? null;
  const list = (await heroku.get(
    team ? `/teams/apps/${path}/collaborators` : `/apps/${path}/collaborators`,
  )) as CollaboratorJson[];
  return {
    app,
    team,
    collaborators: list.map((c) => ({
      userId: c.user?.id ?? '',
      email: c.user?.email ?? '',
      role: c.role ?? null,
      permissions: (c.permissions ?? []).flatMap((p) => (p.name ? [p.name] : [])),
    })),
  };
}

/** Heroku's verdict for these apps, or why Heroku could not be asked (then nobody is a deployer). */
export async function herokuDeployer(
  heroku: Heroku,
  account: HerokuAccount,
  apps: readonly string[],
): Promise<DeployVerdict> {
  try {
    return mayDeploy(account, await Promise.all([...new Set(apps)].map((app) => readAppCollaborators(heroku, app))));
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    return {
      deployer: false,
      reason: `Heroku could not be asked who may deploy to ${apps.join(', ')}: ${status ? `HTTP ${status}` : (error as Error).message}`,
    };
  }
}
