// What the CLI prints is computed when it is shown: these read the formatting on its own (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainWhy, formatList, formatStatus, showTimesIn } from '../../client/format';
import type { PipelineStatus } from '../../domain/status';

showTimesIn('utc');
const at = Date.parse('2026-12-01T10:00:00Z');
const iso = (offsetS: number) => new Date(at + offsetS * 1000).toISOString();

const gated = (): PipelineStatus => ({
  service: 'api',
  pipeline: 'api',
  branch: 'main',
  stages: [
    { stage: 'api-qa01', version: 2, commit: 'b'.repeat(40), status: 'succeeded', releasedAt: iso(-14) },
    { stage: 'api-st01', version: 1, commit: 'a'.repeat(40), status: 'succeeded', releasedAt: iso(-3600) },
  ],
  currentStage: { stage: 'api-qa01', index: 0, commit: 'b'.repeat(40), version: 2 },
  paused: null,
  frozen: null,
  ignoresFreeze: false,
  blocked: null,
  rejected: [],
  approvals: [],
  waitingForApproval: [],
  pairs: [
    {
      from: 'api-qa01',
      to: 'api-st01',
      state: 'gated',
      reason: 'v2 (bbbbbbb) differs from api-st01',
      verdicts: [
        { gate: 'allow', ok: true, reason: 'promotions are not paused or frozen' },
        {
          gate: 'age',
          ok: false,
          reason: 'v2 has run on api-qa01 since 2026-12-01T09:59:46Z; soaked at 2026-12-01T10:00:06Z (minAge 20s)',
          recheckAt: iso(6),
        },
      ],
      recheckAt: iso(6),
    },
  ],
  inFlight: [],
  history: [],
  observedAt: iso(-2),
  nextCheckAt: iso(6),
});

test('a verdict opens "in 6s" when shown 6 s before its recheck time', () => {
  assert.match(formatStatus(gated(), at), /HOLD age .*\(opens 2026-12-01 10:00:06 UTC \(in 6s\)\)$/m);
});

test('shown after its recheck time, the same verdict is due now, never "opens in" a past moment', () => {
  const text = formatStatus(gated(), at + 10_000);
  assert.match(text, /HOLD age .*\(due now, at the next look\)$/m);
  assert.doesNotMatch(text, /opens in|ago\)$/m);
});

test('status shows one next look, not a recheck time per pair', () => {
  const text = formatStatus(gated(), at);
  assert.equal(text.match(/next look/g)?.length, 1);
  assert.match(text, /observed 2026-12-01 09:59:58 UTC \(2s ago\); next look in 6s$/);
  assert.doesNotMatch(text, /rechecked/);
});

test('why names the gate, since when, when it opens, and the command that overrides it, one line per gate', () => {
  const why = explainWhy(gated(), undefined, at);
  assert.equal(
    why.text,
    [
      'api: bbbbbbb (v2) has been on api-qa01 since 2026-12-01 09:59:46 UTC (14s ago) and waits to enter api-st01, held by 1 gate:',
      '  age: v2 has run on api-qa01 since 2026-12-01 09:59:46 UTC (14s ago); soaked at 2026-12-01 10:00:06 UTC (in 6s) (minAge 20s)' +
        ' | opens with time alone, 2026-12-01 10:00:06 UTC (in 6s)' +
        ' | run: conveyor promote api --to api-st01 --reason "..." (overrules the waiting gates (pause, freeze, window, age, wave) only)',
      'Every holding gate opens by itself 2026-12-01 10:00:06 UTC (in 6s).',
      'Next look in 6s.',
    ].join('\n'),
  );
});

test('why speaks one time format: every moment as a wall clock with its zone and how far from now', () => {
  const status = gated();
  status.pairs[0].verdicts.push({
    gate: 'window',
    ok: false,
    reason: 'outside Mon-Thu 09:00-16:00 America/Los_Angeles; opens Mon 2026-12-07 09:00 PST',
    recheckAt: '2026-12-07T17:00:00.000Z',
  });
  const { text } = explainWhy(status, undefined, at);
  assert.doesNotMatch(text, /\d\dZ\b|\.\d{3}Z|PST|\bin \d+h\b(?!\))/);
  assert.match(
    text,
    /window: outside Mon-Thu 09:00-16:00 America\/Los_Angeles \| opens with time alone, 2026-12-07 17:00:00 UTC \(in 6d\)/,
  );
});

