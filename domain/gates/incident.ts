import { concernsStage, passesUnread, sourceNames, type IncidentFacts, type OpenIncident } from '../health';
import { hold, pass, type Verdict } from '../verdict';
import type { Gate } from './gate';

const describe = ({ title, impact }: OpenIncident): string =>
  impact ? `'${title}' (${impact}) open` : `incident '${title}' open`;

/** Why one source holds promotions; a source that could not be read holds too (fail closed). */
function troubles(facts: IncidentFacts): string[] {
  const name = sourceNames[facts.source];
  if (facts.error !== undefined) return passesUnread(facts) ? [] : [`cannot read ${name}: ${facts.error}`];
  return [
    ...facts.incidents.map((incident) => `${name}: ${describe(incident)}`),
    ...facts.degraded.map(({ system, status }) => `${name}: ${system} is ${status}`),
  ];
}

/**
 * Holds while any source reports an open incident or a degraded system: no deploys into an outage.
 * Given a stage, a source that names its stages (PagerDuty) counts only for those.
 */
export function incidentVerdict(all: IncidentFacts[], stage?: string): Verdict {
  const facts = stage === undefined ? all : all.filter((f) => concernsStage(f, stage));
  if (facts.length === 0) return pass('incident', 'no incident source configured');
  const found = facts.flatMap(troubles);
  if (found.length) return hold('incident', found.join('; '));
  const read = facts.filter((f) => f.error === undefined).map((f) => sourceNames[f.source]);
  const quiet = read.length ? `no open incident (${read.join(', ')})` : 'no source could be read';
  const warned = facts
    .filter(passesUnread)
    .map((f) => `cannot read ${sourceNames[f.source]}: ${f.error} (passing as configured)`);
  return pass('incident', warned.length ? `warning: ${warned.join('; ')}; ${quiet}` : quiet);
}

/** Open incidents of the configured status pages and incident tools. */
export const incidentGate: Gate = ({ pair }, { health }) =>
  health[pair.to]?.incident ? incidentVerdict(health[pair.to].incident!, pair.to) : null;
