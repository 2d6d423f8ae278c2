import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { uniqueName } from '../support/stack';
import { eventually, testServer } from '../support/temporal';
import { anonymousHome, BIN, conveyor, tempFile } from './support';

/** Runs conveyor on a pseudo-terminal (util-linux `script`), answering `answer` when it asks a question. */
function onTerminal(
  env: NodeJS.ProcessEnv,
  answer: string,
  ...args: string[]
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let asked = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!asked && output.includes('[y/N]')) {
        asked = true;
        child.stdin.write(`${answer}\r`);
      }
    });
    child.on('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}

describe('conveyor CLI: errors a person can act on', () => {
  let address: string;
  before(async () => {
    address = (await testServer()).address;
  });

  test('on a terminal --skip-gates asks first, and "no" sends nothing', async () => {
    const run = await onTerminal(
      { TEMPORAL_ADDRESS: '127.0.0.1:1', CONVEYOR_USER: 'ana' },
      'n',
      'promote',
      'api',
      '--to',
      'api-st01',
      '--reason',
      'hotfix',
      '--skip-gates',
    );
    assert.match(run.output, /promote into api-st01 overruling every gate, safety gates included\? \[y\/N\]/);
    assert.match(run.output, /not promoted: --skip-gates was not confirmed/);
    assert.equal(run.code, 1);
  });

  test('on a terminal "yes" to --skip-gates goes on (here to an unreachable server: exit 3)', async () => {
    const run = await onTerminal(
      { TEMPORAL_ADDRESS: '127.0.0.1:1', CONVEYOR_USER: 'ana' },
      'y',
      'promote',
      'api',
      '--to',
      'api-st01',
      '--reason',
      'hotfix',
      '--skip-gates',
    );
    assert.match(run.output, /cannot reach the Temporal server at 127\.0\.0\.1:1/);
    assert.equal(run.code, 3);
  });

  test('TLS against a server that speaks none fails in one line: exit 3', async () => {
    const run = await conveyor(
      { ...anonymousHome(), TEMPORAL_ADDRESS: address },
      'list',
      '--api-key',
      'not-a-real-key',
    );
    assert.equal(run.code, 3);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(
      lines[0],
      new RegExp(`^conveyor: cannot reach the Temporal server at ${address.replace(/\./g, '\\.')}`),
    );
  });

  test("a namespace without conveyor's search attributes is named, with the command that registers them", async () => {
    const namespace = uniqueName('bare');
    const connection = await Connection.connect({ address });
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      });
      await eventually(
        async () =>
          (await connection.workflowService.describeNamespace({ namespace })).namespaceInfo?.name === namespace,
        30_000,
      );
    } finally {
      await connection.close();
    }
    const file = tempFile(
      'services.yaml',
      'services:\n  - { name: bare, pipeline: bare, stages: [bare-qa01, bare-st01], repo: acme/bare }\n',
    );
    const run = await conveyor(
      { ...anonymousHome(), TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace },
      'apply',
      '-f',
      file,
      '--skip-coupling-check',
      '--json',
    );
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const { error } = run.json();
    assert.match(
      error.message,
      new RegExp(
        `search attribute Conveyor\\w+ is not registered in namespace "${namespace}": run \`temporal operator search-attribute create --namespace ${namespace}`,
      ),
    );
  });

  describe('progress', () => {
    let sandbox: Sandbox;
    before(async () => {
      sandbox = await startSandbox();
      await sandbox.scenario.createService({
        name: 'slow',
        repo: 'acme/slow',
        stages: ['slow-qa01', 'slow-st01'],
        branch: 'main',
      });
    });
    after(async () => sandbox?.stop());

    test('a check longer than a second says what it is doing on stderr; stdout stays one JSON document', async () => {
      sandbox.faults.inject({ endpoint: 'GET /pipelines/{id}/pipeline-couplings', kind: 'latency', delayMs: 2_500 });
      const file = tempFile(
        'services.yaml',
        'services:\n  - { name: slow, pipeline: slow, stages: [slow-qa01, slow-st01], repo: acme/slow }\n',
      );
      const run = await conveyor(
        { HEROKU_API_URL: sandbox.herokuUrl, HEROKU_API_KEY: sandbox.token },
        'validate',
        '-f',
        file,
        '--json',
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, 'conveyor: checking the couplings of 1 services with Heroku...\n');
      assert.equal(run.json().valid, true);
    });
  });
});
