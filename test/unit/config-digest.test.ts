import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { configDigest, type Service } from '../../domain/service';
import { service } from '../support/facts';

describe('a configuration is named by its digest', () => {
  const rows: { name: string; other: Service; same: boolean }[] = [
    { name: 'the same configuration, keys in another order: the same digest', other: reordered(service), same: true },
    { name: 'a copy of it: the same digest', other: structuredClone(service), same: true },
    { name: 'a changed soak: another digest', other: { ...service, minAgeMs: service.minAgeMs + 1 }, same: false },
    {
      name: 'another stage: another digest',
      other: { ...service, stages: [...service.stages, 'x-eu01'] },
      same: false,
    },
  ];
  for (const row of rows)
    test(row.name, () => assert.equal(configDigest(row.other) === configDigest(service), row.same));

  test('eight hex digits, the same each time it is asked', () => {
    const digest = configDigest(service);
    assert.match(digest, /^[0-9a-f]{8}$/);
    assert.equal(configDigest(service), digest);
  });
});

function reordered(s: Service): Service {
  return Object.fromEntries(Object.entries(s).reverse()) as unknown as Service;
}
