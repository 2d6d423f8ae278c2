import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, type Candidate, type GateContext } from '../../domain/gates';
import { ageGate } from '../../domain/gates/age';
import { allowGate } from '../../domain/gates/allow';
import { branchGate } from '../../domain/gates/branch';
import { forwardGate } from '../../domain/gates/forward';
import { release, service, sha, T0 } from '../support/facts';

const candidate = (source = release('bbb', { version: 7 }), target = release('aaa', { version: 3 })): Candidate => ({
  pair: { index: 0, from: 'api-qa01', to: 'api-st01' },
  source,
  target,
});
const context = (overrides: Partial<GateContext> = {}): GateContext => ({
  service,
  now: T0 + 31 * 60_000,
  pause: null,
  freeze: null,
  commits: {},
  health: {},
  ...overrides,
});

describe('age gate', () => {
  test('holds a release younger than minAge and says when it opens', () => {
    const verdict = ageGate(candidate(), context({ now: T0 + 10 * 60_000 }))!;
    assert.equal(verdict.ok, false);
    assert.equal(
      verdict.reason,
      'v7 has run on api-qa01 since 2026-11-20T10:00:00Z; soaked at 2026-11-20T10:30:00Z (minAge 30m)',
    );
    assert.equal(verdict.recheckAt, new Date(T0 + 30 * 60_000).toISOString());
  });

  test('opens at exactly minAge', () => {
    assert.equal(ageGate(candidate(), context({ now: T0 + 30 * 60_000 }))!.ok, true);
  });

  test('counts the soak from when the release started running, not from its creation', () => {
    const slowPhase = release('bbb', { version: 7, startedAt: new Date(T0 + 20 * 60_000).toISOString() });
    const verdict = ageGate(candidate(slowPhase), context({ now: T0 + 31 * 60_000 }))!;
    assert.equal(verdict.ok, false);
    assert.equal(verdict.recheckAt, new Date(T0 + 50 * 60_000).toISOString());
  });

  test('counts from the soak start the plan found (a config-only release does not restart it)', () => {
    const configOnly = release('bbb', { version: 8, startedAt: new Date(T0 + 25 * 60_000).toISOString() });
    const verdict = ageGate(
      { ...candidate(configOnly), soakedSince: new Date(T0).toISOString() },
      context({ now: T0 + 31 * 60_000 }),
    );
    assert.equal(verdict?.ok, true);
  });
});

describe('allow gate', () => {
  test('holds while the service is paused, naming who and why', () => {
    const verdict = allowGate(
      candidate(),
      context({ pause: { reason: 'db migration', by: 'ana', since: '2026-11-20T09:00:00.000Z' } }),
    );
    assert.equal(verdict.ok, false);
    assert.match(verdict.reason, /paused by ana .*: db migration/);
  });

  test('passes when not paused', () => assert.equal(allowGate(candidate(), context()).ok, true));

  test('holds a promotion into an app held alone, naming the app, who and why', () => {
    const held = { 'api-st01': { reason: 'verification failed', by: 'conveyor', since: '2026-11-20T09:00:00.000Z' } };
    const verdict = allowGate(candidate(), context({ held }));
    assert.equal(verdict.ok, false);
    assert.match(verdict.reason, /^api-st01 held by conveyor .*: verification failed/);
  });

  test('passes into an app while another app is held alone', () => {
    const held = { 'api-pr01': { reason: 'verification failed', by: 'conveyor', since: '2026-11-20T09:00:00.000Z' } };
    assert.equal(allowGate(candidate(), context({ held })).ok, true);
  });
});

describe('branch gate', () => {
  const on = (relation: 'behind' | 'identical' | 'ahead' | 'diverged' | 'unknown') =>
    context({ commits: { [`main...${sha('bbb')}`]: relation } });

  test('passes a commit the branch contains', () => {
    assert.equal(branchGate(candidate(), on('behind')).ok, true);
    assert.equal(branchGate(candidate(), on('identical')).ok, true);
  });

  test('holds a commit that is not on the branch', () => {
    const verdict = branchGate(candidate(), on('ahead'));
    assert.deepEqual([verdict.ok, verdict.reason], [false, 'bbb0000 is not on main']);
    assert.equal(branchGate(candidate(), on('diverged')).ok, false);
  });

  test('holds a commit GitHub does not know', () => {
    assert.match(branchGate(candidate(), on('unknown')).reason, /GitHub does not know bbb0000/);
  });

  test('holds a release whose slug has no commit', () => {
    assert.equal(branchGate(candidate(release('bbb', { commit: null })), context()).ok, false);
  });
});

describe('forward gate', () => {
  const compared = (relation: 'ahead' | 'behind' | 'identical' | 'diverged') =>
    context({ commits: { [`${sha('aaa')}...${sha('bbb')}`]: relation } });

  test('passes a source strictly ahead of the target', () =>
    assert.equal(forwardGate(candidate(), compared('ahead')).ok, true));

  test('never overwrites a newer target such as a hotfix', () => {
    const verdict = forwardGate(candidate(), compared('behind'));
    assert.deepEqual(
      [verdict.ok, verdict.reason],
      [false, 'api-st01 runs aaa0000, newer than bbb0000; it is not overwritten'],
    );
  });

  test('holds visibly when histories diverged', () => {
    assert.match(forwardGate(candidate(), compared('diverged')).reason, /diverged/);
  });

  test('passes into a target that runs nothing yet', () => {
    assert.equal(forwardGate({ ...candidate(), target: null }, context()).ok, true);
  });

  test('holds a target whose slug has no commit (a tarball or hand-built hotfix) and says how to overwrite it', () => {
    const verdict = forwardGate(
      candidate(release('bbb', { version: 7 }), release('aaa', { version: 41, commit: null })),
      context(),
    );
    assert.deepEqual(
      [verdict.ok, verdict.reason],
      [false, 'api-st01 runs v41 whose commit is unknown: promote by hand (--skip-gates) to overwrite it'],
    );
  });

  test('holds a target running a release with no slug at all', () => {
    const verdict = forwardGate(
      candidate(release('bbb', { version: 7 }), release('aaa', { version: 2, slugId: null, commit: null })),
      context(),
    );
    assert.equal(verdict.ok, false);
    assert.match(verdict.reason, /runs v2 whose commit is unknown/);
  });
});

describe('judge', () => {
  test('lets a candidate through only when every gate agrees', () => {
    const commits = {
      [`main...${sha('bbb')}`]: 'behind' as const,
      [`${sha('aaa')}...${sha('bbb')}`]: 'ahead' as const,
    };
    const judgement = judge(candidate(), context({ commits }));
    assert.equal(judgement.ok, true);
    assert.deepEqual(
      judgement.verdicts.map((v) => v.gate),
      ['allow', 'age', 'branch', 'forward'],
    );
  });

  test('reports the earliest moment a closed gate opens', () => {
    const commits = {
      [`main...${sha('bbb')}`]: 'behind' as const,
      [`${sha('aaa')}...${sha('bbb')}`]: 'ahead' as const,
    };
    const judgement = judge(candidate(), context({ commits, now: T0 }));
    assert.equal(judgement.ok, false);
    assert.equal(judgement.recheckAt, new Date(T0 + 30 * 60_000).toISOString());
  });
});
