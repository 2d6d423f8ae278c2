// Notices are what the status shows changed: one row per kind of difference.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { noticesBetween, type NoticeBasis } from '../../domain/notice';
import type { PromotionRecord } from '../../domain/promotion';
import { sha } from '../support/facts';

const quiet: NoticeBasis = {
  service: 'api',
  paused: null,
  frozen: null,
  blocked: null,
  approvals: [],
  pairs: [],
  inFlight: [],
  history: [],
};
const record: PromotionRecord = {
  from: 'api-qa01',
  to: 'api-st01',
  commit: sha('bbb'),
  sourceVersion: 7,
  artifactId: 'slug-bbb',
  startedAt: '2026-11-20T10:00:00.000Z',
  outcome: 'in-flight',
  decisionId: 'api-st01@1',
};
const ended = (outcome: PromotionRecord['outcome'], extra: Partial<PromotionRecord> = {}) => ({
  before: { ...quiet, inFlight: [record] },
  after: { ...quiet, history: [{ ...record, outcome, ...extra }] },
});
const freeze = { reason: 'launch', by: 'ops', since: '2026-11-20T10:00:00.000Z' };

describe('the notices between two statuses', () => {
  const rows: { name: string; before: NoticeBasis; after: NoticeBasis; texts: string[] }[] = [
    { name: 'nothing changed: nothing told', before: quiet, after: quiet, texts: [] },
    {
      name: 'a freeze began',
      before: quiet,
      after: { ...quiet, frozen: freeze },
      texts: ['api: frozen by ops: launch'],
    },
    {
      name: 'the freeze was lifted',
      before: { ...quiet, frozen: freeze },
      after: quiet,
      texts: ['api: freeze lifted'],
    },
    {
      name: 'an approval was given',
      before: quiet,
      after: {
        ...quiet,
        approvals: [{ stage: 'api-eu01', commit: sha('bbb'), by: 'ana', comment: 'ok', at: '2026-11-20T10:00:00Z' }],
      },
      texts: ['api: bbb0000 approved into api-eu01 by ana: ok'],
    },
    {
      name: 'a promotion started',
      before: quiet,
      after: { ...quiet, inFlight: [record] },
      texts: ['api: promoting v7 (bbb0000) api-qa01 -> api-st01'],
    },
    {
      name: 'a promotion succeeded',
      ...ended('succeeded', { targetVersion: 12 }),
      texts: ['api: promoted bbb0000 api-qa01 -> api-st01 as v12'],
    },
    {
      name: 'a promotion was withdrawn before its POST',
      ...ended('withdrawn', { error: 'paused by ana: x' }),
      texts: ['api: promotion of bbb0000 api-qa01 -> api-st01 withdrawn before it was posted: paused by ana: x'],
    },
    {
      name: 'a promotion stopped before its POST',
      ...ended('not-posted', { error: 'Heroku answered 401' }),
      texts: ['api: promotion bbb0000 api-qa01 -> api-st01 was not posted: Heroku answered 401'],
    },
    { name: 'a promotion superseded by a change of its target: nothing told', ...ended('superseded'), texts: [] },
    {
      name: 'a pair held by a gate, then no longer',
      before: {
        ...quiet,
        pairs: [
          {
            from: 'api-qa01',
            to: 'api-st01',
            state: 'gated',
            reason: '',
            verdicts: [{ gate: 'age', ok: false, reason: 'too young' }],
          },
        ],
      },
      after: { ...quiet, pairs: [{ from: 'api-qa01', to: 'api-st01', state: 'in-sync', reason: '', verdicts: [] }] },
      texts: ['api: api-qa01 -> api-st01 no longer held'],
    },
  ];
  for (const row of rows)
    test(row.name, () =>
      assert.deepEqual(
        noticesBetween(row.before, row.after).map((n) => n.text),
        row.texts,
      ),
    );
});
