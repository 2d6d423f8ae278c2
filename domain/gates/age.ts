import { formatDuration } from '../duration';
import { hold, pass, type Verdict } from '../verdict';
import type { Candidate, GateContext } from './gate';

/** Opens once the source release has soaked on its stage for the service's minimum age. */
export function ageGate({ source }: Candidate, { service, now }: GateContext): Verdict {
  const opensAt = Date.parse(source.createdAt) + service.minAgeMs;
  const age = now - Date.parse(source.createdAt);
  if (now >= opensAt) return pass('age', `v${source.version} is ${formatDuration(age)} old (minimum ${formatDuration(service.minAgeMs)})`);
  return hold('age', `v${source.version} is ${formatDuration(age)} old; needs ${formatDuration(service.minAgeMs)}`, opensAt);
}
