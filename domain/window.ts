import { DateTime, FixedOffsetZone, IANAZone } from 'luxon';
import { Lru } from './lru';

export const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Weekday = (typeof weekdays)[number];

/** A weekly stretch of local time in which promotions may run. */
export interface Window {
  /** Local days, in timeZone. */
  days: Weekday[];
  /** 'HH:MM' local time the window opens. */
  start: string;
  /** 'HH:MM' after start, or '24:00' for the end of the day. */
  end: string;
  /** IANA zone, e.g. 'America/Los_Angeles'. */
  timeZone: string;
}

/** A one-off stretch in which promotions must not run, whatever the windows say. */
export interface Blackout {
  /** 'YYYY-MM-DD' (from that day's start) or 'YYYY-MM-DDTHH:MM'. */
  from: string;
  /** 'YYYY-MM-DD' (through that whole day) or 'YYYY-MM-DDTHH:MM' (up to, not including, that minute). */
  to: string;
  reason: string;
  /** IANA zone from and to are read in; UTC when absent. */
  timeZone?: string;
}

/** No windows means always allowed, apart from blackouts. */
export interface WindowPolicy {
  windows: Window[];
  blackouts: Blackout[];
}

export interface WindowState {
  open: boolean;
  reason: string;
  /** When closed: the next instant it opens (undefined if not within the search). When open: the instant it closes, if known. */
  changesAt?: number;
}

/** How far ahead windows are laid out when looking for the next change. */
export const searchDays = 400;

const DAY_MS = 86_400_000;
/** Growing horizons: most answers are within a week, so the long search is rarely paid for. */
const HORIZONS = [8, 64, searchDays];

/** A half-open stretch of instants [start, end), epoch ms. */
export interface Stretch {
  start: number;
  end: number;
}

/** A calendar day with no zone; a UTC DateTime stands in for it because UTC has no DST. */
type LocalDay = DateTime;

const CLOCK = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}:\d{2}))?$/;

/** Minutes after local midnight for 'HH:MM'; '24:00' is 1440, the next midnight. Undefined when not a time. */
export function parseClock(text: string): number | undefined {
  const match = CLOCK.exec(text);
  if (!match) return undefined;
  return match[1] === undefined ? 1440 : Number(match[1]) * 60 + Number(match[2]);
}

/** A blackout bound: a whole day, or a minute of a day. */
export interface LocalMoment {
  day: LocalDay;
  /** Minutes after midnight; absent for a whole day. */
  minute?: number;
}

/** Reads 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM'; undefined when not a real date and time. */
export function parseLocalMoment(text: string): LocalMoment | undefined {
  const match = LOCAL.exec(text);
  if (!match) return undefined;
  const day = DateTime.utc(Number(match[1]), Number(match[2]), Number(match[3]));
  if (!day.isValid) return undefined;
  if (match[4] === undefined) return { day };
  const minute = parseClock(match[4]);
  return minute === undefined || minute === 1440 ? undefined : { day, minute };
}

export const isTimeZone = (zone: string): boolean => IANAZone.isValidZone(zone);

const shows = (zone: string, at: number, day: LocalDay, minute: number): boolean => {
  const local = DateTime.fromMillis(at, { zone });
  return (
    local.year === day.year &&
    local.month === day.month &&
    local.day === day.day &&
    local.hour * 60 + local.minute === minute
  );
};

/**
 * The first instant the zone's clock reads `minute` past midnight of `day`, or later.
 * Usually the one instant with that reading. When clocks go back, a repeated reading takes its first instant.
 * When clocks go forward past the reading, it is the instant of the jump.
 * Both offsets around the reading are tried on purpose: luxon's fromObject resolves a repeated reading
 * from an offset guessed at the current time, so the answer would depend on when the code runs.
 */
function reach(zone: string, day: LocalDay, minute: number): number {
  if (minute >= 1440) return reach(zone, day.plus({ days: 1 }), minute - 1440);
  return reached.remember(`${zone}|${day.year}-${day.month}-${day.day}|${minute}`, () =>
    reachUncached(zone, day, minute),
  );
}

