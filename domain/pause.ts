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

/** What a pause asks to hold, the whole pipeline or one app alone, and the request to record for it. */
export type PauseScope = { app: string; request: unknown } | { app: null; request: unknown };

/**
 * A pause naming `stage` holds that app alone (the other apps of its wave and the other stages go on).
 * A stage the service does not promote into cannot be held alone: the whole pipeline is paused
 * instead, its reason saying why, since a person asked for something to stop.
 */
export function pauseScope(input: unknown, promotedInto: readonly string[]): PauseScope {
  const fields = input && typeof input === 'object' ? (input as Record<string, unknown>) : undefined;
  if (fields?.stage === undefined) return { app: null, request: input };
  const app = typeof fields.stage === 'string' ? fields.stage.trim() : '';
  if (app && promotedInto.includes(app)) return { app, request: input };
  const named = app ? `"${app.slice(0, 100)}"` : 'the stage named';
  const reason = readPause(input, 0).reason;
  return {
    app: null,
    request: {
      ...fields,
      reason: `${reason} (${named} is not a stage this service promotes into: the whole pipeline is paused)`,
    },
  };
}
