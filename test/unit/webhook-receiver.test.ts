import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readDelivery, SeenEvents, signatureMatches, signatureOf } from '../../worker/receiver';

describe('the webhook receiver, piece by piece', () => {
  test('a signature is the base64 HMAC-SHA256 of the raw body: any other body or key does not match', () => {
    const body = Buffer.from('{"id":"e1"}');
    const signature = signatureOf('key', body);
    assert.equal(signatureMatches('key', body, signature), true);
    assert.equal(signatureMatches('key', Buffer.from('{"id": "e1"}'), signature), false);
    assert.equal(signatureMatches('other key', body, signature), false);
    assert.equal(signatureMatches('key', body, undefined), false);
    assert.equal(signatureMatches('key', body, 'short'), false);
  });

  test('remembered events are bounded: beyond the limit the oldest is forgotten', () => {
    const seen = new SeenEvents(2, 60_000);
    seen.add('a', 0);
    seen.add('b', 1);
    seen.add('c', 2);
    assert.deepEqual(
      ['a', 'b', 'c'].map((id) => seen.has(id, 3)),
      [false, true, true],
    );
    assert.equal(seen.size, 2);
  });

  test('remembered events expire after their time (Heroku stops retrying after 72 h)', () => {
    const seen = new SeenEvents(10, 1_000);
    seen.add('a', 0);
    assert.equal(seen.has('a', 999), true);
    assert.equal(seen.has('a', 1_000), false);
    seen.add('b', 0);
    seen.add('c', 5_000);
    assert.equal(seen.size, 1, 'adding sweeps out what expired');
  });

  test('a delivery is read for its event id, resource and app; what is missing is named', () => {
    assert.deepEqual(
      readDelivery(
        JSON.stringify({
          id: 'e1',
          action: 'update',
          resource: 'release',
          data: { app: { id: 'a1', name: 'api-qa01' } },
          webhook_metadata: { event: { id: 'e1' } },
        }),
      ),
      { eventId: 'e1', resource: 'release', action: 'update', app: { id: 'a1', name: 'api-qa01' } },
    );
    assert.equal(readDelivery('[1]'), 'the body is not a JSON object');
    assert.equal(readDelivery('nope'), 'the body is not JSON');
    assert.equal(readDelivery('{"resource": "release"}'), 'no event id (webhook_metadata.event.id or id)');
    assert.equal(readDelivery('{"id": "e", "data": {}}'), 'no resource');
    assert.equal(
      readDelivery('{"id": "e", "resource": "release", "data": {}}'),
      'no app (data.app.id or data.app.name)',
    );
  });
});
