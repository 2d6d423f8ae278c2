// The dashboard as `npm start` runs it: beside the Temporal Web UI, against the sandbox's GitHub.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Sandbox } from '../sandbox/server';
import { apiClients } from '../activities/api-clients';
import { DEFAULT_DASHBOARD_PORT } from './main';
import { startDashboard, type Dashboard } from './server';

export interface DemoDashboardOptions {
  client: Client;
  taskQueue: string;
  sandbox: Pick<Sandbox, 'githubUrl' | 'token'>;
  temporalUiUrl?: string;
  say: (line: string) => void;
}

/**
 * Starts the dashboard on 127.0.0.1:8234 (any free port when that one is taken). Actions need a
 * token: CONVEYOR_DASHBOARD_TOKEN when set, else one made up for this demo and printed here.
 */
export async function startDemoDashboard({
  client,
  taskQueue,
  sandbox,
  temporalUiUrl,
  say,
}: DemoDashboardOptions): Promise<Dashboard> {
  const given = process.env.CONVEYOR_DASHBOARD_TOKEN;
  const token = given || randomBytes(12).toString('base64url');
  const github = apiClients({
    herokuUrl: '',
    herokuToken: '',
    githubUrl: sandbox.githubUrl,
    githubToken: sandbox.token,
  }).github;
  const options = { client, taskQueue, token, github, temporalUiUrl };
  let dashboard: Dashboard;
  try {
    dashboard = await startDashboard({ ...options, port: DEFAULT_DASHBOARD_PORT });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    dashboard = await startDashboard({ ...options, port: 0 });
  }
  say(
    `Dashboard: ${dashboard.url}/  (to act from it, sign in with ${given ? 'CONVEYOR_DASHBOARD_TOKEN' : `the token ${token}`})`,
  );
  return dashboard;
}
