import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validService } from '../../workflows/valid-service';
import { servicesFile, toService } from '../../config/schema';
import { service } from '../support/facts';

describe('a configuration sent to a running pipeline', () => {
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['windows as an empty object', { windows: {} }, /windows\.windows: /],
    ['a string where a number belongs', { minAgeMs: '30m' }, /minAgeMs: minAgeMs must be a number of milliseconds/],
    ['ignoreFreeze as the string "false"', { ignoreFreeze: 'false' }, /ignoreFreeze must be true or false/],
    ['a minAge of 100000000 days', { minAgeMs: 100_000_000 * 86_400_000 }, /minAgeMs must be at most 365d/],
    ['a missing field', { repo: undefined }, /repo: /],
    ['an unknown key', { stagez: [] }, /Unrecognized key/],
    [
      'a stage check for an app that is not a stage',
      { checks: { 'api-xx01': { bakeMs: 1000 } } },
      /"api-xx01" is not one of this service's stages/,
    ],
  ];
  for (const [name, change, problem] of refused) {
    test(`is refused with a reason: ${name}`, () => {
      const result = validService({ ...service, ...change }, service.name);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.problem, problem);
    });
  }

  test('a minAge of 0 (no soak, as the services file allows "0s") is accepted', () => {
    assert.equal(validService({ ...service, minAgeMs: 0 }, service.name).ok, true);
  });

  test('that is not an object at all is refused, not thrown', () => {
    assert.equal(validService('nonsense', 'api').ok, false);
    assert.equal(validService(null, 'api').ok, false);
  });

  test('for another service is refused', () => {
    const result = validService(service, 'web');
    assert.deepEqual(result, { ok: false, problem: 'configuration is for "api", not "web"' });
  });

  test('every service of the example files, as apply resolves it, is accepted (one schema for both)', () => {
    for (const file of ['services.json', 'services.demo.json']) {
      const parsed = servicesFile.parse(
        JSON.parse(readFileSync(join(import.meta.dirname, '../../examples', file), 'utf8')),
      );
      for (const spec of parsed.services) {
        const resolved = toService(spec, parsed.global);
        assert.deepEqual(
          validService(resolved, resolved.name),
          { ok: true, service: resolved },
          `${file}: ${spec.name}`,
        );
      }
    }
  });
});