// Luxon's zone arithmetic and zone names are slow: a window's state took about 0.7 ms, and every pair
// of every pass asks for one, so 25 pipelines whose window opens at once spent a quarter of a second on
// it. Workflows share these answers (one workflow sandbox runs many); none depends on who asked first.
const reached = new Lru<string, number>(10_000);
const formatted = new Lru<string, string>(1_000);

function reachUncached(zone: string, day: LocalDay, minute: number): number {
  const reading = {
    year: day.year,
    month: day.month,
    day: day.day,
    hour: Math.floor(minute / 60),
    minute: minute % 60,
  };
  const naive = DateTime.fromObject(reading, { zone: 'utc' });
  const iana = IANAZone.create(zone);
  const before = iana.offset(naive.minus({ days: 1 }).toMillis());
  const after = iana.offset(naive.plus({ days: 1 }).toMillis());
  const under = (offset: number) => DateTime.fromObject(reading, { zone: FixedOffsetZone.instance(offset) }).toMillis();
  const instants = [...new Set([before, after])].map(under).filter((at) => shows(zone, at, day, minute));
  if (instants.length) return Math.min(...instants);
  if (after <= before) throw new Error(`${zone} never reads ${naive.toISO({ includeOffset: false })}`);
  // Skipped: the clock jumps over the reading somewhere in (under(after), under(before)]; find the jump.
  let lo = under(after);
  let hi = under(before);
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (iana.offset(mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

const localDay = (at: number, zone: string): LocalDay => {
  const local = DateTime.fromMillis(at, { zone });
  return DateTime.utc(local.year, local.month, local.day);
};

/** Each day's opening of the window, for the local days around [from, until]. */
function occurrences(window: Window, from: number, until: number): Stretch[] {
  const start = parseClock(window.start);
  const end = parseClock(window.end);
  if (start === undefined || end === undefined || end <= start) return [];
  const days = new Set(window.days);
  const last = localDay(until, window.timeZone).plus({ days: 1 });
  const stretches: Stretch[] = [];
  for (let day = localDay(from, window.timeZone).minus({ days: 1 }); day <= last; day = day.plus({ days: 1 })) {
    if (!days.has(weekdays[day.weekday - 1])) continue;
    const stretch = { start: reach(window.timeZone, day, start), end: reach(window.timeZone, day, end) };
    if (stretch.start < stretch.end) stretches.push(stretch);
  }
  return stretches;
}

/** The instants a blackout covers; undefined when its bounds are not dates. */
export function blackoutStretch(blackout: Blackout): Stretch | undefined {
  const zone = blackout.timeZone ?? 'UTC';
  const from = parseLocalMoment(blackout.from);
  const to = parseLocalMoment(blackout.to);
  if (!from || !to) return undefined;
  return {
    start: reach(zone, from.day, from.minute ?? 0),
    end: to.minute === undefined ? reach(zone, to.day, 1440) : reach(zone, to.day, to.minute),
  };
}

const contains = (stretch: Stretch, at: number) => stretch.start <= at && at < stretch.end;

function merge(stretches: Stretch[]): Stretch[] {
  const merged: Stretch[] = [];
  for (const stretch of [...stretches].sort((a, b) => a.start - b.start)) {
    const last = merged.at(-1);
    if (last && stretch.start <= last.end) last.end = Math.max(last.end, stretch.end);
    else merged.push({ ...stretch });
  }
  return merged;
}

const subtract = (keep: Stretch[], cuts: Stretch[]): Stretch[] =>
  cuts.reduce(
    (rest, cut) =>
      rest
        .flatMap((s) => [
          { start: s.start, end: Math.min(s.end, cut.start) },
          { start: Math.max(s.start, cut.end), end: s.end },
        ])
        .filter((s) => s.start < s.end),
    keep,
  );

/** When the gate is open, exactly, for the local days around [from, until]. */
function openStretches(policy: WindowPolicy, from: number, until: number): Stretch[] {
  const allowed = policy.windows.length
    ? merge(policy.windows.flatMap((window) => occurrences(window, from, until)))
    : [{ start: -Infinity, end: Infinity }];
  const blackouts = policy.blackouts.map(blackoutStretch).filter((s): s is Stretch => s !== undefined);
  return subtract(allowed, blackouts);
}

/** "Mon-Thu", "Sat", "Mon,Wed,Fri", "Fri-Mon"; runs wrap over the weekend. */
export function describeDays(days: readonly Weekday[]): string {
  const on = weekdays.map((day) => days.includes(day));
  if (on.every(Boolean)) return 'Mon-Sun';
  const runs: string[] = [];
  for (let i = 0; i < 7; i++) {
    if (!on[i] || on[(i + 6) % 7]) continue; // only where a run starts
    let length = 1;
    while (on[(i + length) % 7]) length++;
    runs.push(length === 1 ? weekdays[i] : `${weekdays[i]}-${weekdays[(i + length - 1) % 7]}`);
  }
  return runs.join(',');
}

export const describeWindow = (window: Window): string =>
  `${describeDays(window.days)} ${window.start}-${window.end} ${window.timeZone}`;

const describeBlackout = (blackout: Blackout): string =>
  `blackout ${blackout.from}..${blackout.to}${blackout.timeZone ? ` ${blackout.timeZone}` : ''}: ${blackout.reason}`;

/** "Mon 2026-11-23 09:00 PST"; zones without a US abbreviation try the British one (CET), else "GMT+9". */
function formatLocal(at: number, zone: string): string {
  return formatted.remember(`${zone}|${at}`, () => formatLocalUncached(at, zone));
}

function formatLocalUncached(at: number, zone: string): string {
  const local = DateTime.fromMillis(at, { zone, locale: 'en-US' });
  let abbreviation = local.offsetNameShort ?? local.toFormat('ZZ');
  if (/^GMT[+-]/.test(abbreviation)) abbreviation = local.setLocale('en-GB').offsetNameShort ?? abbreviation;
  return `${local.toFormat('ccc yyyy-LL-dd HH:mm')} ${abbreviation}`;
}

const windowAt = (policy: WindowPolicy, at: number): Window | undefined =>
  policy.windows.find((window) => occurrences(window, at, at).some((s) => contains(s, at)));

const blackoutAt = (policy: WindowPolicy, at: number): Blackout | undefined =>
  policy.blackouts.find((blackout) => {
    const stretch = blackoutStretch(blackout);
    return stretch !== undefined && contains(stretch, at);
  });

/** The next opening in the zone people think of it in: the window it opens into, else the blackout that ends. */
function opening(policy: WindowPolicy, at: number | undefined): string {
  if (at === undefined) return `; does not open within ${searchDays} days`;
  const zone =
    windowAt(policy, at)?.timeZone ??
    policy.blackouts.find((blackout) => blackoutStretch(blackout)?.end === at)?.timeZone ??
    'UTC';
  return `; opens ${formatLocal(at, zone)}`;
}

/** Whether promotions may run at `now`, why, and when that next changes. */
export function windowState(policy: WindowPolicy, now: number): WindowState {
  for (const days of HORIZONS) {
    const until = now + days * DAY_MS;
    const next = openStretches(policy, now, until).find((s) => s.end > now);
    const last = days === searchDays;
    if (next && next.start <= now) {
      // Open. Ends past the horizon may be artefacts of where the search stopped, so look further first.
      if (next.end < until || last) return openState(policy, now, next.end < until ? next.end : undefined);
    } else if (next || last) {
      return closedState(policy, now, next?.start);
    }
  }
  throw new Error('unreachable: the last horizon always answers');
}

function openState(policy: WindowPolicy, now: number, closesAt: number | undefined): WindowState {
  const window = windowAt(policy, now);
  const reason = window ? `inside ${describeWindow(window)}` : 'no deploy windows; no blackout';
  return closesAt === undefined ? { open: true, reason } : { open: true, reason, changesAt: closesAt };
}

function closedState(policy: WindowPolicy, now: number, opensAt: number | undefined): WindowState {
  const blackout = blackoutAt(policy, now);
  const why = blackout ? describeBlackout(blackout) : `outside ${policy.windows.map(describeWindow).join(', ')}`;
  const reason = why + opening(policy, opensAt);
  return opensAt === undefined ? { open: false, reason } : { open: false, reason, changesAt: opensAt };
}
