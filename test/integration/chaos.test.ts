import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChaos } from '../chaos/chaos';

// A bounded chaos run (test/chaos/chaos.ts): three services, four stages each, a random mix of merges,
// hotfixes, branch pushes, pauses and resumes (client and temporal CLI), freezes, incidents and
// injected Heroku/GitHub faults, with every safety invariant checked after every step against the
// sandbox's own records. CHAOS_SEED replays another plan; `npm run chaos` is the long version.
const seed = Number(process.env.CHAOS_SEED ?? 20_240_601);

test('under random operator actions, incidents and API faults, no promotion breaks a safety invariant', { timeout: 180_000 }, async () => {
  const report = await runChaos({ seed, steps: 45, settleMs: 30_000 });
  const summary = `seed ${seed}: ${report.steps} steps, ${report.promotions.total} promotions, ${report.faults.fired} faults fired (${JSON.stringify(report.faults.firedByKind)})`;
  assert.deepEqual(
    report.violations.map((v) => `[${v.invariant}] step ${v.step}: ${v.description}`),
    [],
    `${summary}; invariants violated`,
  );
  assert.ok(report.promotions.automatic >= 5, `${summary}: too few promotions to show anything`);
  assert.ok(report.faults.fired > 0, `${summary}: no fault fired`);
});
