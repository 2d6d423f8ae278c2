import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { approvalVerdict, readApproval, type Approval, type ApprovalStage } from '../../domain/approval';
import type { CiFacts, WebhookAnswer, ZeroDowntimeFacts } from '../../domain/checks';
import { ciVerdict } from '../../domain/gates/ci';
import { webhookVerdict } from '../../domain/gates/webhook';
import { zeroDowntimeVerdict } from '../../domain/gates/zero-downtime';

const NOW = Date.parse('2026-11-20T10:00:00Z');
const WAITING = 'def5678'.padEnd(40, '0');
const OTHER = 'abc1234'.padEnd(40, '1');

describe('approval gate', () => {
  const approval = (overrides: Partial<Approval> = {}): Approval => ({
    stage: 'eu01',
    commit: WAITING,
    by: 'ana',
    at: '2026-11-20T09:30:00.000Z',
    ...overrides,
  });
  const waiting = { stage: 'eu01', commit: WAITING, since: '2026-11-20T09:00:00.000Z' };

  test('passes once someone approved this commit into the stage, quoting their comment', () => {
    assert.deepEqual(approvalVerdict('eu01', WAITING, [approval({ comment: 'checked the migration' })], waiting, NOW), {
      gate: 'approval',
      ok: true,
      reason: 'approved by ana at 2026-11-20T09:30:00.000Z: checked the migration',
    });
  });

  test('an approval without a comment says who and when', () => {
    assert.equal(
      approvalVerdict('eu01', WAITING, [approval()], waiting, NOW).reason,
      'approved by ana at 2026-11-20T09:30:00.000Z',
    );
  });

  test('holds while waiting, saying since when and who may approve', () => {
    assert.deepEqual(approvalVerdict('eu01', WAITING, [], waiting, NOW, { approvers: ['ana', 'bo'] }), {
      gate: 'approval',
      ok: false,
      reason: 'waiting for approval since 2026-11-20T09:00:00.000Z (approvers: ana, bo)',
    });
  });

  test('an approval of another commit does not count: a newer release needs a new yes', () => {
    const verdict = approvalVerdict('eu01', WAITING, [approval({ commit: OTHER })], waiting, NOW, { approvers: [] });
    assert.deepEqual(
      [verdict.ok, verdict.reason],
      [false, 'waiting for approval since 2026-11-20T09:00:00.000Z (anyone may approve)'],
    );
  });

  test('an approval into another stage does not count', () => {
    assert.equal(approvalVerdict('eu01', WAITING, [approval({ stage: 'va01' })], waiting, NOW).ok, false);
  });

  test('a commit not yet recorded as waiting waits from now', () => {
    assert.equal(
      approvalVerdict('eu01', WAITING, [], undefined, NOW).reason,
      'waiting for approval since 2026-11-20T10:00:00.000Z',
    );
    assert.equal(
      approvalVerdict('eu01', WAITING, [], { ...waiting, commit: OTHER }, NOW).reason,
      'waiting for approval since 2026-11-20T10:00:00.000Z',
    );
  });

  test('a release without a commit cannot be approved', () => {
    assert.deepEqual(approvalVerdict('eu01', null, [approval()], waiting, NOW), {
      gate: 'approval',
      ok: false,
      reason: 'nothing to approve into eu01: the release has no commit recorded',
    });
  });
});

