import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadServices, parseServices } from '../../config/load';

const problems = (text: string, file = 'services.json'): string[] => {
  try {
    parseServices(text, file);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected the file to be refused');
};

const valid = { name: 'api', pipeline: 'api', stages: ['api-qa01', 'api-st01'], repo: 'acme/api' };
const examples = (name: string) => new URL(`../../examples/${name}`, import.meta.url).pathname;

test('defaults fill branch, minAge and tick', () => {
  const [service] = parseServices(JSON.stringify({ services: [valid] }));
  assert.deepEqual(service, { ...valid, branch: 'main', minAgeMs: 1_800_000, tickMs: 60_000 });
});

test('a service with one stage is refused, naming where', () => {
  const services = [
    valid,
    { ...valid, name: 'web', pipeline: 'web', stages: ['web-qa01', 'web-st01'] },
    { ...valid, name: 'x', pipeline: 'x', stages: ['x-qa01'] },
  ];
  assert.deepEqual(problems(JSON.stringify({ services })), ['services[2].stages: needs at least 2 apps']);
});

test('a bad duration is named with its path and says how durations are written', () => {
  assert.deepEqual(problems(JSON.stringify({ services: [{ ...valid, minAge: 'soon' }] })), [
    'services[0].minAge: minAge must be a duration: "soon" is not a number and a unit (ms, s, m, h, d), such as "30m", "90s" or "1h30m"',
  ]);
});

test('"0s" is a valid minAge: the release moves on at once', () => {
  assert.equal(parseServices(JSON.stringify({ services: [{ ...valid, minAge: '0s' }] }))[0].minAgeMs, 0);
});

test('"0s" is not a valid tick, and the message says why', () => {
  assert.deepEqual(problems(JSON.stringify({ services: [{ ...valid, tick: '0s' }] })), [
    'services[0].tick: tick must be more than "0s": it is how often the pipeline is looked at, so it needs a pause between looks',
  ]);
});

test('a bare number where a duration belongs is refused, suggesting a unit', () => {
  assert.deepEqual(problems(JSON.stringify({ services: [{ ...valid, minAge: 30 }] })), [
    'services[0].minAge: minAge must be text with a unit, such as "30s" or "30m" (a bare number has no unit)',
  ]);
});

test('a duration over a year is refused', () => {
  assert.deepEqual(problems(JSON.stringify({ services: [{ ...valid, minAge: '400d' }] })), [
    'services[0].minAge: minAge must be at most "365d"',
  ]);
});

test('two services with one name are refused', () => {
  assert.deepEqual(
    problems(JSON.stringify({ services: [valid, { ...valid, pipeline: 'api2', stages: ['api-qa02', 'api-st02'] }] })),
    ['services[1].name: "api" is used by two services (services[0] too)'],
  );
});

test('two services on one pipeline, or one app in two services, are refused', () => {
  const other = { ...valid, name: 'web', stages: ['web-qa01', 'api-st01'] };
  assert.deepEqual(problems(JSON.stringify({ services: [valid, other] })), [
    'services[1].pipeline: pipeline "api" is already delivered by services[0]: two workflows would promote the same apps',
    'services[1].stages[1]: "api-st01" is already a stage of services[0]',
  ]);
});

test('a misspelt key is refused with the key it probably meant', () => {
  assert.deepEqual(problems(JSON.stringify({ services: [{ ...valid, minAgee: '1m' }] })), [
    'services[0].minAgee: unknown key (did you mean "minAge"?)',
  ]);
});

test('a stageChecks key that is not a stage is refused, with the stage it probably meant', () => {
  assert.deepEqual(problems(JSON.stringify({ services: [{ ...valid, stageChecks: { 'api-st1': { bake: '5m' } } }] })), [
    `services[0].stageChecks.api-st1: "api-st1" is not one of this service's stages (did you mean "api-st01"?)`,
  ]);
});

test('a secret-looking or unknown key is refused rather than carried into history', () => {
  assert.match(
    problems(JSON.stringify({ services: [{ ...valid, herokuApiKey: 'x' }] }))[0],
    /^services\[0\]\.herokuApiKey: unknown key/,
  );
});

test('every problem is reported at once, the cross-field ones too, even when a field is missing', () => {
  const { repo: _, ...noRepo } = valid;
  const services = [
    { ...valid, tick: 'often' },
    { ...noRepo, pipeline: 'other', stages: ['o-qa01', 'o-st01'], stageChecks: { nope: {} } },
  ];
  assert.deepEqual(problems(JSON.stringify({ services })), [
    'services[0].tick: tick must be a duration: "often" is not a number and a unit (ms, s, m, h, d), such as "30m", "90s" or "1h30m"',
    'services[1].repo: is required',
    'services[1].name: "api" is used by two services (services[0] too)',
    `services[1].stageChecks.nope: "nope" is not one of this service's stages`,
  ]);
});

test('a $schema key is accepted, so editors can complete the file', () => {
  assert.equal(parseServices(JSON.stringify({ $schema: './services.schema.json', services: [valid] })).length, 1);
});

test('invalid JSON says so in one line, with its line and column', () => {
  const error = (() => {
    try {
      parseServices('{"services": [\n  {"name": 1,}\n]}', 'services.json');
    } catch (e) {
      return e as ConfigError;
    }
  })();
  assert.ok(error instanceof ConfigError);
  assert.match(error.message, /^services\.json:2:14 not valid JSON: /);
});

test('a YAML file reports each problem with its line and column', () => {
  const yaml = [
    'services:',
    '  - name: api',
    '    pipeline: api',
    '    stages: [api-qa01]',
    '    repo: acme/api',
    '    minAgee: 1m',
    '',
  ].join('\n');
  try {
    parseServices(yaml, 'services.yaml');
    assert.fail('expected the file to be refused');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.message.split('\n'), [
      'services.yaml:4:13 services[0].stages: needs at least 2 apps',
      'services.yaml:6:5 services[0].minAgee: unknown key (did you mean "minAge"?)',
    ]);
  }
});

test('a YAML syntax error or a repeated key is named with its line', () => {
  assert.deepEqual(problems('services:\n  - name: a\n    name: b\n', 'services.yml'), [
    'not valid YAML: Map keys must be unique',
  ]);
});

test('the example services files are valid, in JSON and in YAML', () => {
  assert.equal(loadServices(examples('services.json')).length, 3);
  assert.equal(loadServices(examples('services.demo.json')).length, 4);
  assert.deepEqual(
    loadServices(examples('services.yaml')).map((s) => s.name),
    ['api', 'router', 'billing'],
  );
});

test('a tick under a second is refused, saying why', () => {
  assert.deepEqual(problems(JSON.stringify({ services: [{ ...valid, tick: '500ms' }] })), [
    'services[0].tick: tick must be at least "1s": a look costs a Heroku request, and Heroku allows about 75 a minute',
  ]);
});
