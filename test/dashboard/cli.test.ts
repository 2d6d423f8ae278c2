// `conveyor dashboard` as a person runs it: the real binary, against the test server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../temporal/paths';
import { startStack, type Stack } from '../support/stack';

const bin = join(projectRoot, 'bin', 'conveyor.js');

describe('conveyor dashboard', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  const env = () => {
    const { CONVEYOR_DASHBOARD_TOKEN: _token, ...rest } = stack.workerEnv;
    return { ...rest, TEMPORAL_ADDRESS: stack.address, TEMPORAL_NAMESPACE: stack.namespace };
  };

  test('prints its address, serves the fleet read-only without a token, and stops on Ctrl-C', async () => {
    const service = await stack.launch('cli-dash', { minAge: '1h' });
    const child = spawn(process.execPath, [bin, 'dashboard', '--port', '0'], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk) => (output += chunk));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const found =
          /conveyor dashboard at (http:\/\/127\.0\.0\.1:\d+)\/ \(read-only: no identity provider, no CONVEYOR_DASHBOARD_TOKEN\)/.exec(
            output,
          );
        if (found) resolve(found[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before printing its address:\n${output}`)));
      setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`printed no address within 30 s:\n${output}`));
      }, 30_000).unref();
    });
    const page = await (await fetch(`${line}/`)).text();
    assert.match(page, new RegExp(`data-service="${service.name}"`));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  });

  test('a bad port is one line naming it, exit 2', () => {
    const result = spawnSync(process.execPath, [bin, 'dashboard', '--port', 'eighty'], {
      env: env(),
      encoding: 'utf8',
    });
    assert.equal(result.status, 2);
    assert.equal(result.stderr.trim(), 'conveyor: --port: "eighty" is not a port number (0 to 65535)');
  });
});
