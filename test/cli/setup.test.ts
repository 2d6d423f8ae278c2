// `conveyor setup` as a person (and Heroku's release phase) runs it: against a bare Temporal dev
// server of its own (the test runner's already has conveyor's search attributes) and the sandbox.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '@temporalio/client';
import { ensureDevServer, type DevServer } from '../../temporal/dev-server';
import { freePort } from '../../temporal/free-port';
import { conveyorSearchAttributes } from '../../temporal/search-attributes';
import { tcldCommand, isTemporalCloud } from '../../client/setup';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { startStack, type Stack } from '../support/stack';
import { conveyor, tempFile } from './support';

const names = conveyorSearchAttributes.map((key) => key.name);

describe('conveyor setup on a bare namespace', () => {
  let server: DevServer;
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    sandbox = await startSandbox();
    server = await ensureDevServer({
      address: `127.0.0.1:${await freePort()}`,
      headless: true,
      dbFile: null,
      searchAttributes: false,
    });
    env = { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' };
  });
  after(async () => {
    await server?.stop();
    await sandbox?.stop();
  });

  const custom = async () => {
    const connection = await Connection.connect({ address: server.address });
    try {
      const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      return Object.keys(listed.customAttributes ?? {}).filter((name) => names.includes(name));
    } finally {
      await connection.close();
    }
  };

  test('--check on the bare namespace fails, naming every missing search attribute, and adds nothing', async () => {
    const run = await conveyor(
      { ...env, HEROKU_API_KEY: sandbox.token, GITHUB_TOKEN: sandbox.token, HEROKU_API_URL: sandbox.herokuUrl },
      'setup',
      '--check',
      '--json',
    );
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(run.json().missing, names);
    assert.deepEqual(await custom(), []);
  });

  test('adds every missing search attribute in one run, and a second run changes nothing', async () => {
    const first = await conveyor(env, 'setup');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), `namespace default: added search attributes ${names.join(', ')}`);
    assert.deepEqual((await custom()).sort(), [...names].sort());
    const again = await conveyor(env, 'setup', '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual([again.json().added, again.json().present, again.json().ready], [[], names, true]);
  });

  test('a namespace that does not exist is one line naming it', async () => {
    const run = await conveyor({ ...env, TEMPORAL_NAMESPACE: 'nowhere' }, 'setup');
    assert.equal(run.code, 1);
    assert.match(run.stderr.trim(), /^conveyor: namespace "nowhere" does not exist at 127\.0\.0\.1:\d+/);
  });
});

describe('conveyor setup on Temporal Cloud', () => {
  test('the endpoints are recognised, and the tcld command carries every argument', () => {
    assert.ok(isTemporalCloud('us-east-1.aws.api.temporal.io:7233'));
    assert.ok(isTemporalCloud('conveyor-prod.a2b3c.tmprl.cloud:7233'));
    assert.ok(!isTemporalCloud('127.0.0.1:7233'));
    assert.equal(
      tcldCommand('conveyor-prod.a2b3c', names),
      'tcld namespace search-attributes add --namespace conveyor-prod.a2b3c --search-attribute "ConveyorService=Keyword" --search-attribute "ConveyorPaused=Bool" --search-attribute "ConveyorStage=Keyword"',
    );
  });
});

