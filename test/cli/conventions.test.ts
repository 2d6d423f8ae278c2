import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../temporal/paths';
import { BIN, conveyor } from './support';

const version = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version;
/** Nothing answers on port 1 of loopback: Temporal is unreachable. */
const nowhere = { TEMPORAL_ADDRESS: '127.0.0.1:1' };

describe('conveyor CLI conventions', () => {
  test('--version and -v print the version and exit 0', async () => {
    for (const flag of ['--version', '-v']) {
      const run = await conveyor({}, flag);
      assert.equal(run.code, 0);
      assert.equal(run.stdout.trim(), version);
    }
  });

  test('--help lists the exit codes', async () => {
    const run = await conveyor({}, '--help');
    assert.equal(run.code, 0);
    assert.match(
      run.stdout,
      /Exit codes: 0 done, 1 refused or failed, 2 usage or bad input, 3 cannot reach Temporal or Heroku/,
    );
  });

  test('an unknown command or a missing argument is a usage error: exit 2', async () => {
    const unknown = await conveyor({}, 'stauts');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'stauts'/);
    const missing = await conveyor({}, 'status');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'service'/);
  });

  test('no command at all shows the help on stderr and is a usage error', async () => {
    const run = await conveyor({});
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^Usage: conveyor \[options\] \[command\]/);
  });

  test('with --json a usage error is one JSON document on stdout', async () => {
    const run = await conveyor({}, 'status', '--json');
    assert.equal(run.code, 2);
    assert.deepEqual(run.json(), {
      error: {
        kind: 'usage',
        exitCode: 2,
        code: 'commander.missingArgument',
        message: "missing required argument 'service'",
      },
    });
    assert.equal(run.stderr, '');
  });

  test('an unreachable Temporal server is exit 3 with one line naming the address', async () => {
    const run = await conveyor(nowhere, 'list');
    assert.equal(run.code, 3);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^conveyor: cannot reach the Temporal server at 127\.0\.0\.1:1/);
  });

  test('an unreachable Temporal server with --json is {"error": {"kind": "unreachable"}}', async () => {
    const run = await conveyor(nowhere, 'status', 'api', '--json');
    assert.equal(run.code, 3);
    const { error } = run.json();
    assert.equal(error.kind, 'unreachable');
    assert.equal(error.exitCode, 3);
    assert.match(error.message, /127\.0\.0\.1:1/);
  });

  test('--skip-gates without a terminal needs --yes, and nothing is sent without it', async () => {
    const run = await conveyor(nowhere, 'promote', 'api', '--to', 'api-st01', '--reason', 'hotfix', '--skip-gates');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /pass --yes to confirm \(there is no terminal to ask\)/);
    assert.doesNotMatch(run.stderr, /cannot reach/, 'refused before connecting anywhere');
  });

  test('an empty --reason is a usage error', async () => {
    const run = await conveyor(nowhere, 'pause', 'api', '--reason', ' ', '--json');
    assert.equal(run.code, 2);
    assert.equal(run.json().error.message, '--reason must not be empty');
  });

  test('bash completion completes commands and their options', async () => {
    const script = (await conveyor({}, 'completion', 'bash')).stdout;
    const complete = (...words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _conveyor; echo "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      ).trim();
    assert.equal(complete('conveyor', 'sta'), 'status');
    assert.deepEqual(complete('conveyor', 'p').split(' ').sort(), ['pause', 'plan', 'promote']);
    assert.equal(complete('conveyor', 'promote', 'api', '--skip'), '--skip-gates');
    assert.equal(complete('conveyor', 'apply', '--pru'), '--prune');
  });

  test('zsh completion describes every command', async () => {
    const run = await conveyor({}, 'completion', 'zsh');
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^#compdef conveyor/);
    for (const command of ['apply', 'plan', 'validate', 'why', 'retry', 'status', 'completion'])
      assert.match(run.stdout, new RegExp(`'${command}:`));
  });

  test('completion for an unknown shell is a usage error', async () => {
    const run = await conveyor({}, 'completion', 'fish');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /"fish" is not a shell conveyor completes \(bash, zsh\)/);
  });

  test('a misspelt flag is named with the flag meant, not reported as a missing one: exit 2', async () => {
    const run = await conveyor(nowhere, 'pause', 'api', '--reasn', 'db migration');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^conveyor: unknown option '--reasn'\n\(Did you mean --reason\?\)/);
    assert.doesNotMatch(run.stderr, /required option/);
  });

  test('every error starts with the one prefix "conveyor: ", commander\'s usage errors too', async () => {
    const runs = [
      await conveyor({}, 'stauts'),
      await conveyor({}, 'status'),
      await conveyor(nowhere, 'pause', 'api', '--reason', ' '),
      await conveyor(nowhere, 'status', 'api'),
    ];
    for (const run of runs) {
      assert.match(run.stderr.split('\n')[0], /^conveyor: /, run.stderr);
      assert.doesNotMatch(run.stderr, /^error:|^Error:/m);
    }
  });

  test('schema --out makes the folder it is told to write to', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'conveyor-schema-')), 'new', 'folder');
    const run = await conveyor({}, 'schema', '--out', join(dir, 'services.schema.json'));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(readFileSync(join(dir, 'services.schema.json'), 'utf8')).type, 'object');
  });

  test('the tools that write files refuse a folder they cannot write before working: exit 2', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'conveyor-out-')), 'a-file');
    writeFileSync(file, '');
    const tsx = join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    for (const [tool, args] of [
      ['bench', [join(projectRoot, 'bench', 'run.ts'), '--out', join(file, 'bench')]],
      ['screenshot', [join(projectRoot, 'scripts', 'dashboard-screenshot.ts'), join(file, 'shot.png')]],
    ] as const) {
      const run = spawnSync(process.execPath, [tsx, ...args], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(run.status, 2, `${tool}: ${run.stderr}`);
      assert.match(run.stderr, /cannot write to .*a-file/, tool);
    }
    const schema = await conveyor({}, 'schema', '--out', join(file, 'schema.json'));
    assert.equal(schema.code, 2);
    assert.match(schema.stderr, /^conveyor: schema --out: cannot write to/);
  });

  test('the binary runs from anywhere, through node', async () => {
    assert.equal(execFileSync(process.execPath, [BIN, '--version'], { cwd: '/', encoding: 'utf8' }).trim(), version);
  });
});
