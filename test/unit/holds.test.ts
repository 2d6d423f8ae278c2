// Every kind of hold in one shape: status.holds lists what keeps releases back.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { holdsOf } from '../../domain/hold';
import { sha } from '../support/facts';

const none = { pause: null, freeze: null, blocked: null, rejected: [], failed: {} };
const since = '2026-11-20T10:00:00.000Z';

describe('the holds of a pipeline', () => {
  const rows: { name: string; parts: Parameters<typeof holdsOf>[0]; holds: ReturnType<typeof holdsOf> }[] = [
    { name: 'none when nothing holds', parts: none, holds: [] },
    {
      name: "an operator's pause holds every stage",
      parts: { ...none, pause: { reason: 'incident', by: 'ana', since } },
      holds: [{ kind: 'pause', reason: 'incident', by: 'ana', since }],
    },
    {
      name: 'the company-wide freeze',
      parts: { ...none, freeze: { reason: 'launch', by: 'ops', since } },
      holds: [{ kind: 'freeze', reason: 'launch', by: 'ops', since }],
    },
    {
      name: 'no freeze for a service that ignores it',
      parts: { ...none, freeze: { reason: 'launch', by: 'ops', since }, ignoreFreeze: true },
      holds: [],
    },
    {
      name: 'a block conveyor found itself',
      parts: { ...none, blocked: { reason: 'Heroku answered 401', since, permanent: true } },
      holds: [{ kind: 'blocked', reason: 'Heroku answered 401', by: 'conveyor', since, permanent: true }],
    },
    {
      name: 'a rejected commit, everywhere',
      parts: { ...none, rejected: [{ commit: sha('bbb'), reason: 'bad', by: 'ana', at: since }] },
      holds: [{ kind: 'rejected', reason: 'bad', by: 'ana', since, commit: sha('bbb') }],
    },
    {
      name: 'a release that failed in one stage',
      parts: {
        ...none,
        failed: {
          'api-st01': [{ artifactId: 'slug-bbb', commit: sha('bbb'), error: 'Release command failed', at: since }],
        },
      },
      holds: [
        {
          kind: 'failed',
          reason: 'Release command failed',
          by: 'conveyor',
          since,
          stage: 'api-st01',
          commit: sha('bbb'),
          artifactId: 'slug-bbb',
        },
      ],
    },
  ];
  for (const row of rows) test(row.name, () => assert.deepEqual(holdsOf(row.parts), row.holds));
});
