import type { Verdict } from '../verdict';
import { alertsVerdict } from './alerts';
import type { TargetHealth } from './gate';
import { urlsVerdict } from './urls';

/** The first health verdict that fails while a fresh release bakes on its stage (alerts, then URLs). */
export function bakeVerdict(health: TargetHealth | undefined): Verdict | undefined {
  if (!health) return undefined;
  return [health.alerts && alertsVerdict(health.alerts), health.urls && urlsVerdict(health.urls)].find(
    (v): v is Verdict => !!v && !v.ok,
  );
}
