import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INVARIANTS, runChaos, type Invariant } from '../chaos/chaos';

// A bounded chaos run (test/chaos/chaos.ts, plan in test/chaos/plan.ts): three services, four stages
// each (the first laid out in waves, [s1], [s2, s3], [s4], so promotions carry two targets),
// pipelines that continue-as-new every 400 history events, and a random mix of merges, merge
// storms, hotfixes, hand-made releases with no known commit, branch pushes, pauses, freezes,
// incidents, rejections, config changes (minAge, a stage left out, a blackout, malformed payloads),
// manual promotions (some near a handover, some naming a commit), failing release phases and their
// retry, promotions held between decision and POST, and injected Heroku/GitHub faults. Every
// invariant is checked after every step against the sandbox's own records. CHAOS_SEED replays
// another plan; CHAOS_EVIDENCE=DIR keeps what the checker saw and every pipeline history there;
// `npm run chaos` is the long version.
// The default seed's 45 steps include one of every kind of action, a merge storm among them.
const seed = Number(process.env.CHAOS_SEED ?? 53);

/**
 * The invariants main keeps; `npm run chaos` reports every one. Left out: `flow` (a merge storm's
 * releases reach the next stage while it lasts), which main does not keep yet: under steady merging
 * the workflow judges only the newest release of the source (and waits while one is releasing).
 */
const ENFORCED: readonly Invariant[] = INVARIANTS.filter((invariant) => invariant !== 'flow');

test(
  'under random operator actions, config changes, incidents and API faults, no promotion breaks an invariant and no pipeline gets stuck',
  // Twice what it takes on a loaded machine (about 100 s at load 6): a busier one once ran it out.
  { timeout: 360_000 },
  async (t) => {
    const report = await runChaos({
      seed,
      steps: 45,
      settleMs: 30_000,
      waveServices: 1,
      ...(process.env.CHAOS_EVIDENCE ? { evidenceDir: process.env.CHAOS_EVIDENCE } : {}),
    });
    t.diagnostic(
      `seed ${seed}: ${report.promotions.total} promotions (${report.promotions.byHand} by hand, ${report.promotions.severalTargets} into a wave with several targets), faults ${report.faults.injected} injected / ${report.faults.fired} fired, ` +
        `${report.handovers} handovers, updates ${report.updates.answered}/${report.updates.sent} answered, storms ${report.storms.flowed}/${report.storms.run} flowed (${report.storms.exempt} exempt), ` +
        `slow promotions ${report.slowPromotions.caughtInFlight}/${report.slowPromotions.run} held in flight, violations ${JSON.stringify(report.violationsByInvariant)}`,
    );
    const summary = `seed ${seed}: ${report.steps} steps, ${report.promotions.total} promotions, ${report.faults.fired} faults fired (${JSON.stringify(report.faults.firedByKind)}), ${report.handovers} handovers, ${report.updates.answered}/${report.updates.sent} updates answered`;
    assert.deepEqual(
      report.violations
        .filter((v) => ENFORCED.includes(v.invariant))
        .map((v) => `[${v.invariant}] step ${v.step}: ${v.description}`),
      [],
      `${summary}; invariants violated`,
    );
    assert.ok(report.promotions.automatic >= 5, `${summary}: too few promotions to show anything`);
    assert.ok(report.promotions.severalTargets > 0, `${summary}: no promotion into a wave carried several targets`);
    assert.ok(report.faults.fired > 0, `${summary}: no fault fired`);
    assert.ok(report.handovers > 0, `${summary}: no pipeline continued-as-new, so no request met a handover`);
    assert.ok(report.updates.sent > 0, `${summary}: no update was sent`);
  },
);
