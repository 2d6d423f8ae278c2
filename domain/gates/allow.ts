import { hold, pass, type Verdict } from '../verdict';
import type { Candidate, GateContext } from './gate';

/** Closed while promotions are paused for the service, or frozen for everyone. */
export function allowGate(_candidate: Candidate, { pause, freeze }: GateContext): Verdict {
  if (freeze) return hold('allow', `frozen by ${freeze.by} since ${freeze.since}: ${freeze.reason}`);
  if (pause) return hold('allow', `paused by ${pause.by} since ${pause.since}: ${pause.reason}`);
  return pass('allow', 'promotions are not paused or frozen');
}
