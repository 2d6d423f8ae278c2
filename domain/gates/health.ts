import type { Verdict } from '../verdict';
import type { Gate, TargetHealth } from './gate';
import { alertsVerdict } from './alerts';
import { incidentVerdict } from './incident';
import { urlsVerdict } from './urls';

/** The health gates judge facts gathered for the target stage; they apply only where configured. */
export const incidentGate: Gate = ({ pair }, { health }) => (health[pair.to]?.incident ? incidentVerdict(health[pair.to].incident!) : null);
export const alertsGate: Gate = ({ pair }, { health }) => (health[pair.to]?.alerts ? alertsVerdict(health[pair.to].alerts!) : null);
export const urlsGate: Gate = ({ pair }, { health }) => (health[pair.to]?.urls ? urlsVerdict(health[pair.to].urls!) : null);

/** The first health verdict that fails while a fresh release bakes on its stage (alerts, then URLs). */
export function bakeVerdict(health: TargetHealth | undefined): Verdict | undefined {
  if (!health) return undefined;
  return [health.alerts && alertsVerdict(health.alerts), health.urls && urlsVerdict(health.urls)].find((v): v is Verdict => !!v && !v.ok);
}
