import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadServices, parseServices } from '../../config/load';

const problems = (text: string): string[] => {
  try {
    parseServices(text, 'services.json');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected the file to be refused');
};

const valid = { name: 'api', pipeline: 'api', stages: ['api-qa01', 'api-st01'], repo: 'acme/api' };

test('defaults fill branch, minAge and tick', () => {
  const [service] = parseServices(JSON.stringify({ services: [valid] }));
  assert.deepEqual(service, { ...valid, branch: 'main', minAgeMs: 1_800_000, tickMs: 60_000 });
});

test('a service with one stage is refused, naming where', () => {
  const services = [valid, { ...valid, name: 'web' }, { ...valid, name: 'x', stages: ['x-qa01'] }];
  assert.deepEqual(problems(JSON.stringify({ services })), ['services[2].stages: needs at least 2 apps']);
});

test('a bad duration is named with its path', () => {
  assert.deepEqual(problems(JSON.stringify({ services: [{ ...valid, minAge: 'soon' }] })), [
    'services[0].minAge: minAge must be a duration such as "30m", "90s" or "1h30m"',
  ]);
});

test('two services with one name are refused', () => {
  assert.deepEqual(problems(JSON.stringify({ services: [valid, valid] })), ['services[1].name: "api" is used by two services']);
});

test('a secret-looking or unknown key is refused rather than carried into history', () => {
  assert.match(problems(JSON.stringify({ services: [{ ...valid, herokuApiKey: 'x' }] }))[0], /^services\[0\]: .*herokuApiKey/);
});

test('invalid JSON says so in one line', () => {
  assert.match(problems('{"services": [')[0], /^not valid JSON: /);
});

test('the example services file is valid', () => {
  assert.equal(loadServices(new URL('../../examples/services.json', import.meta.url).pathname).length, 3);
  assert.equal(loadServices(new URL('../../examples/services.demo.json', import.meta.url).pathname).length, 3);
});
