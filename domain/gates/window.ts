import { hold, pass, type Verdict } from '../verdict';
import { windowState, type WindowPolicy } from '../window';

/** Passes inside a deploy window and outside every blackout; a hold says when the gate next opens. */
export function windowVerdict(policy: WindowPolicy, now: number): Verdict {
  const state = windowState(policy, now);
  return state.open ? pass('window', state.reason) : hold('window', state.reason, state.changesAt);
}
