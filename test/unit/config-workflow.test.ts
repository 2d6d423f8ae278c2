import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadServices } from '../../config/load';
import { checkService } from '../../domain/service-schema';

const examples = (name: string) => new URL(`../../examples/${name}`, import.meta.url).pathname;

test('what the services file resolves to is what a running pipeline accepts in a reconfigure', () => {
  for (const file of ['services.json', 'services.yaml', 'services.demo.json']) {
    for (const service of loadServices(examples(file)))
      assert.deepEqual(checkService(service, service.name), { ok: true, service }, `${file}: ${service.name}`);
  }
});
