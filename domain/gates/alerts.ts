import { sourceNames, type AlertFacts, type FiringAlert } from '../health';
import { hold, pass, type Verdict } from '../verdict';
import type { Gate } from './gate';

/** "HighErrors (0ba9d2ad) firing since ..."; a name that already carries the id is not repeated. */
function describe({ id, name, since }: FiringAlert): string {
  const label = name.includes(id) ? name : `${name} (${id})`;
  return `${label} firing${since ? ` since ${since}` : ''}`;
}

/** Why one source holds promotions; a source that could not be read holds too (fail closed). */
function troubles(facts: AlertFacts): string[] {
  const name = sourceNames[facts.source];
  if (facts.error !== undefined) return [`cannot read ${name}: ${facts.error}`];
  return facts.firing.map((alert) => `${name}: ${describe(alert)}`);
}

/** Holds while any watched alert fires on the target stage. */
export function alertsVerdict(facts: AlertFacts[]): Verdict {
  if (facts.length === 0) return pass('alerts', 'no alert source configured');
  const found = facts.flatMap(troubles);
  if (found.length) return hold('alerts', found.join('; '));
  return pass('alerts', `no alert firing (${facts.map((f) => sourceNames[f.source]).join(', ')})`);
}

/** The target's alerts, where configured. */
export const alertsGate: Gate = ({ pair }, { health }) =>
  health[pair.to]?.alerts ? alertsVerdict(health[pair.to].alerts!) : null;
