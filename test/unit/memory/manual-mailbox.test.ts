import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualMailbox } from '../../../workflows/memory/manual-mailbox';
import type { ManualPromotion } from '../../../domain/promotion';

const request = (to: string): ManualPromotion => ({
  to,
  by: 'ana',
  reason: 'hotfix',
  skipGates: false,
  at: '2026-11-20T10:00:00.000Z',
});

describe('manual mailbox', () => {
  test('a request waits until a decision answers it', () => {
    const mailbox = new ManualMailbox();
    mailbox.request(request('api-st01'));
    assert.equal(mailbox.has('api-st01'), true);
    assert.equal(mailbox.answered('api-st01'), false);
    mailbox.settle({ 'api-st01': { started: true, message: 'promoting v7' } });
    assert.equal(mailbox.has('api-st01'), false);
    assert.deepEqual(mailbox.take('api-st01'), { started: true, message: 'promoting v7' });
  });

  test('an answer is taken once', () => {
    const mailbox = new ManualMailbox();
    mailbox.request(request('api-st01'));
    mailbox.settle({ 'api-st01': { started: false, message: 'still held' } });
    mailbox.take('api-st01');
    assert.equal(mailbox.take('api-st01'), undefined);
  });

  test('a decision settles every waiting request, answered or not', () => {
    const mailbox = new ManualMailbox();
    mailbox.request(request('api-st01'));
    mailbox.request(request('api-va01'));
    mailbox.settle({ 'api-st01': { started: false, message: 'still held' } });
    assert.deepEqual([...mailbox.waiting.keys()], []);
  });

  test('a refusal into one stage leaves the others waiting', () => {
    const mailbox = new ManualMailbox();
    mailbox.request(request('api-st01'));
    mailbox.request(request('api-va01'));
    mailbox.refuse('could not be decided in time', 'api-st01');
    assert.deepEqual(mailbox.take('api-st01'), { started: false, message: 'could not be decided in time' });
    assert.equal(mailbox.has('api-va01'), true);
  });

  test('a new request into a stage forgets the answer its last one got', () => {
    const mailbox = new ManualMailbox();
    mailbox.request(request('api-st01'));
    mailbox.refuse('nothing will happen');
    mailbox.request(request('api-st01'));
    assert.equal(mailbox.answered('api-st01'), false);
  });
});
