import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { failureResponse, type FailureResponse } from '../../domain/failed-verification';
import type { Service } from '../../domain/service';

const chain: Pick<Service, 'stages' | 'waves' | 'onFailure'> = { stages: ['api-qa01', 'api-st01', 'api-va01'] };
const waved: Pick<Service, 'stages' | 'waves' | 'onFailure'> = {
  stages: ['api-qa01', 'api-st01', 'api-va01', 'api-va02'],
  waves: [['api-qa01'], ['api-st01'], ['api-va01', 'api-va02']],
};

describe('what a failed verification does', () => {
  const rows: { name: string; service: typeof chain; app: string; response: FailureResponse }[] = [
    {
      name: 'a chain stage is rolled back and pauses the pipeline (the default)',
      service: chain,
      app: 'api-st01',
      response: { rollBack: true, hold: 'pipeline' },
    },
    {
      name: 'a chain stage with onFailure pause only pauses the pipeline',
      service: { ...chain, onFailure: 'pause' },
      app: 'api-st01',
      response: { rollBack: false, hold: 'pipeline' },
    },
    {
      name: 'a wave of one in a waved service pauses the pipeline, as a chain stage does',
      service: waved,
      app: 'api-st01',
      response: { rollBack: true, hold: 'pipeline' },
    },
    {
      name: 'an app of a wave of several is rolled back and held alone',
      service: waved,
      app: 'api-va02',
      response: { rollBack: true, hold: 'app' },
    },
    {
      name: 'an app of a wave of several with onFailure pause is held alone, not rolled back',
      service: { ...waved, onFailure: 'pause' },
      app: 'api-va01',
      response: { rollBack: false, hold: 'app' },
    },
  ];
  for (const row of rows) test(row.name, () => assert.deepEqual(failureResponse(row.service, row.app), row.response));
});
