import { DateTime } from 'luxon';

/** "6s", "3m", "5h", "2d": how far apart two moments are, rounded to the unit people read. */
export function span(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  return seconds < 120
    ? `${seconds}s`
    : seconds < 7200
      ? `${Math.round(seconds / 60)}m`
      : seconds < 172_800
        ? `${Math.round(seconds / 3600)}h`
        : `${Math.round(seconds / 86_400)}d`;
}

/** "in 6s" / "3m ago", against the moment it is shown, never the moment it was observed. */
export const relative = (iso: string, now: number): string => {
  const ms = Date.parse(iso) - now;
  return ms >= 0 ? `in ${span(ms)}` : `${span(ms)} ago`;
};

/** "2026-12-06 10:26:03 CET": the wall clock of `zone` ('local' is the viewer's own), with the zone named. */
export function clock(iso: string, zone = 'local'): string {
  const at = DateTime.fromISO(iso, { zone });
  return at.isValid ? at.toFormat('yyyy-LL-dd HH:mm:ss ZZZZ') : iso;
}

/**
 * The one way conveyor shows a moment, in the CLI and the dashboard alike: the viewer's wall clock
 * with its zone, then how far from now ("2026-12-06 10:26:03 CET (3m ago)"). `--utc` shows UTC.
 */
export const moment = (iso: string, now: number, zone = 'local'): string =>
  `${clock(iso, zone)} (${relative(iso, now)})`;

const ISO_MOMENT = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b/g;
/** The window's own "; opens Mon 2026-11-23 09:00 PST": shown instead as the verdict's opening moment. */
const WINDOW_OPENS = /; opens [A-Z][a-z]{2} \d{4}-\d\d-\d\d \d\d:\d\d \S+$/;

/**
 * A gate's reason as a person reads it: the moments it names (kept in UTC in the workflow, so they
 * never go stale) in the one format of `moment`, and the window's opening left to the caller, which
 * shows it from the verdict's recheckAt in the same format.
 */
export const readableReason = (reason: string, now: number, zone = 'local'): string =>
  reason.replace(WINDOW_OPENS, '').replace(ISO_MOMENT, (iso) => moment(iso, now, zone));
