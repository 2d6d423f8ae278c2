// One status model: approvals, rejections and their undoing are one state per commit and stage,
// the newest decision winning; the CLI's status text never says two things about one stage.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineState } from '../../workflows/pipeline-state';
import { readApproval } from '../../domain/approval';
import { formatStatus, showTimesIn } from '../../client/format';
import type { Service } from '../../domain/service';
import type { PipelineStatus } from '../../domain/status';
import { observe, release, service as base, sha, T0 } from '../support/facts';
import { seeded } from '../support/seeded';

showTimesIn('utc');

const service: Service = {
  ...base,
  checks: {
    'api-eu01': {
      approval: { approvers: [] },
      urls: { urls: ['https://eu.example/health'], timeoutMs: 5000, followRedirects: false },
    },
  },
};
const HOUR = 60 * 60_000;
const old = (commit: string, version: number) =>
  release(commit, { version, createdAt: new Date(T0 - 2 * HOUR).toISOString() });
/** bbb on api-va01 may go on into api-eu01 (aaa): on main and ahead. */
const answers = { [`main...${sha('bbb')}`]: 'behind' as const, [`${sha('aaa')}...${sha('bbb')}`]: 'ahead' as const };

function pipeline() {
  const state = new PipelineState(service);
  state.observed(observe(old('ddd', 4), old('ccc', 3), old('bbb', 2), old('aaa', 1)));
  return state;
}
const pass = (state: PipelineState, now: number) => state.decide(state.plan(now), answers, now);
const approve = (state: PipelineState, now: number, by = 'ana') => {
  const approval = readApproval({ stage: 'api-eu01', by }, state.approvals.stages(state.service), now);
  if (typeof approval !== 'string') state.approvals.approve(approval);
  return approval;
};
const reject = (state: PipelineState, now: number) =>
  state.reject({ commit: sha('bbb'), reason: 'bad migration', by: 'bo', at: new Date(now).toISOString() });
const intoEu = (state: PipelineState) => state.status().pairs.find((p) => p.to === 'api-eu01')!;

describe('status model', () => {
  test('after approve, reject and unreject of one commit, status shows it waiting for approval and not approved', () => {
    const state = pipeline();
    pass(state, T0);
    assert.equal(typeof approve(state, T0 + 1000), 'object');
    pass(state, T0 + 1000);
    reject(state, T0 + 2000);
    pass(state, T0 + 2000);
    state.holds.unreject(sha('bbb'));
    pass(state, T0 + 3000);
    const status = state.status();
    const text = formatStatus(status, T0 + 4000);
    assert.match(text, /WAITING for approval into api-eu01/);
    assert.doesNotMatch(text, /APPROVED/);
    assert.deepEqual(
      status.approvalStates?.map((d) => [d.stage, d.state]),
      [['api-eu01', 'waiting']],
    );
    assert.equal(intoEu(state).verdicts.find((v) => v.gate === 'approval')?.ok, false);
  });

  test('an approved commit that another gate holds is shown approved only, not waiting too', () => {
    const state = pipeline();
    pass(state, T0);
    approve(state, T0);
    state.holds.pauseBy({ reason: 'drill', by: 'ana' }, T0);
    pass(state, T0 + 1000);
    const text = formatStatus(state.status(), T0 + 2000);
    assert.match(text, /APPROVED bbb0000 into api-eu01 by ana/);
    assert.doesNotMatch(text, /WAITING for approval/);
    assert.deepEqual(state.status().waitingForApproval, []);
  });

  test('a gate whose facts were not read because a cheaper gate held is listed as not checked yet', () => {
    const state = pipeline();
    state.holds.pauseBy({ reason: 'drill', by: 'ana' }, T0);
    pass(state, T0);
    const pair = intoEu(state);
    assert.equal(pair.state, 'gated');
    assert.deepEqual(pair.notChecked, [
      { gate: 'ci', heldFirstBy: 'allow' },
      { gate: 'urls', heldFirstBy: 'allow' },
    ]);
    assert.match(formatStatus(state.status(), T0), /^ {4}-- +urls +not checked yet \(held first by allow\)$/m);
  });

  test('each stage says whether it is behind the stage before, and what that one runs', () => {
    const state = new PipelineState(service);
    state.observed(observe(old('bbb', 5), old('bbb', 5), old('aaa', 4), old('aaa', 4)));
    const stages = state.status().stages;
    assert.deepEqual(
      stages.map((s) => s.behind?.stage ?? null),
      [null, null, 'api-st01', null],
    );
    assert.match(formatStatus(state.status(), T0), /^api-va01 .* behind api-st01 \(bbb0000\)$/m);
  });
});

