import type { Service } from '../domain/service';

/**
 * A structural check of a Service arriving by signal: a bad payload is ignored and logged, never
 * allowed to fail the workflow task. `conveyor apply` validates the file fully before sending.
 */
export function validService(input: unknown, expectedName: string): { ok: true; service: Service } | { ok: false; problem: string } {
  if (!input || typeof input !== 'object') return { ok: false, problem: 'configuration is not an object' };
  const s = input as Record<string, unknown>;
  const strings = (value: unknown) => Array.isArray(value) && value.every((v) => typeof v === 'string' && v.length > 0);
  if (s.name !== expectedName) return { ok: false, problem: `configuration is for "${String(s.name)}", not "${expectedName}"` };
  if (typeof s.pipeline !== 'string' || !s.pipeline) return { ok: false, problem: 'pipeline must be a non-empty string' };
  if (!strings(s.stages) || (s.stages as string[]).length < 2) return { ok: false, problem: 'stages must list at least 2 apps' };
  if (typeof s.repo !== 'string' || !s.repo.includes('/')) return { ok: false, problem: 'repo must be "owner/name"' };
  if (typeof s.branch !== 'string' || !s.branch) return { ok: false, problem: 'branch must be a non-empty string' };
  for (const key of ['minAgeMs', 'tickMs'] as const) {
    if (typeof s[key] !== 'number' || !(s[key] > 0)) return { ok: false, problem: `${key} must be a positive number` };
  }
  return { ok: true, service: s as unknown as Service };
}
