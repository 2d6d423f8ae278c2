// What a window's state costs the workflow thread: every pair of every pass asks for one, and so do
// the status and a promotion's confirmation. Microseconds per windowState, for a blackout alone and
// for weekly windows with a holiday blackout, over instants a second apart.
//   npx tsx bench/window-state.ts [--asks N]
import { parseArgs } from 'node:util';
import { windowState, type WindowPolicy } from '../domain/window';

const { values } = parseArgs({ options: { asks: { type: 'string', default: '2000' } } });
const asks = Number(values.asks);
if (!Number.isInteger(asks) || asks < 1) {
  console.error(`--asks '${values.asks}' is not a positive whole number`);
  process.exit(2);
}

const policies: Record<string, WindowPolicy> = {
  'a blackout': {
    windows: [],
    blackouts: [{ from: '2026-12-07T05:00', to: '2026-12-07T05:30', reason: 'bench', timeZone: 'Europe/Berlin' }],
  },
  'weekly windows and a holiday blackout': {
    windows: [{ days: ['Mon', 'Tue', 'Wed', 'Thu'], start: '09:00', end: '17:00', timeZone: 'America/Los_Angeles' }],
    blackouts: [{ from: '2026-12-24', to: '2026-12-26', reason: 'holidays' }],
  },
};

for (const [name, policy] of Object.entries(policies)) {
  let now = Date.parse('2026-12-07T04:00:00Z');
  const started = process.hrtime.bigint();
  for (let i = 0; i < asks; i++) windowState(policy, (now += 1_000));
  const us = Number(process.hrtime.bigint() - started) / asks / 1_000;
  console.log(`${name}: ${us.toFixed(1)} µs per window state (${asks} asks)`);
}