test('why, when an approval holds, says to approve and never offers --skip-gates', () => {
  const status = gated();
  status.pairs[0].verdicts = [
    { gate: 'allow', ok: true, reason: 'promotions are not paused or frozen' },
    { gate: 'approval', ok: false, reason: 'waiting for approval since 2026-12-01T09:59:50.000Z (anyone may approve)' },
  ];
  const why = explainWhy(status, undefined, at);
  assert.deepEqual(why.commands, ['conveyor approve api --to api-st01']);
  assert.doesNotMatch(why.text, /--skip-gates/);
  assert.match(
    why.text,
    /^ {2}approval: waiting for approval since 2026-12-01 09:59:50 UTC \(10s ago\) .* \| run: conveyor approve api --to api-st01$/m,
  );
});

test('why lists the holding gates most important first: what a person ends before what time opens', () => {
  const status = gated();
  status.pairs[0].verdicts.push({ gate: 'approval', ok: false, reason: 'waiting for approval' });
  status.pairs[0].verdicts.unshift({
    gate: 'allow',
    ok: false,
    reason: 'paused by ana since 2026-12-01T09:00:00.000Z: drill',
  });
  const why = explainWhy(status, undefined, at);
  assert.deepEqual(
    why.lines.map((l) => l.gate),
    ['allow', 'approval', 'age'],
  );
  assert.deepEqual(why.commands, ['conveyor resume api', 'conveyor approve api --to api-st01']);
});

test('why lists the gates not checked yet, naming the gate that held first', () => {
  const status = gated();
  status.pairs[0].notChecked = [{ gate: 'urls', heldFirstBy: 'age' }];
  assert.match(explainWhy(status, undefined, at).text, /^ {2}urls: not checked yet \(held first by age\)$/m);
});

test('why with a safety gate holding offers --skip-gates, saying every gate it skips', () => {
  const status = gated();
  status.pairs[0].verdicts[1] = { gate: 'ci', ok: false, reason: 'check "build" failed' };
  const why = explainWhy(status, undefined, at);
  assert.equal(why.opensAt, null);
  assert.match(
    why.text,
    /ci: check "build" failed \| opens with the commit's CI going green \| run: conveyor promote api --to api-st01 --reason "\.\.\." --skip-gates --yes \(overrules every gate, safety gates included \(ci\)\)/,
  );
});

test('why when every pair is in sync says nothing waits', () => {
  const status = gated();
  status.pairs[0] = { from: 'api-qa01', to: 'api-st01', state: 'in-sync', reason: 'both run v2', verdicts: [] };
  assert.match(explainWhy(status, undefined, at).text, /^api: nothing is waiting, every pair is in sync/);
});

test("status names the pipeline's generation once observed", () => {
  assert.match(
    formatStatus({ ...gated(), generation: 'fir' }, at),
    /^api {2}\(pipeline api, branch main, generation fir\): /,
  );
  assert.doesNotMatch(formatStatus(gated(), at), /generation/);
});

test('list shows a generation column once a pipeline runs on another generation than Cedar', () => {
  const row = { service: 'api', workflowId: 'conveyor/api', paused: false, stage: 'api-qa01', startTime: iso(0) };
  assert.doesNotMatch(formatList([row]), /GENERATION/);
  assert.doesNotMatch(formatList([{ ...row, generation: 'cedar' }]), /GENERATION/);
  const text = formatList([
    { ...row, generation: 'fir' },
    { ...row, service: 'web', workflowId: 'conveyor/web' },
  ]);
  assert.match(text, /^SERVICE +GENERATION +NEWEST AT/);
  assert.match(text, /^api +fir +api-qa01/m);
  assert.match(text, /^web +- +api-qa01/m);
});

test('an app held alone shows in status, and why tells the resume of that app only', () => {
  const hold = { reason: 'verification of bbbbbbb in api-st01 failed (urls: 503); not rolled back', by: 'conveyor' };
  const held = gated();
  held.held = { 'api-st01': { ...hold, since: iso(-60) } };
  held.pairs[0].verdicts = [
    { gate: 'allow', ok: false, reason: `api-st01 held by conveyor since ${iso(-60)}: ${hold.reason}` },
  ];
  assert.match(formatStatus(held, at), /^HELD api-st01 by conveyor .*: verification of bbbbbbb in api-st01 failed/m);
  assert.match(
    explainWhy(held, 'api-st01', at).text,
    /opens with a resume of api-st01 \| run: conveyor resume api --stage api-st01$/m,
  );
});
