import { sourceNames, type IncidentFacts, type OpenIncident } from '../health';
import { hold, pass, type Verdict } from '../verdict';
import type { Gate } from './gate';

const describe = ({ title, impact }: OpenIncident): string =>
  impact ? `'${title}' (${impact}) open` : `incident '${title}' open`;

/** Why one source holds promotions; a source that could not be read holds too (fail closed). */
function troubles(facts: IncidentFacts): string[] {
  const name = sourceNames[facts.source];
  if (facts.error !== undefined) return [`cannot read ${name}: ${facts.error}`];
  return [
    ...facts.incidents.map((incident) => `${name}: ${describe(incident)}`),
    ...facts.degraded.map(({ system, status }) => `${name}: ${system} is ${status}`),
  ];
}

/** Holds while any source reports an open incident or a degraded system: no deploys into an outage. */
export function incidentVerdict(facts: IncidentFacts[]): Verdict {
  if (facts.length === 0) return pass('incident', 'no incident source configured');
  const found = facts.flatMap(troubles);
  if (found.length) return hold('incident', found.join('; '));
  return pass('incident', `no open incident (${facts.map((f) => sourceNames[f.source]).join(', ')})`);
}

/** Open incidents of the configured status pages. */
export const incidentGate: Gate = ({ pair }, { health }) =>
  health[pair.to]?.incident ? incidentVerdict(health[pair.to].incident!) : null;
