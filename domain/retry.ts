import type { Service } from './service';

/** An operator's retry of the release that failed in a stage. */
export interface Retry {
  to: string;
  by: string;
  reason: string;
}

const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/** Reads a retry request; answers the problem in words when it cannot be accepted. */
export function readRetry(input: unknown, service: Service): Retry | string {
  const fields = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const to = text(fields.to);
  if (!to) return 'a target stage ("to") is required';
  const index = service.stages.indexOf(to);
  if (index < 0) return `unknown stage "${to}"; ${service.name} has ${service.stages.join(', ')}`;
  if (index === 0) return `${to} is the first stage: nothing is promoted into it`;
  return {
    to,
    by: text(fields.by).slice(0, 200) || 'unknown',
    reason: text(fields.reason).slice(0, 500) || 'no reason given',
  };
}
