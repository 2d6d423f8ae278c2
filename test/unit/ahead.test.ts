// A promotion decided ahead of the moment its gates open on their own, and posted then. Pure:
// domain/ahead.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DECIDE_AHEAD_MS, opensAhead } from '../../domain/ahead';
import { judge, type Candidate, type GateContext } from '../../domain/gates';
import type { Service } from '../../domain/service';
import { release, service, T0 } from '../support/facts';

const iso = (ms: number) => new Date(ms).toISOString();
const pair = { index: 0, from: 'api-qa01', to: 'api-st01' };
/** A candidate whose soak on api-qa01 ends at `soakEnds`. */
const soakingUntil = (soakEnds: number): Candidate => ({
  pair,
  source: release('bbb', { version: 2, id: 'r2', createdAt: iso(soakEnds - service.minAgeMs) }),
  target: release('aaa'),
});
const context = (overrides: Partial<GateContext> = {}, config: Service = service): GateContext => ({
  service: config,
  now: T0,
  pause: null,
  freeze: null,
  commits: {
    'main...bbb0000000000000000000000000000000000000': 'behind',
    'aaa0000000000000000000000000000000000000...bbb0000000000000000000000000000000000000': 'ahead',
  },
  health: {},
  ...overrides,
});
/** A blackout from 09:00 UTC on the day of T0 (10:00) up to `to` ('HH:MM'). */
const blackoutUntil = (to: string): Service => ({
  ...service,
  windows: { windows: [], blackouts: [{ from: '2026-11-20T09:00', to: `2026-11-20T${to}`, reason: 'launch' }] },
});
const blackoutEnds = Date.parse('2026-11-20T10:01:00Z');

describe('the moment a closed candidate may be posted, decided ahead', () => {
  const soon = T0 + DECIDE_AHEAD_MS - 500;
  const rows: { name: string; candidate: Candidate; context: GateContext; expected: number | undefined }[] = [
    {
      name: 'a candidate that goes now: none',
      candidate: soakingUntil(T0 - 1),
      context: context(),
      expected: undefined,
    },
    {
      name: 'a soak that ends within the margin: when it ends',
      candidate: soakingUntil(soon),
      context: context(),
      expected: soon,
    },
    {
      name: 'a soak that ends further ahead: none',
      candidate: soakingUntil(T0 + DECIDE_AHEAD_MS + 1),
      context: context(),
      expected: undefined,
    },
    {
      name: 'a soak that ends within the margin while the pipeline is paused: none',
      candidate: soakingUntil(soon),
      context: context({ pause: { reason: 'db migration', by: 'ana', since: iso(T0) } }),
      expected: undefined,
    },
    {
      name: 'a blackout that ends within the margin: when it ends',
      candidate: soakingUntil(T0 - 1),
      context: context({ now: blackoutEnds - 1_500 }, blackoutUntil('10:01')),
      expected: blackoutEnds,
    },
    {
      name: 'a soak that ends within the margin inside a blackout that lasts: none',
      candidate: soakingUntil(soon),
      context: context({}, blackoutUntil('11:00')),
      expected: undefined,
    },
  ];
  for (const row of rows)
    test(row.name, () => {
      const judgement = judge(row.candidate, row.context);
      assert.equal(opensAhead(row.candidate, row.context, judgement), row.expected);
    });
});
