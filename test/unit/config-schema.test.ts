import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { servicesJsonSchema, servicesJsonSchemaText } from '../../config/json-schema';

const example = (name: string) => new URL(`../../examples/${name}`, import.meta.url);
type Schema = Record<string, any>;

test('examples/services.schema.json is the schema the code generates (regenerate: conveyor schema > examples/services.schema.json)', () => {
  assert.equal(readFileSync(example('services.schema.json'), 'utf8'), servicesJsonSchemaText());
});

test('every field of the schema has a description and examples', () => {
  const missing: string[] = [];
  const walk = (node: Schema | undefined, path: string) => {
    if (!node || typeof node !== 'object') return;
    for (const [key, field] of Object.entries<Schema>(node.properties ?? {})) {
      if (!field.description) missing.push(`${path}.${key}: no description`);
      if (!field.examples?.length) missing.push(`${path}.${key}: no examples`);
      walk(field, `${path}.${key}`);
    }
    walk(node.items, `${path}[]`);
    if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}.*`);
    for (const option of node.anyOf ?? []) walk(option, path);
  };
  walk(servicesJsonSchema(), '');
  assert.deepEqual(missing, []);
});

test('the example files pass the schema, as an editor would check them', () => {
  const validate = new Ajv2020({ strict: false }).compile(servicesJsonSchema());
  for (const [name, data] of [
    ['services.json', JSON.parse(readFileSync(example('services.json'), 'utf8'))],
    ['services.yaml', parseYaml(readFileSync(example('services.yaml'), 'utf8'))],
  ])
    assert.equal(validate(data), true, `${name}: ${JSON.stringify(validate.errors)}`);
});

test('the schema refuses a misspelt key and a stage list of one, as an editor would underline them', () => {
  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(servicesJsonSchema());
  assert.equal(
    validate({ services: [{ name: 'api', pipeline: 'api', stages: ['api-qa01'], repo: 'acme/api', minAgee: '1m' }] }),
    false,
  );
  const found = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
  assert.ok(found.includes('/services/0/stages minItems'), found.join(', '));
  assert.ok(found.includes('/services/0 additionalProperties'), found.join(', '));
});
