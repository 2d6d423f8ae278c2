import { EXAMPLE_SCENARIO, readScenarioFile, type ScenarioFile } from './scenario/input';
import { startSandbox } from './server';

/** An obviously fake token for the standalone sandbox, so the printed env lines stay the same between runs. */
export const STANDALONE_TOKEN = 'sandbox-token';

/**
 * `conveyor sandbox`: the sandbox on 127.0.0.1 with a scenario's services (the three example services
 * 'api', 'router' and 'billing' unless a scenario file is given), until SIGINT or SIGTERM.
 */
export async function runSandboxCommand(opts: { port?: number; scenario?: string } = {}): Promise<void> {
  // A bad scenario file throws ScenarioError, which the CLI reports as bad input.
  const scenario: ScenarioFile = opts.scenario ? readScenarioFile(opts.scenario) : EXAMPLE_SCENARIO;
  const sandbox = await startSandbox({ port: opts.port ?? 0, token: STANDALONE_TOKEN });
  try {
    const services = await sandbox.scenario.load(scenario);
    const say = (line: string) => console.log(`[sandbox] ${line}`);
    say(`Heroku Platform API: ${sandbox.herokuUrl}`);
    say(`GitHub REST API:     ${sandbox.githubUrl}`);
    say(`token (both):        ${sandbox.token}`);
    say(
      `services:            ${services.map((s, i) => `${scenario.services[i].name} (${s.apps.map((a) => a.name).join(' -> ')})`).join(', ')}`,
    );
    say(
      `scenario API:        POST ${sandbox.herokuUrl}/_sandbox/<method>, e.g. curl -d '{"service":"${scenario.services[0]?.name ?? 'api'}"}' ${sandbox.herokuUrl}/_sandbox/merge`,
    );
    say('environment for a worker:');
    console.log(`HEROKU_API_URL=${sandbox.herokuUrl}`);
    console.log(`GITHUB_API_URL=${sandbox.githubUrl}`);
    console.log(`HEROKU_API_KEY=${sandbox.token}`);
    console.log(`GITHUB_TOKEN=${sandbox.token}`);
    say('Ctrl-C stops it.');
    await untilSignalled();
    say('stopping');
  } finally {
    await sandbox.stop();
  }
}

function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
