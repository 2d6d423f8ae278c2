import { hold, pass, type Verdict } from '../verdict';
import type { Candidate, GateContext } from './gate';

/** Closed while promotions are paused for the service, or frozen for everyone, or the target app is held alone. */
export function allowGate(candidate: Candidate, { pause, freeze, held }: GateContext): Verdict {
  if (freeze) return hold('allow', `frozen by ${freeze.by} since ${freeze.since}: ${freeze.reason}`);
  if (pause) return hold('allow', `paused by ${pause.by} since ${pause.since}: ${pause.reason}`);
  const app = held?.[candidate.pair.to];
  if (app) return hold('allow', `${candidate.pair.to} held by ${app.by} since ${app.since}: ${app.reason}`);
  return pass('allow', 'promotions are not paused or frozen');
}
