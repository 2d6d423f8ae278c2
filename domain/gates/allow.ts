import { hold, pass, type Verdict } from '../verdict';
import type { Candidate, GateContext } from './gate';

/** Closed while promotions are paused for the service. */
export function allowGate(_candidate: Candidate, { pause }: GateContext): Verdict {
  if (pause) return hold('allow', `paused by ${pause.by} since ${pause.since}: ${pause.reason}`);
  return pass('allow', 'promotions are not paused');
}
