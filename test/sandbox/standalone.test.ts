import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSandboxCommand } from '../../sandbox/main';
import { until } from './support';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `conveyor sandbox` as a person runs it: its own process, its printed lines, Ctrl-C (SIGTERM here) to stop. */
function runStandalone(opts: { scenario?: string } = {}): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const script = `import { runSandboxCommand } from './sandbox/main'; await runSandboxCommand(${JSON.stringify(opts)});`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

const envLine = (output: string, name: string) => new RegExp(`^${name}=(.+)$`, 'm').exec(output)?.[1];

describe('the standalone sandbox (conveyor sandbox)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-test-'));
  const running: ChildProcess[] = [];
  after(() => {
    for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints the URLs and token as env lines, serves the example services, and stops cleanly on SIGTERM', async () => {
    const run = runStandalone();
    running.push(run.child);
    const output = await until('the env lines', () => run.output().includes('GITHUB_TOKEN=') && run.output(), 20_000);
    const herokuUrl = envLine(output, 'HEROKU_API_URL')!;
    const token = envLine(output, 'HEROKU_API_KEY')!;
    assert.equal(envLine(output, 'GITHUB_API_URL'), `${herokuUrl}/github`);
    assert.equal(envLine(output, 'GITHUB_TOKEN'), token);
    for (const app of ['api-eu01', 'router-qa01', 'billing-va01']) {
      const response = await fetch(`${herokuUrl}/apps/${app}`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(response.status, 200, app);
    }
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0);
    assert.match(run.output(), /stopping/);
  });

  test('serves the services of a scenario file instead', async () => {
    const file = join(dir, 'scenario.json');
    writeFileSync(
      file,
      JSON.stringify({ services: [{ name: 'solo', repo: 'acme/solo', stages: ['solo-qa01', 'solo-eu01'] }] }),
    );
    const run = runStandalone({ scenario: file });
    running.push(run.child);
    const output = await until('the env lines', () => run.output().includes('GITHUB_TOKEN=') && run.output(), 20_000);
    const [herokuUrl, token] = [envLine(output, 'HEROKU_API_URL')!, envLine(output, 'HEROKU_API_KEY')!];
    const status = async (app: string) =>
      (await fetch(`${herokuUrl}/apps/${app}`, { headers: { Authorization: `Bearer ${token}` } })).status;
    assert.deepEqual([await status('solo-eu01'), await status('api-qa01')], [200, 404]);
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0);
  });

  test('a scenario file that is not valid is refused, naming the file and the problem', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ services: [{ name: 'solo', repo: 'acme/solo', stages: ['solo-qa01'] }] }));
    await assert.rejects(runSandboxCommand({ scenario: file }), {
      message: `${file}: services.0.stages: needs at least 2 apps`,
    });
  });
});
