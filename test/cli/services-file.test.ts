import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { projectRoot } from '../../temporal/paths';
import { conveyor, tempFile } from './support';

const yaml = (lines: string[]) => tempFile('services.yaml', `${lines.join('\n')}\n`);

describe('conveyor validate and schema: the services file', () => {
  let sandbox: Sandbox;
  let tokens: NodeJS.ProcessEnv;
  before(async () => {
    sandbox = await startSandbox();
    await sandbox.scenario.createService({
      name: 'shop',
      repo: 'acme/shop',
      stages: ['shop-qa01', 'shop-st01'],
      branch: 'main',
    });
    tokens = {
      HEROKU_API_URL: sandbox.herokuUrl,
      HEROKU_API_KEY: sandbox.token,
      GITHUB_API_URL: sandbox.githubUrl,
      GITHUB_TOKEN: sandbox.token,
    };
  });
  after(async () => sandbox?.stop());

  const shop = [
    'services:',
    '  - name: shop',
    '    pipeline: shop',
    '    stages: [shop-qa01, shop-st01]',
    '    repo: acme/shop',
    '    minAge: 0s',
  ];

  test('a valid YAML file is valid offline: exit 0, and it says what it could not check', async () => {
    const run = await conveyor({}, 'validate', '-f', yaml(shop));
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /services\.yaml: 1 service valid \(not checked: couplings \(set HEROKU_API_KEY\), repositories \(set GITHUB_TOKEN\)\)/,
    );
  });

  test('every problem of a YAML file is listed at once with line and column: exit 2', async () => {
    const file = yaml([
      'services:',
      '  - name: shop',
      '    pipeline: shop',
      '    stages: [shop-qa01]',
      '    repo: acme/shop',
      '    minAgee: 5m',
      '  - name: shop',
      '    pipeline: other',
      '    stages: [o-qa01, o-st01]',
      '    repo: acme/other',
      '    tick: 0s',
      '    stageChecks:',
      '      o-st1: { bake: 5m }',
    ]);
    const run = await conveyor({}, 'validate', '-f', file);
    assert.equal(run.code, 2);
    assert.deepEqual(run.stderr.trim().split('\n'), [
      `${file}:4:13 services[0].stages: needs at least 2 apps`,
      `${file}:6:5 services[0].minAgee: unknown key (did you mean "minAge"?)`,
      `${file}:7:11 services[1].name: "shop" is used by two services (services[0] too)`,
      `${file}:11:11 services[1].tick: tick must be more than "0s": it is how often the pipeline is looked at, so it needs a pause between looks`,
      `${file}:13:7 services[1].stageChecks.o-st1: "o-st1" is not one of this service's stages (did you mean "o-st01"?)`,
    ]);
  });

  test('with --json the problems come as a list with path, message, line and column', async () => {
    const file = yaml([
      'services:',
      '  - name: shop',
      '    pipeline: shop',
      '    stages: [shop-qa01, shop-st01]',
      '    minAge: 30',
    ]);
    const run = await conveyor({}, 'validate', '-f', file, '--json');
    assert.equal(run.code, 2);
    const { error } = run.json();
    assert.equal(error.kind, 'config');
    assert.deepEqual(error.problems, [
      { path: 'services[0].repo', message: 'is required', line: 2, column: 5 },
      {
        path: 'services[0].minAge',
        message: 'minAge must be text with a unit, such as "30s" or "30m" (a bare number has no unit)',
        line: 5,
        column: 13,
      },
    ]);
  });

  test('a JSON file with a syntax error names its line and column', async () => {
    const run = await conveyor(
      {},
      'validate',
      '-f',
      tempFile('services.json', '{"services": [\n  {"name": "shop",}\n]}'),
    );
    assert.equal(run.code, 2);
    assert.match(run.stderr, /services\.json:2:19 not valid JSON: /);
  });

  test('a missing file is exit 2, one line', async () => {
    const run = await conveyor({}, 'validate', '-f', '/nonexistent/services.yaml');
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim(), '/nonexistent/services.yaml no such file');
  });

  test('with tokens, validate checks that the apps are coupled and the repositories exist', async () => {
    const run = await conveyor(tokens, 'validate', '-f', yaml(shop), '--json');
    assert.equal(run.code, 0, run.stdout);
    assert.deepEqual(run.json().checked, { file: true, couplings: true, repos: true });
  });

  test('an app not coupled to its pipeline and an unknown repository are refused: exit 1', async () => {
    const file = yaml([
      'services:',
      '  - name: shop',
      '    pipeline: shop',
      '    stages: [shop-qa01, shop-zz01]',
      '    repo: acme/nope',
    ]);
    const run = await conveyor(tokens, 'validate', '-f', file);
    assert.equal(run.code, 1);
    const progress = (line: string) => line.endsWith('...');
    assert.deepEqual(
      run.stderr
        .trim()
        .split('\n')
        .filter((line) => !progress(line)),
      [
        'conveyor: service shop: app shop-zz01 is not coupled to pipeline shop',
        'service shop: GitHub has no repository acme/nope with a branch main',
      ],
    );
  });

  test('Heroku not answering is exit 3, not a problem of the file', async () => {
    const run = await conveyor(
      { ...tokens, HEROKU_API_URL: 'http://127.0.0.1:1' },
      'validate',
      '-f',
      yaml(shop),
      '--json',
    );
    assert.equal(run.code, 3);
    assert.equal(run.json().error.kind, 'unreachable');
    assert.match(run.json().error.message, /^cannot reach Heroku at http:\/\/127\.0\.0\.1:1/);
  });

  test('a token Heroku or GitHub refuses is said once: exit 3', async () => {
    const heroku = await conveyor({ ...tokens, HEROKU_API_KEY: 'not-the-token' }, 'validate', '-f', yaml(shop));
    assert.equal(heroku.code, 3);
    assert.equal(
      heroku.stderr.trim().split('\n').at(-1),
      `conveyor: Heroku at ${sandbox.herokuUrl} refused HEROKU_API_KEY (401): check the token`,
    );
    const github = await conveyor({ ...tokens, GITHUB_TOKEN: 'not-the-token' }, 'validate', '-f', yaml(shop));
    assert.equal(github.code, 3);
    assert.equal(
      github.stderr.trim().split('\n').at(-1),
      `conveyor: GitHub at ${sandbox.githubUrl} refused GITHUB_TOKEN (401): check the token`,
    );
  });

  test('conveyor schema prints the checked-in JSON Schema', async () => {
    const run = await conveyor({}, 'schema');
    assert.equal(run.code, 0);
    assert.equal(run.stdout, readFileSync(join(projectRoot, 'examples', 'services.schema.json'), 'utf8'));
  });

  test('the YAML example validates', async () => {
    const run = await conveyor({}, 'validate', '-f', join(projectRoot, 'examples', 'services.yaml'), '--offline');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /3 services valid/);
  });
});
