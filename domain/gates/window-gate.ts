import type { Gate } from './gate';
import { windowVerdict } from './window';

/** Deploy windows and blackouts apply to services that configure any. */
export const windowGate: Gate = (_candidate, { service, now }) => {
  const policy = service.windows;
  if (!policy || (policy.windows.length === 0 && policy.blackouts.length === 0)) return null;
  return windowVerdict(policy, now);
};
