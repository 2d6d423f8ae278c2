import { hold, pass, type Verdict } from '../verdict';
import { windowState, type WindowPolicy } from '../window';
import type { Gate } from './gate';

/** Passes inside a deploy window and outside every blackout; a hold says when the gate next opens. */
export function windowVerdict(policy: WindowPolicy, now: number): Verdict {
  const state = windowState(policy, now);
  return state.open ? pass('window', state.reason) : hold('window', state.reason, state.changesAt);
}

/** Deploy windows and blackouts apply to services that configure any. */
export const windowGate: Gate = (_candidate, { service, now }) => {
  const policy = service.windows;
  if (!policy || (policy.windows.length === 0 && policy.blackouts.length === 0)) return null;
  return windowVerdict(policy, now);
};
