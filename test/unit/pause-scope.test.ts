import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pauseScope } from '../../domain/pause';

describe('what a pause holds', () => {
  const promotedInto = ['api-st01', 'api-va01', 'api-va02'];
  const rows: [string, unknown, string | null, string | undefined][] = [
    ['no input: the whole pipeline', undefined, null, undefined],
    ['a reason and no stage: the whole pipeline', { reason: 'db migration' }, null, 'db migration'],
    ['a stage it promotes into: that app alone', { reason: 'canary', stage: ' api-va02 ' }, 'api-va02', 'canary'],
    [
      'the first stage: the whole pipeline, saying why',
      { reason: 'canary', stage: 'api-qa01' },
      null,
      'canary ("api-qa01" is not a stage this service promotes into: the whole pipeline is paused)',
    ],
    [
      'an unknown stage: the whole pipeline, saying why',
      { reason: 'canary', stage: 'api-xx01' },
      null,
      'canary ("api-xx01" is not a stage this service promotes into: the whole pipeline is paused)',
    ],
    [
      'a stage that is no text: the whole pipeline, saying why',
      { stage: 7 },
      null,
      'no reason given (the stage named is not a stage this service promotes into: the whole pipeline is paused)',
    ],
  ];
  for (const [name, input, app, reason] of rows)
    test(name, () => {
      const scope = pauseScope(input, promotedInto);
      assert.equal(scope.app, app);
      assert.equal((scope.request as { reason?: string } | undefined)?.reason, reason);
    });
});