describe('readApproval', () => {
  const stages: ApprovalStage[] = [
    { stage: 'st01', policy: undefined, waitingCommit: null },
    { stage: 'va01', policy: { approvers: [] }, waitingCommit: null },
    { stage: 'ap01', policy: { approvers: [] }, waitingCommit: WAITING },
    { stage: 'eu01', policy: { approvers: ['ana'] }, waitingCommit: WAITING },
  ];
  const read = (input: unknown) => readApproval(input, stages, NOW);

  test('an approval defaults to the commit waiting, is dated now, and one sent unsigned is administrator access', () => {
    assert.deepEqual(read({ stage: 'ap01', by: 'ana', comment: ' looks good ' }), {
      stage: 'ap01',
      commit: WAITING,
      by: 'ana',
      comment: 'looks good',
      at: '2026-11-20T10:00:00.000Z',
      assurance: 'administrator',
    });
  });

  test('a commit may be given as a 7-digit prefix of the waiting one; the full sha is recorded', () => {
    assert.deepEqual(read({ stage: 'ap01', commit: 'DEF5678', by: 'ana' }), {
      stage: 'ap01',
      commit: WAITING,
      by: 'ana',
      at: '2026-11-20T10:00:00.000Z',
      assurance: 'administrator',
    });
  });

  test('a stage with no approvers listed takes anyone', () => {
    const answer = read({ stage: 'ap01', by: 'bo' });
    assert.equal(typeof answer === 'object' && answer.by, 'bo');
  });

  test('refuses a stage the service does not have', () => {
    assert.equal(
      read({ stage: 'eu02', by: 'ana' }),
      'eu02 is not a stage of this service (stages: st01, va01, ap01, eu01)',
    );
  });

  test('refuses a stage that needs no approval', () => {
    assert.equal(read({ stage: 'st01', by: 'ana' }), 'promotions into st01 need no approval');
  });

  test('refuses when no release is waiting', () => {
    assert.equal(read({ stage: 'va01', by: 'ana' }), 'no release is waiting for approval into va01');
  });

  test('refuses a commit other than the one waiting, naming both', () => {
    assert.equal(
      read({ stage: 'eu01', commit: OTHER, by: 'ana' }),
      'commit abc1234 is not the one waiting for approval into eu01 (def5678 is)',
    );
  });

  test('refuses a commit that is not a sha', () => {
    assert.equal(
      read({ stage: 'eu01', commit: 'def56', by: 'ana' }),
      '"def56" is not a commit sha (7 to 40 hex digits)',
    );
  });

  test('refuses an approval that does not say who approves', () => {
    assert.equal(read({ stage: 'ap01' }), 'an approval must say who approves ("by")');
    assert.equal(read({ stage: 'ap01', by: '  ' }), 'an approval must say who approves ("by")');
  });

  /** The refusal's words; an approval read instead shows as JSON, which no refusal pattern matches. */
  const refusalOf = (answer: unknown) => (typeof answer === 'string' ? answer : JSON.stringify(answer));

  test('refuses a typed name into a stage whose approvers name people, even a listed one (nothing proves it)', () => {
    assert.match(
      refusalOf(read({ stage: 'eu01', by: 'Ana' })),
      /^ana is an approver of eu01, but this approval is not signed by a dashboard: stageChecks\.eu01\.approval\.approvers names people \(ana\)/i,
    );
    assert.match(refusalOf(read({ stage: 'eu01', by: 'bo' })), /^this approval is not signed by a dashboard/);
  });

  test('refuses a request without a stage', () => {
    assert.equal(read({ by: 'ana' }), 'an approval must name the stage it lets a release into');
  });

  test('refuses a comment that is not text', () => {
    assert.equal(read({ stage: 'ap01', by: 'ana', comment: 42 }), 'a comment must be text');
  });

  test('refuses anything but an object, without throwing', () => {
    for (const input of [undefined, null, 'eu01', ['eu01']])
      assert.equal(read(input), 'an approval is {stage, commit?, by, comment?}');
  });
});