describe('conveyor setup checks the tokens', () => {
  let stack: Stack;
  let file: string;
  let service: Awaited<ReturnType<Stack['prepare']>>;
  before(async () => {
    stack = await startStack({ worker: false });
    service = await stack.prepare('tokens');
    file = tempFile(
      'services.json',
      JSON.stringify({
        services: [
          {
            name: service.name,
            pipeline: service.pipeline,
            stages: service.stages,
            repo: service.repo,
            branch: service.branch,
          },
        ],
      }),
    );
  });
  after(async () => stack?.stop());
  const env = () => ({
    TEMPORAL_ADDRESS: stack.address,
    TEMPORAL_NAMESPACE: stack.namespace,
    HEROKU_API_URL: stack.workerEnv.HEROKU_API_URL,
    HEROKU_API_KEY: stack.sandbox.token,
    GITHUB_API_URL: stack.workerEnv.GITHUB_API_URL,
    GITHUB_TOKEN: stack.sandbox.token,
  });

  test('a token that can read each pipeline and repository: every line ok', async () => {
    const run = await conveyor(env(), 'setup', '-f', file);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0], /search attributes .* are there/);
    assert.deepEqual(
      lines
        .slice(1)
        .map((line) => line.replace(/ tokens-\w+/, ' tokens-X').replace(/acme\/tokens-\w+/, 'acme/tokens-X')),
      [
        'heroku HEROKU_API_KEY: ok',
        'heroku pipeline tokens-X: ok',
        'heroku promote tokens-X: ok',
        'github repository acme/tokens-X: ok',
      ],
    );
  });

  test('a pipeline the token cannot see names the permission it needs', async () => {
    const missing = tempFile(
      'services.json',
      JSON.stringify({
        services: [{ name: 'ghost', pipeline: 'ghost', stages: ['ghost-qa', 'ghost-st'], repo: 'acme/ghost' }],
      }),
    );
    const run = await conveyor(env(), 'setup', '-f', missing, '--json');
    assert.equal(run.code, 1);
    const tokens = run.json().tokens as { subject: string; ok: boolean; problem?: string }[];
    assert.match(tokens.find((t) => t.subject === 'pipeline ghost')!.problem!, /needs the view permission/);
    assert.match(
      tokens.find((t) => t.subject === 'repository acme/ghost')!.problem!,
      /cannot read its commits \(404\)/,
    );
  });

  test('a token whose account may not deploy to a team app names the app and the permission', async () => {
    const target = service.stages.at(-1)!;
    stack.sandbox.scenario.moveAppToTeam(target, 'acme-tokens');
    const run = await conveyor(env(), 'setup', '-f', file, '--json');
    assert.equal(run.code, 1);
    const tokens = run.json().tokens as { subject: string; ok: boolean; problem?: string }[];
    const promote = tokens.find((t) => t.subject === `promote ${service.pipeline}`)!;
    assert.equal(promote.ok, false);
    assert.match(promote.problem!, new RegExp(`not a collaborator on team app ${target}.*needs deploy`));
    assert.equal(tokens.find((t) => t.subject === `pipeline ${service.pipeline}`)!.ok, true);
  });

  test('a Heroku token Heroku refuses is said once', async () => {
    const run = await conveyor({ ...env(), HEROKU_API_KEY: 'revoked' }, 'setup', '-f', file);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^heroku HEROKU_API_KEY: Heroku refused the token \(401\)/m);
    assert.doesNotMatch(run.stdout, /pipeline/);
  });

  test('the release phase check fails in one line on a bad setting', async () => {
    const run = await conveyor({ ...env(), CONVEYOR_SHUTDOWN_GRACE: 'soon' }, 'setup', '--check');
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim(), "conveyor: CONVEYOR_SHUTDOWN_GRACE 'soon' is not a duration (e.g. 30s, 5m)");
    const noToken = await conveyor({ ...env(), HEROKU_API_KEY: '' }, 'setup', '--check');
    assert.equal(noToken.code, 2);
    assert.equal(noToken.stderr.trim().split('\n').length, 1);
    assert.match(noToken.stderr, /HEROKU_API_KEY must be set/);
    const onDyno = await conveyor({ ...env(), DYNO: 'release.1' }, 'setup', '--check');
    assert.equal(onDyno.code, 2);
    assert.match(onDyno.stderr.trim(), /^conveyor: CONVEYOR_HOSTNAMES must name this app's host names/);
  });

  test('the worker does not start with a Heroku token Heroku rejects, in one line', async () => {
    const run = await conveyor({ ...env(), HEROKU_API_KEY: 'revoked' }, 'worker');
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr.trim(),
      `conveyor: Heroku refused HEROKU_API_KEY (401) at ${stack.workerEnv.HEROKU_API_URL}: the worker does not start with a token Heroku rejects (heroku authorizations:create makes one)`,
    );
  });

  test('apply warns when no worker polls the task queue', async () => {
    const service = await stack.prepare('unpolled');
    const applyFile = tempFile(
      'services.json',
      JSON.stringify({
        services: [
          {
            name: service.name,
            pipeline: service.pipeline,
            stages: service.stages,
            repo: service.repo,
            branch: service.branch,
          },
        ],
      }),
    );
    const run = await conveyor(
      { ...env(), CONVEYOR_TASK_QUEUE: `nobody-${Date.now()}` },
      'apply',
      '-f',
      applyFile,
      '--skip-coupling-check',
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /warning: no worker polls task queue "nobody-\d+": new pipelines start but nothing runs them/,
    );
    assert.equal(run.json().workerPolling, false);
  });
});
