import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Go } from '../../domain/decision';
import type { Pause } from '../../domain/pause';
import { DECISION_TTL_MS, withdrawal, type DecidedPromotion, type Standing } from '../../domain/standing';
import { release, service, sha, T0 } from '../support/facts';

const pair = { from: 'api-qa01', to: 'api-st01', index: 0 };
const soaked = release('bbb', { version: 2, id: 'r2', createdAt: new Date(T0 - 60 * 60_000).toISOString() });
const young = release('bbb', { version: 2, id: 'r2', createdAt: new Date(T0 - 60_000).toISOString() });
const onMainAndAhead = {
  [`main...${sha('bbb')}`]: 'behind' as const,
  [`${sha('aaa')}...${sha('bbb')}`]: 'ahead' as const,
};
const offBranch = { ...onMainAndAhead, [`main...${sha('bbb')}`]: 'ahead' as const };
const pause: Pause = { reason: 'investigating', by: 'bo', since: new Date(T0 - 5_000).toISOString() };
const laterPause: Pause = { ...pause, since: new Date(T0 + 1_000).toISOString() };
const byHand = (skipGates = false): Go['manual'] => ({
  to: 'api-st01',
  reason: 'hotfix',
  by: 'ana',
  skipGates,
  at: new Date(T0).toISOString(),
  skippedGates: [],
});

function decided(source = soaked, overrides: Partial<DecidedPromotion> = {}, manual?: Go['manual']): DecidedPromotion {
  return {
    go: { candidate: { pair, source, target: release('aaa') }, ...(manual ? { manual } : {}) },
    decidedAt: T0,
    configVersion: 1,
    overruled: { pause: null, freeze: null },
    commits: onMainAndAhead,
    ...overrides,
  };
}

function standing(overrides: Partial<Standing> = {}): Standing {
  return {
    service,
    configVersion: 1,
    pause: null,
    freeze: null,
    rejected: [],
    commits: {},
    health: {},
    approvals: { given: [], waiting: {} },
    ...overrides,
  };
}

describe('does a decided promotion still stand right before its POST: one row per branch', () => {
  const now = T0 + 2_000;
  const rows: { name: string; decided: DecidedPromotion; standing: Standing; now?: number; withdrawn?: RegExp }[] = [
    { name: 'nothing changed since the decision: it stands', decided: decided(), standing: standing() },
    {
      name: 'it waited longer than a decision stands: decided again',
      decided: decided(),
      standing: standing(),
      now: T0 + DECISION_TTL_MS + 1_000,
      withdrawn: /^decided 121s ago, longer than the 120s a decision stands/,
    },
    {
      name: 'the configuration changed since',
      decided: decided(),
      standing: standing({ configVersion: 2 }),
      withdrawn: /^the configuration changed since the decision$/,
    },
    {
      name: 'its commit was rejected since',
      decided: decided(),
      standing: standing({ rejected: [{ commit: sha('bbb'), reason: 'breaks login', by: 'bo', at: '' }] }),
      withdrawn: /^bbb0000 was rejected by bo: breaks login$/,
    },
    {
      name: 'a pause began since',
      decided: decided(),
      standing: standing({ pause }),
      withdrawn: /^paused by bo since .*: investigating$/,
    },
    {
      name: 'a freeze began since',
      decided: decided(),
      standing: standing({ freeze: pause }),
      withdrawn: /^frozen by bo since .*: investigating$/,
    },
    {
      name: 'a service that ignores freezes is not withdrawn by one',
      decided: decided(),
      standing: standing({ freeze: pause, service: { ...service, ignoreFreeze: true } }),
    },
    {
      name: 'a promotion by hand keeps overruling the pause it overruled',
      decided: decided(soaked, { overruled: { pause, freeze: null } }, byHand()),
      standing: standing({ pause }),
    },
    {
      name: 'a promotion by hand is withdrawn by a pause that began after it',
      decided: decided(soaked, { overruled: { pause, freeze: null } }, byHand()),
      standing: standing({ pause: laterPause }),
      withdrawn: /^paused by bo/,
    },
    {
      name: 'a gate closed on the newest facts',
      decided: decided(young),
      standing: standing(),
      withdrawn: /^age: v2 has run on api-qa01 since/,
    },
    {
      name: 'a promotion by hand overrules the waiting gates it overruled',
      decided: decided(young, {}, byHand()),
      standing: standing(),
    },
    {
      name: 'a promotion by hand without --skip-gates does not overrule a safety gate',
      decided: decided(soaked, { commits: offBranch }, byHand()),
      standing: standing(),
      withdrawn: /^branch: /,
    },
    {
      name: 'a promotion by hand with --skip-gates overrules every gate',
      decided: decided(young, { commits: offBranch }, byHand(true)),
      standing: standing(),
    },
  ];
  for (const row of rows)
    test(row.name, () => {
      const reason = withdrawal(row.decided, row.standing, row.now ?? now);
      if (row.withdrawn) assert.match(reason ?? 'it stands', row.withdrawn);
      else assert.equal(reason, undefined);
    });
});
