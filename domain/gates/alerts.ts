import { passesUnread, sourceNames, type AlertFacts, type FiringAlert } from '../health';
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
  if (facts.error !== undefined) return passesUnread(facts) ? [] : [`cannot read ${name}: ${facts.error}`];
  return facts.firing.map((alert) => `${name}: ${describe(alert)}`);
}

/** Sources that did not answer but are told to pass: a warning each. */
const warnings = (facts: AlertFacts[]): string[] =>
  facts.filter(passesUnread).map((f) => `cannot read ${sourceNames[f.source]}: ${f.error} (passing as configured)`);

/** Holds while any watched alert fires on the target stage. */
export function alertsVerdict(facts: AlertFacts[]): Verdict {
  if (facts.length === 0) return pass('alerts', 'no alert source configured');
  const found = facts.flatMap(troubles);
  if (found.length) return hold('alerts', found.join('; '));
  const read = facts.filter((f) => f.error === undefined).map((f) => sourceNames[f.source]);
  const quiet = read.length ? `no alert firing (${read.join(', ')})` : 'no source could be read';
  const warned = warnings(facts);
  return pass('alerts', warned.length ? `warning: ${warned.join('; ')}; ${quiet}` : quiet);
}

/** The target's alerts, where configured. */
export const alertsGate: Gate = ({ pair }, { health }) =>
  health[pair.to]?.alerts ? alertsVerdict(health[pair.to].alerts!) : null;
