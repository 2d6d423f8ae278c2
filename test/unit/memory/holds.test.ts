import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Holds } from '../../../workflows/memory/holds';
import type { PromotionRecord } from '../../../domain/promotion';
import { T0 } from '../../support/facts';

const iso = (ms: number) => new Date(ms).toISOString();
const record: PromotionRecord = {
  from: 'api-qa01',
  to: 'api-st01',
  commit: 'abcdef1234567890',
  sourceVersion: 7,
  artifactId: 'slug-7',
  startedAt: iso(T0),
  outcome: 'verifying',
  previous: { releaseId: 'r6', version: 6, artifactId: 'slug-6' },
};

describe('holds', () => {
  test('a block for the same reason keeps the moment it began', () => {
    const holds = new Holds();
    holds.blockedBy('Heroku answered 503', false, T0);
    holds.blockedBy('Heroku answered 503', false, T0 + 60_000);
    assert.equal(holds.blocked?.since, iso(T0));
  });

  test('a block for another reason begins again', () => {
    const holds = new Holds();
    holds.blockedBy('Heroku answered 503', true, T0);
    holds.blockedBy('GitHub answered 401', false, T0 + 60_000);
    assert.deepEqual(holds.blocked, { reason: 'GitHub answered 401', since: iso(T0 + 60_000), permanent: false });
  });

  test('a resume makes a permanent block worth checking again at once', () => {
    const holds = new Holds();
    holds.blockedBy('token revoked', true, T0);
    holds.resume('ana');
    assert.equal(holds.blocked?.permanent, false);
  });

  test('who resumed shows until the next pause', () => {
    const holds = new Holds();
    holds.pauseBy({ reason: 'incident', by: 'ana' }, T0);
    holds.resume('bo');
    assert.equal(holds.resumedBy, 'bo');
    holds.pauseBy({ reason: 'again', by: 'ana' }, T0 + 1);
    assert.equal(holds.resumedBy, undefined);
  });

  test('a commit is unrejected by any prefix of it, in any case', () => {
    const holds = new Holds();
    holds.reject({ commit: 'abcdef1234567890', reason: 'bad', by: 'ana', at: iso(T0) });
    assert.equal(holds.isRejected('ABCDEF1'), true);
    assert.equal(holds.unreject('abcdef1'), true);
    assert.equal(holds.isRejected('abcdef1234567890'), false);
  });

  test('a failed verification rejects the release and pauses the pipeline, saying what was rolled back', () => {
    const holds = new Holds();
    holds.afterFailedVerification(record, 'alerts: HighErrorRate firing', { version: 8 }, T0);
    assert.equal(holds.isRejected('abcdef1'), true);
    assert.equal(holds.pause?.by, 'conveyor');
    assert.match(holds.pause?.reason ?? '', /verification of abcdef1 in api-st01 failed .*rolled back to v6/);
  });

  test('every hold is listed in one shape', () => {
    const holds = new Holds();
    holds.pauseBy({ reason: 'incident', by: 'ana' }, T0);
    holds.reject({ commit: 'abcdef1', reason: 'bad', by: 'ana', at: iso(T0) });
    assert.deepEqual(
      holds.list({}, false).map((h) => h.kind),
      ['pause', 'rejected'],
    );
  });
});
