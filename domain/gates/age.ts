import { formatDuration } from '../duration';
import { startedAt } from '../soak';
import { hold, pass, type Verdict } from '../verdict';
import type { Candidate, GateContext } from './gate';

/** Whole seconds, UTC: how a moment reads in a reason that must stay true whenever it is read. */
const moment = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Opens once the source's code has soaked on its stage for the service's minimum age, counted from
 * when it started running (soak.ts). Reasons name moments, never "n minutes ago", so they cannot go
 * stale between the pass that judged and the person who reads them.
 */
export function ageGate({ pair, source, soakedSince, wave }: Candidate, { service, now }: GateContext): Verdict | null {
  // Out of a wave of several apps the wave gate judges the soak on each of them.
  if (wave) return null;
  const since = Date.parse(soakedSince ?? startedAt(source));
  const opensAt = since + service.minAgeMs;
  const minimum = formatDuration(service.minAgeMs);
  if (now >= opensAt)
    return pass('age', `v${source.version} has run on ${pair.from} since ${moment(since)} (minAge ${minimum})`);
  return hold(
    'age',
    `v${source.version} has run on ${pair.from} since ${moment(since)}; soaked at ${moment(opensAt)} (minAge ${minimum})`,
    opensAt,
  );
}
