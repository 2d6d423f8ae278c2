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

  test('a failed verification in an app of a wave holds that app only, not the pipeline', () => {
    const holds = new Holds();
    holds.afterFailedVerification(record, 'urls: 503', null, T0, 'app');
    assert.equal(holds.isRejected('abcdef1'), true);
    assert.equal(holds.pause, null);
    assert.equal(holds.held['api-st01']?.by, 'conveyor');
    assert.match(
      holds.held['api-st01']?.reason ?? '',
      /verification of abcdef1 in api-st01 failed \(urls: 503\); not rolled back/,
    );
  });

  test('a resume of one app lifts that app only, and says when it was not held', () => {
    const holds = new Holds();
    holds.pauseBy({ reason: 'incident', by: 'ana' }, T0);
    holds.holdApp('api-va01', { reason: 'failed', by: 'conveyor' }, T0);
    holds.holdApp('api-va02', { reason: 'failed', by: 'conveyor' }, T0);
    assert.equal(holds.resume('bo', 'api-va01'), 'resumed api-va01');
    assert.deepEqual(Object.keys(holds.held), ['api-va02']);
    assert.equal(holds.paused, true);
    assert.equal(holds.resume('bo', 'api-va01'), 'api-va01 was not held');
  });

  test('a resume of the service lifts its pause and every app held alone', () => {
    const holds = new Holds();
    holds.pauseBy({ reason: 'incident', by: 'ana' }, T0);
    holds.holdApp('api-va02', { reason: 'failed', by: 'conveyor' }, T0);
    assert.equal(holds.resume('bo'), 'resumed the pipeline, api-va02');
    assert.deepEqual(holds.held, {});
    assert.equal(holds.paused, false);
  });

  test('an app held alone is listed as a pause of that stage', () => {
    const holds = new Holds();
    holds.holdApp('api-va02', { reason: 'failed', by: 'conveyor' }, T0);
    assert.deepEqual(
      holds.list({}, false).map((h) => [h.kind, h.stage]),
      [['pause', 'api-va02']],
    );
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