type Message = 'approve' | 'reject' | 'unreject' | 'pause' | 'resume' | 'approve-other';

describe('status model, over generated histories of messages', () => {
  // Each history: messages in random order, each followed by a pass as the workflow makes one.
  const SEEDS = 100;
  const STEPS = 30;
  test(`${SEEDS} histories of ${STEPS} messages: one approval state per stage, the newest decision winning, and the CLI text never contradicting itself`, () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = seeded(seed);
      const state = pipeline();
      let now = T0;
      pass(state, now);
      // The model: the newest decision about bbb at api-eu01, and whether the pipeline is paused.
      let decision: 'none' | 'approved' | 'rejected' = 'none';
      let paused = false;
      const history: Message[] = [];
      for (let step = 0; step < STEPS; step++) {
        now += 1000;
        const message = random.pick<Message>(['approve', 'reject', 'unreject', 'pause', 'resume', 'approve-other']);
        history.push(message);
        if (message === 'approve') {
          if (typeof approve(state, now) !== 'string') decision = 'approved';
          else assert.equal(decision, 'rejected', `seed ${seed}: approve refused while not rejected (${history})`);
        } else if (message === 'approve-other') {
          // A second approver while approved replaces the approval; the state stays approved.
          if (typeof approve(state, now, 'cy') !== 'string') decision = 'approved';
        } else if (message === 'reject') {
          reject(state, now);
          decision = 'rejected';
        } else if (message === 'unreject') {
          if (state.holds.unreject(sha('bbb'))) decision = 'none';
        } else if (message === 'pause') {
          state.holds.pauseBy({ reason: 'drill', by: 'ana' }, now);
          paused = true;
        } else {
          state.holds.resume('ana');
          paused = false;
        }
        const go = pass(state, now);
        const status: PipelineStatus = state.status();
        const where: string = `seed ${seed}, after ${history.join(' ')}`;
        const states = status.approvalStates ?? [];
        assert.ok(states.filter((d) => d.stage === 'api-eu01').length <= 1, `${where}: two approval states`);
        const eu = states.find((d) => d.stage === 'api-eu01');
        const pair = intoEu(state);
        if (decision === 'rejected') {
          assert.equal(eu, undefined, `${where}: a rejected commit keeps an approval state`);
          assert.equal(pair.state, 'held', where);
          assert.ok(!status.approvals.some((a) => a.commit === sha('bbb')), `${where}: rejected yet approved`);
        } else {
          assert.equal(eu?.state, decision === 'approved' ? 'approved' : 'waiting', where);
          const verdict = pair.verdicts.find((v) => v.gate === 'approval');
          assert.equal(verdict?.ok, decision === 'approved', `${where}: the approval gate disagrees with the state`);
        }
        assert.equal(!!status.paused, paused, where);
        if (pair.state === 'gated' || pair.state === 'ready')
          assert.equal(pair.verdicts.find((v) => v.gate === 'allow')?.ok, !paused, where);
        // A release goes into api-eu01 only unpaused and approved.
        assert.equal(
          go.some((g) => g.candidate.pair.to === 'api-eu01'),
          !paused && decision === 'approved',
          `${where}: went while not approved or paused`,
        );
        const text = formatStatus(status, now);
        const waiting = /WAITING for approval into api-eu01/.test(text);
        const approved = /APPROVED \w+ into api-eu01/.test(text);
        assert.ok(!(waiting && approved), `${where}: status shows both WAITING and APPROVED\n${text}`);
        assert.equal(/^PAUSED/m.test(text), paused, where);
      }
    }
  });
});