describe('zeroDowntime gate', () => {
  const facts = (webDynos: number | null, preboot: boolean | null, error?: string): ZeroDowntimeFacts => ({
    app: 'eu01',
    webDynos,
    preboot,
    ...(error ? { error } : {}),
  });

  test('passes with two web dynos and preboot on', () => {
    assert.deepEqual(zeroDowntimeVerdict('eu01', facts(2, true), 'block'), {
      gate: 'zeroDowntime',
      ok: true,
      reason: 'eu01 runs 2 web dynos with preboot on',
    });
  });

  test('holds naming both shortfalls', () => {
    assert.deepEqual(zeroDowntimeVerdict('eu01', facts(1, false), 'block'), {
      gate: 'zeroDowntime',
      ok: false,
      reason: 'eu01 runs 1 web dyno; preboot is off',
    });
  });

  test('holds on too few web dynos alone', () => {
    assert.equal(zeroDowntimeVerdict('eu01', facts(1, true), 'block').reason, 'eu01 runs 1 web dyno');
  });

  test('an app without web dynos runs 0', () => {
    assert.equal(zeroDowntimeVerdict('eu01', facts(0, true), 'block').reason, 'eu01 runs 0 web dynos');
  });

  test('holds on preboot off alone, naming the stage', () => {
    assert.equal(zeroDowntimeVerdict('eu01', facts(3, false), 'block').reason, 'preboot is off on eu01');
  });

  test('in warn mode a shortfall passes as a warning', () => {
    assert.deepEqual(zeroDowntimeVerdict('eu01', facts(1, false), 'warn'), {
      gate: 'zeroDowntime',
      ok: true,
      reason: 'warning: eu01 runs 1 web dyno; preboot is off',
    });
  });

  test('an app that cannot be read fails closed in block mode', () => {
    assert.deepEqual(zeroDowntimeVerdict('eu01', facts(null, null, "Heroku: Couldn't find that app."), 'block'), {
      gate: 'zeroDowntime',
      ok: false,
      reason: "cannot read the formation of eu01: Heroku: Couldn't find that app.",
    });
  });

  test('an app that cannot be read only warns in warn mode', () => {
    const verdict = zeroDowntimeVerdict('eu01', facts(null, null, 'gone'), 'warn');
    assert.deepEqual([verdict.ok, verdict.reason], [true, 'warning: cannot read the formation of eu01: gone']);
  });
});

describe('zeroDowntime gate per generation', () => {
  const fir = (webDynos: number | null): ZeroDowntimeFacts => ({
    app: 'eu01',
    webDynos,
    preboot: null,
    noPreboot: 'fir',
  });
  const rows: { name: string; facts: ZeroDowntimeFacts; mode: 'block' | 'warn'; ok: boolean; reason: string }[] = [
    {
      name: 'Cedar: two web dynos with preboot on pass',
      facts: { app: 'eu01', webDynos: 2, preboot: true },
      mode: 'block',
      ok: true,
      reason: 'eu01 runs 2 web dynos with preboot on',
    },
    {
      name: 'Fir: two web dynos pass, saying preboot does not apply',
      facts: fir(2),
      mode: 'block',
      ok: true,
      reason: 'eu01 runs 2 web dynos; preboot does not apply on Fir: Private Spaces replace dynos in a rolling way',
    },
    {
      name: 'Fir: one web dyno holds, never for want of preboot',
      facts: fir(1),
      mode: 'block',
      ok: false,
      reason: 'eu01 runs 1 web dyno (preboot does not apply on Fir: Private Spaces replace dynos in a rolling way)',
    },
    {
      name: 'Fir: one web dyno in warn mode passes with a warning',
      facts: fir(1),
      mode: 'warn',
      ok: true,
      reason:
        'warning: eu01 runs 1 web dyno (preboot does not apply on Fir: Private Spaces replace dynos in a rolling way)',
    },
    {
      name: 'Fir: web dynos unknown hold',
      facts: fir(null),
      mode: 'block',
      ok: false,
      reason: "eu01's web dynos are unknown",
    },
    {
      name: 'another generation without preboot is named as Heroku names it',
      facts: { app: 'eu01', webDynos: 3, preboot: null, noPreboot: 'aspen' },
      mode: 'block',
      ok: true,
      reason: 'eu01 runs 3 web dynos; preboot does not apply on aspen',
    },
  ];
  for (const row of rows)
    test(row.name, () =>
      assert.deepEqual(zeroDowntimeVerdict('eu01', row.facts, row.mode), {
        gate: 'zeroDowntime',
        ok: row.ok,
        reason: row.reason,
      }),
    );
});

