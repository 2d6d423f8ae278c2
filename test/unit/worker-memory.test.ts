import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cachedWorkflowsFor, workerMemory } from '../../worker/memory';

describe('the worker cache follows its memory', () => {
  const rows: [string, NodeJS.ProcessEnv, ReturnType<typeof workerMemory>][] = [
    ['nothing said: the SDK decides', {}, {}],
    [
      "a standard-1X dyno (Heroku's MEMORY_AVAILABLE=512)",
      { MEMORY_AVAILABLE: '512' },
      { memoryMb: 512, maxCachedWorkflows: 182 },
    ],
    ['a standard-2X dyno', { MEMORY_AVAILABLE: '1024' }, { memoryMb: 1024, maxCachedWorkflows: 482 }],
    [
      'CONVEYOR_MEMORY_MB wins over MEMORY_AVAILABLE',
      { MEMORY_AVAILABLE: '512', CONVEYOR_MEMORY_MB: '2048' },
      { memoryMb: 2048, maxCachedWorkflows: 1082 },
    ],
    [
      'the cache size said outright wins',
      { MEMORY_AVAILABLE: '512', CONVEYOR_MAX_CACHED_WORKFLOWS: '40' },
      { memoryMb: 512, maxCachedWorkflows: 40 },
    ],
    ['0 turns the cache off', { CONVEYOR_MAX_CACHED_WORKFLOWS: '0' }, { maxCachedWorkflows: 0 }],
  ];
  for (const [name, env, expected] of rows) test(name, () => assert.deepEqual(workerMemory(env), expected));

  test('a tiny memory still caches 10, as the SDK does', () => assert.equal(cachedWorkflowsFor(128), 10));

  test('a setting that is not a number is one line naming it', () => {
    assert.throws(() => workerMemory({ CONVEYOR_MEMORY_MB: '512MB' }), {
      message: "CONVEYOR_MEMORY_MB '512MB' is not a whole number of at least 64",
    });
    assert.throws(() => workerMemory({ CONVEYOR_MAX_CACHED_WORKFLOWS: '-1' }), /CONVEYOR_MAX_CACHED_WORKFLOWS '-1'/);
  });
});
