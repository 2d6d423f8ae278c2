/** Who stopped promotions, why and when. */
export interface Pause {
  reason: string;
  by: string;
  since: string;
}

const text = (value: unknown, fallback: string, max = 500): string =>
  typeof value === 'string' && value.trim() ? value.trim().slice(0, max) : fallback;

/**
 * Reads a pause request from whatever a person sent: the Web UI sends no input at all, the CLI
 * sends {reason, by}, anything else is read as best it can be. Never throws.
 */
export function readPause(input: unknown, now: number): Pause {
  const fields = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const bare = typeof input === 'string' ? input : undefined;
  return {
    reason: text(fields.reason ?? bare, 'no reason given'),
    by: text(fields.by, 'unknown'),
    // A freeze passed on from conveyor/control keeps the moment it began.
    since:
      typeof fields.since === 'string' && !Number.isNaN(Date.parse(fields.since))
        ? fields.since
        : new Date(now).toISOString(),
  };
}