describe('ci gate', () => {
  const SHA = 'abc1234'.padEnd(40, '9');
  const ci = (facts: Partial<CiFacts> = {}): CiFacts => ({ commit: SHA, checkRuns: [], statuses: [], ...facts });
  const run = (name: string, status: CiFacts['checkRuns'][number]['status'], conclusion: string | null = null) => ({
    name,
    status,
    conclusion,
  });

  test('passes when no CI reported anything', () => {
    assert.deepEqual(ciVerdict(ci()), { gate: 'ci', ok: true, reason: 'no CI checks reported for abc1234' });
  });

  test('passes when every check and status is green, counting them', () => {
    const verdict = ciVerdict(
      ci({
        checkRuns: [run('test', 'completed', 'success'), run('docs', 'completed', 'skipped')],
        statuses: [{ context: 'ci/circleci', state: 'success' }],
      }),
    );
    assert.deepEqual(verdict, { gate: 'ci', ok: true, reason: 'CI passed for abc1234 (3 checks)' });
  });

  test('a neutral conclusion counts as green', () => {
    assert.equal(
      ciVerdict(ci({ checkRuns: [run('lint', 'completed', 'neutral')] })).reason,
      'CI passed for abc1234 (1 check)',
    );
  });

  test('holds naming every failing check and status', () => {
    const verdict = ciVerdict(
      ci({
        checkRuns: [run('test', 'completed', 'failure'), run('build', 'completed', 'success')],
        statuses: [{ context: 'lint', state: 'error' }],
      }),
    );
    assert.deepEqual(verdict, { gate: 'ci', ok: false, reason: 'CI failed for abc1234: test (failure), lint (error)' });
  });

  test('timed out, cancelled and action_required runs are failures', () => {
    const verdict = ciVerdict(
      ci({
        checkRuns: [
          run('e2e', 'completed', 'timed_out'),
          run('deploy', 'completed', 'cancelled'),
          run('review', 'completed', 'action_required'),
        ],
      }),
    );
    assert.equal(
      verdict.reason,
      'CI failed for abc1234: e2e (timed_out), deploy (cancelled), review (action_required)',
    );
  });

  test('a failure is reported even while other checks still run', () => {
    const verdict = ciVerdict(ci({ checkRuns: [run('build', 'in_progress'), run('test', 'completed', 'failure')] }));
    assert.equal(verdict.reason, 'CI failed for abc1234: test (failure)');
  });

  test('holds while checks run, naming them', () => {
    const verdict = ciVerdict(
      ci({
        checkRuns: [run('build', 'in_progress'), run('deploy', 'queued'), run('test', 'completed', 'success')],
        statuses: [{ context: 'ci/circleci', state: 'pending' }],
      }),
    );
    assert.deepEqual(verdict, {
      gate: 'ci',
      ok: false,
      reason: 'waiting for CI on abc1234: build in progress, deploy queued, ci/circleci pending',
    });
  });

  test('holds when GitHub could not say, fail closed', () => {
    assert.deepEqual(ciVerdict(ci({ error: 'GitHub does not know abc1234 in acme/api' })), {
      gate: 'ci',
      ok: false,
      reason: 'cannot read CI for abc1234: GitHub does not know abc1234 in acme/api',
    });
  });
});

describe('webhook gate', () => {
  const answer = (fields: Partial<WebhookAnswer>): WebhookAnswer => ({
    url: 'https://x/check',
    ok: null,
    ms: 12,
    ...fields,
  });

  test('passes when the webhook said ok', () => {
    assert.deepEqual(webhookVerdict(answer({ ok: true, status: 200 })), {
      gate: 'webhook',
      ok: true,
      reason: 'https://x/check said ok',
    });
  });

  test('holds when the webhook said no, quoting its reason', () => {
    assert.deepEqual(webhookVerdict(answer({ ok: false, status: 200, reason: 'change freeze for the launch' })), {
      gate: 'webhook',
      ok: false,
      reason: 'https://x/check said no: change freeze for the launch',
    });
  });

  test('holds when the webhook timed out, naming the cause', () => {
    assert.deepEqual(webhookVerdict(answer({ error: 'timed out after 10000ms', ms: 10_001 })), {
      gate: 'webhook',
      ok: false,
      reason: 'cannot ask https://x/check: timed out after 10000ms',
    });
  });

  test('holds on a non-2xx answer, naming the status', () => {
    assert.equal(
      webhookVerdict(answer({ status: 500, error: 'answered 500 Internal Server Error' })).reason,
      'cannot ask https://x/check: answered 500 Internal Server Error',
    );
  });

  test('holds on an answer that is not JSON', () => {
    assert.equal(webhookVerdict(answer({ status: 200, error: 'answered something that is not JSON' })).ok, false);
  });
});
