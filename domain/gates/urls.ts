import type { UrlFact } from '../health';
import { hold, pass, type Verdict } from '../verdict';
import type { Gate } from './gate';

const healthy = (fact: UrlFact): boolean => fact.error === undefined && fact.status === 200;

function describe({ url, status, ms, error }: UrlFact): string {
  return error !== undefined ? `${url}: ${error} (${ms}ms)` : `${url} ${status} in ${ms}ms`;
}

/** Passes when every URL of the target stage answered 200; otherwise names each one that did not. */
export function urlsVerdict(facts: UrlFact[]): Verdict {
  if (facts.length === 0) return pass('urls', 'no URL to check');
  const failing = facts.filter((fact) => !healthy(fact));
  if (failing.length) return hold('urls', failing.map(describe).join('; '));
  return pass('urls', facts.map(describe).join(', '));
}

/** The target's URLs, where configured. */
export const urlsGate: Gate = ({ pair }, { health }) =>
  health[pair.to]?.urls ? urlsVerdict(health[pair.to].urls!) : null;
