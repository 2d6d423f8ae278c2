import { z } from 'zod';
import { blackoutStretch, isTimeZone, parseClock, parseLocalMoment, weekdays, type Weekday } from '../domain/window';

const isWeekday = (text: string): text is Weekday => (weekdays as readonly string[]).includes(text);

/** Days in week order, each once, whatever order they were written in. */
const inWeekOrder = (days: readonly Weekday[]): Weekday[] => weekdays.filter((day) => days.includes(day));

/** "Mon-Thu" -> [Mon, Tue, Wed, Thu]; "Fri-Mon" wraps over the weekend; "Sat" alone is a range of one. */
export function expandDays(text: string): Weekday[] | undefined {
  const [first, last = first, ...extra] = text.split('-').map((part) => part.trim());
  if (extra.length || !isWeekday(first) || !isWeekday(last)) return undefined;
  const from = weekdays.indexOf(first);
  const length = ((weekdays.indexOf(last) - from + 7) % 7) + 1;
  return inWeekOrder(Array.from({ length }, (_, i) => weekdays[(from + i) % 7]));
}

const notADay = (text: string) => `"${text}" is not a day (${weekdays.join(', ')})`;

/** A list of days or a range string; either way, days in week order. */
const days = z
  .union([z.string(), z.array(z.string())], { error: 'must be a day range such as "Mon-Thu" or a list of days' })
  .transform((value, ctx) => {
    if (typeof value === 'string') {
      const expanded = expandDays(value);
      if (!expanded)
        ctx.addIssue({ code: 'custom', input: value, message: `"${value}" is not a day range such as "Mon-Thu"` });
      return expanded ?? z.NEVER;
    }
    if (!value.length) ctx.addIssue({ code: 'custom', input: value, message: 'needs at least one day' });
    value.forEach((text, i) => {
      if (!isWeekday(text)) ctx.addIssue({ code: 'custom', input: text, path: [i], message: notADay(text) });
    });
    return inWeekOrder(value.filter(isWeekday));
  })
  .meta({
    description: 'Days the window is open: a range such as "Mon-Thu" (may wrap, "Fri-Mon") or a list of days.',
    examples: ['Mon-Thu', ['Mon', 'Wed', 'Fri']],
  });

const clock = (latest: string, allowed: (minute: number) => boolean) =>
  z.string().refine(
    (text) => {
      const minute = parseClock(text);
      return minute !== undefined && allowed(minute);
    },
    { error: (issue) => `"${String(issue.input)}" is not a time HH:MM from 00:00 to ${latest}` },
  );

const timeZone = z
  .string()
  .refine(isTimeZone, { error: (issue) => `"${String(issue.input)}" is not an IANA time zone` })
  .meta({
    description: 'An IANA time zone; exact across daylight-saving changes.',
    examples: ['America/Los_Angeles', 'Europe/Berlin'],
  });

const moment = z.string().refine((text) => parseLocalMoment(text) !== undefined, {
  error: (issue) => `"${String(issue.input)}" is not a date YYYY-MM-DD or a local time YYYY-MM-DDTHH:MM`,
});

export const windowSpec = z
  .object({
    days,
    start: clock('23:59', (minute) => minute < 1440).meta({
      description: 'Opening time, local HH:MM.',
      examples: ['09:00'],
    }),
    end: clock('24:00', () => true).meta({
      description: 'Closing time, local HH:MM, after start (24:00 is midnight at the end of the day).',
      examples: ['16:00'],
    }),
    timeZone,
  })
  .strict()
  .meta({ description: 'A stretch of the week during which promotions may start.' })
  .superRefine((window, ctx) => {
    const start = parseClock(window.start);
    const end = parseClock(window.end);
    // Windows do not cross midnight: one from 22:00 to 02:00 is written as two.
    if (start !== undefined && end !== undefined && end <= start)
      ctx.addIssue({ code: 'custom', path: ['end'], message: `"${window.end}" is not after start "${window.start}"` });
  });

export const blackoutSpec = z
  .object({
    from: moment.meta({
      description: 'First day (YYYY-MM-DD, inclusive) or moment (YYYY-MM-DDTHH:MM) of the blackout.',
      examples: ['2026-12-24', '2026-11-27T18:00'],
    }),
    to: moment.meta({
      description: 'Last day (YYYY-MM-DD, inclusive) or moment (YYYY-MM-DDTHH:MM, exclusive) of the blackout.',
      examples: ['2027-01-02'],
    }),
    reason: z
      .string()
      .trim()
      .min(1, 'must say why')
      .meta({ description: 'Why; shown in status while the blackout holds.', examples: ['holidays'] }),
    timeZone: timeZone
      .optional()
      .meta({ description: 'Time zone of from and to (default UTC).', examples: ['Europe/Berlin'] }),
  })
  .strict()
  .meta({ description: 'A stretch of days or hours during which nothing is promoted.' })
  .superRefine((blackout, ctx) => {
    if (blackout.timeZone !== undefined && !isTimeZone(blackout.timeZone)) return;
    const stretch = blackoutStretch(blackout);
    if (!stretch || stretch.start < stretch.end) return;
    const message =
      stretch.start === stretch.end
        ? `"${blackout.to}" is the same moment as from, so the blackout is empty`
        : `"${blackout.to}" is before from "${blackout.from}"`;
    ctx.addIssue({ code: 'custom', path: ['to'], message });
  });

export const windowPolicySpec = z
  .object({
    windows: z.array(windowSpec).default([]),
    blackouts: z.array(blackoutSpec).default([]),
  })
  .strict();

export type WindowSpec = z.input<typeof windowSpec>;
export type BlackoutSpec = z.input<typeof blackoutSpec>;
export type WindowPolicySpec = z.input<typeof windowPolicySpec>;
