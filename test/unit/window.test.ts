import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeIssues } from '../../config/schema';
import { windowPolicySpec, windowSpec, blackoutSpec } from '../../config/window-schema';
import { windowVerdict } from '../../domain/gates/window';
import { describeDays, windowState, type Blackout, type Window, type WindowPolicy } from '../../domain/window';

const at = (iso: string): number => {
  assert.match(iso, /Z$/, 'test instants are written in UTC');
  return Date.parse(iso);
};
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const state = (policy: WindowPolicy, now: string) => {
  const { open, reason, changesAt } = windowState(policy, at(now));
  return { open, reason, changesAt: iso(changesAt) };
};

const laWeekdays: Window = {
  days: ['Mon', 'Tue', 'Wed', 'Thu'],
  start: '09:00',
  end: '16:00',
  timeZone: 'America/Los_Angeles',
};
const berlinWeek: Window = {
  days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
  start: '08:00',
  end: '18:00',
  timeZone: 'Europe/Berlin',
};
const berlinSunday = (start: string, end: string): Window => ({ days: ['Sun'], start, end, timeZone: 'Europe/Berlin' });
const only = (...windows: Window[]): WindowPolicy => ({ windows, blackouts: [] });
const holidayFreeze: Blackout = { from: '2026-12-24', to: '2027-01-02', reason: 'holiday freeze' };

describe('window across the US daylight-saving switch', () => {
  test('a 09:00 Los Angeles window opens at 17:00Z in winter', () => {
    assert.deepEqual(state(only(laWeekdays), '2026-03-05T16:00:00.000Z'), {
      open: false,
      reason: 'outside Mon-Thu 09:00-16:00 America/Los_Angeles; opens Thu 2026-03-05 09:00 PST',
      changesAt: '2026-03-05T17:00:00.000Z',
    });
  });

  test('the same window opens at 16:00Z once clocks go forward on 2026-03-08', () => {
    assert.equal(state(only(laWeekdays), '2026-03-09T15:00:00.000Z').changesAt, '2026-03-09T16:00:00.000Z');
  });

  test('closing on the Thursday before the March switch, it reopens Monday at the summer instant', () => {
    assert.deepEqual(state(only(laWeekdays), '2026-03-06T00:00:00.000Z'), {
      open: false,
      reason: 'outside Mon-Thu 09:00-16:00 America/Los_Angeles; opens Mon 2026-03-09 09:00 PDT',
      changesAt: '2026-03-09T16:00:00.000Z',
    });
  });

  test('closing on the Thursday before the November switch, it reopens Monday at the winter instant', () => {
    assert.deepEqual(state(only(laWeekdays), '2026-10-29T23:00:00.000Z'), {
      open: false,
      reason: 'outside Mon-Thu 09:00-16:00 America/Los_Angeles; opens Mon 2026-11-02 09:00 PST',
      changesAt: '2026-11-02T17:00:00.000Z',
    });
  });

  test('open in summer, it says it closes at 16:00 local, 23:00Z', () => {
    assert.deepEqual(state(only(laWeekdays), '2026-10-29T22:59:00.000Z'), {
      open: true,
      reason: 'inside Mon-Thu 09:00-16:00 America/Los_Angeles',
      changesAt: '2026-10-29T23:00:00.000Z',
    });
  });
});

describe('window edges and days', () => {
  test('Friday afternoon is held until Monday 09:00 at the exact instant', () => {
    assert.deepEqual(state(only(laWeekdays), '2026-11-20T22:00:00.000Z'), {
      open: false,
      reason: 'outside Mon-Thu 09:00-16:00 America/Los_Angeles; opens Mon 2026-11-23 09:00 PST',
      changesAt: '2026-11-23T17:00:00.000Z',
    });
  });

  test('start is inclusive: open at exactly 09:00', () => {
    assert.equal(state(only(laWeekdays), '2026-11-23T17:00:00.000Z').open, true);
  });

  test('end is exclusive: closed at exactly 16:00', () => {
    assert.equal(state(only(laWeekdays), '2026-11-19T00:00:00.000Z').open, false);
  });

  test('days are local days, not UTC days', () => {
    const tokyoMonday: Window = { days: ['Mon'], start: '08:00', end: '10:00', timeZone: 'Asia/Tokyo' };
    assert.deepEqual(state(only(tokyoMonday), '2026-11-22T23:30:00.000Z'), {
      open: true,
      reason: 'inside Mon 08:00-10:00 Asia/Tokyo',
      changesAt: '2026-11-23T01:00:00.000Z',
    });
  });

  test('a window ending at 24:00 runs to local midnight', () => {
    const evening: Window = { days: ['Sat'], start: '20:00', end: '24:00', timeZone: 'America/Los_Angeles' };
    assert.equal(state(only(evening), '2026-11-22T04:00:00.000Z').changesAt, '2026-11-22T08:00:00.000Z');
  });
});

describe('window across the EU daylight-saving switch', () => {
  test('Friday evening before the March switch reopens Monday 08:00 CEST, 06:00Z', () => {
    assert.deepEqual(state(only(berlinWeek), '2026-03-27T17:30:00.000Z'), {
      open: false,
      reason: 'outside Mon-Fri 08:00-18:00 Europe/Berlin; opens Mon 2026-03-30 08:00 CEST',
      changesAt: '2026-03-30T06:00:00.000Z',
    });
  });

  test('Friday evening before the October switch reopens Monday 08:00 CET, 07:00Z', () => {
    assert.deepEqual(state(only(berlinWeek), '2026-10-23T16:00:00.000Z'), {
      open: false,
      reason: 'outside Mon-Fri 08:00-18:00 Europe/Berlin; opens Mon 2026-10-26 08:00 CET',
      changesAt: '2026-10-26T07:00:00.000Z',
    });
  });

  test('a window spanning the skipped hour is an hour shorter that day', () => {
    const open = state(only(berlinSunday('01:00', '04:00')), '2026-03-29T00:00:00.000Z');
    assert.deepEqual([open.open, open.changesAt], [true, '2026-03-29T02:00:00.000Z']);
  });

  test('a window starting in the skipped hour opens when the clock jumps past its start', () => {
    assert.deepEqual(state(only(berlinSunday('02:30', '04:00')), '2026-03-28T23:00:00.000Z'), {
      open: false,
      reason: 'outside Sun 02:30-04:00 Europe/Berlin; opens Sun 2026-03-29 03:00 CEST',
      changesAt: '2026-03-29T01:00:00.000Z',
    });
  });

  test('a window wholly inside the skipped hour does not open that day', () => {
    assert.equal(
      state(only(berlinSunday('02:00', '03:00')), '2026-03-28T23:00:00.000Z').changesAt,
      '2026-04-05T00:00:00.000Z',
    );
  });

  test('a window spanning the repeated hour stays open through both passes', () => {
    const open = state(only(berlinSunday('02:00', '03:00')), '2026-10-25T00:30:00.000Z');
    assert.deepEqual([open.open, open.changesAt], [true, '2026-10-25T02:00:00.000Z']);
  });

  test('a window inside the repeated hour opens on the first pass only', () => {
    const window = berlinSunday('02:15', '02:45');
    assert.equal(state(only(window), '2026-10-25T00:15:00.000Z').open, true);
    assert.deepEqual(state(only(window), '2026-10-25T01:30:00.000Z'), {
      open: false,
      reason: 'outside Sun 02:15-02:45 Europe/Berlin; opens Sun 2026-11-01 02:15 CET',
      changesAt: '2026-11-01T01:15:00.000Z',
    });
  });
});

describe('blackouts', () => {
  const frozen: WindowPolicy = { windows: [laWeekdays], blackouts: [holidayFreeze] };

  test('a date blackout holds inside a window and names the first window after it', () => {
    assert.deepEqual(state(frozen, '2026-12-24T18:00:00.000Z'), {
      open: false,
      reason: 'blackout 2026-12-24..2027-01-02: holiday freeze; opens Mon 2027-01-04 09:00 PST',
      changesAt: '2027-01-04T17:00:00.000Z',
    });
  });

  test('the gate reopens at the first window after the blackout', () => {
    assert.equal(state(frozen, '2027-01-04T17:00:00.000Z').open, true);
  });

  test('a date blackout covers its last day whole, to midnight after it', () => {
    const blackoutOnly: WindowPolicy = { windows: [], blackouts: [holidayFreeze] };
    assert.deepEqual(state(blackoutOnly, '2027-01-02T23:59:00.000Z'), {
      open: false,
      reason: 'blackout 2026-12-24..2027-01-02: holiday freeze; opens Sun 2027-01-03 00:00 UTC',
      changesAt: '2027-01-03T00:00:00.000Z',
    });
    assert.equal(state(blackoutOnly, '2027-01-03T00:00:00.000Z').open, true);
  });

  describe('a datetime blackout in a zone', () => {
    const migration: Blackout = {
      from: '2026-11-19T12:00',
      to: '2026-11-19T14:00',
      reason: 'db migration',
      timeZone: 'America/Los_Angeles',
    };
    const policy: WindowPolicy = { windows: [laWeekdays], blackouts: [migration] };

    test('an open window says it closes when the blackout begins', () => {
      assert.equal(state(policy, '2026-11-19T19:00:00.000Z').changesAt, '2026-11-19T20:00:00.000Z');
    });

    test('holds from its local start and says when it ends', () => {
      assert.deepEqual(state(policy, '2026-11-19T20:00:00.000Z'), {
        open: false,
        reason:
          'blackout 2026-11-19T12:00..2026-11-19T14:00 America/Los_Angeles: db migration; opens Thu 2026-11-19 14:00 PST',
        changesAt: '2026-11-19T22:00:00.000Z',
      });
    });

    test('its end minute is exclusive: open again at exactly 14:00', () => {
      assert.equal(state(policy, '2026-11-19T22:00:00.000Z').open, true);
    });
  });

  test('a policy that never opens within the search has no changesAt', () => {
    const forever: WindowPolicy = {
      windows: [laWeekdays],
      blackouts: [{ from: '2026-01-01', to: '2028-12-31', reason: 'sunset' }],
    };
    assert.deepEqual(state(forever, '2026-06-01T17:00:00.000Z'), {
      open: false,
      reason: 'blackout 2026-01-01..2028-12-31: sunset; does not open within 400 days',
      changesAt: undefined,
    });
  });
});

describe('several windows', () => {
  const morning: Window = {
    days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
    start: '09:00',
    end: '12:00',
    timeZone: 'America/Los_Angeles',
  };
  const afternoon: Window = {
    days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
    start: '11:00',
    end: '16:00',
    timeZone: 'America/Los_Angeles',
  };

  test('overlapping windows are open as one stretch, closing at the later end', () => {
    assert.deepEqual(state(only(morning, afternoon), '2026-11-20T19:30:00.000Z'), {
      open: true,
      reason: 'inside Mon-Fri 09:00-12:00 America/Los_Angeles',
      changesAt: '2026-11-21T00:00:00.000Z',
    });
  });

  test('windows in two zones that meet end to start are open as one stretch', () => {
    assert.deepEqual(state(only(berlinWeek, laWeekdays), '2026-11-23T16:30:00.000Z'), {
      open: true,
      reason: 'inside Mon-Fri 08:00-18:00 Europe/Berlin',
      changesAt: '2026-11-24T00:00:00.000Z',
    });
  });

  test('between windows in two zones, the earlier opening wins, shown in its own zone', () => {
    assert.deepEqual(state(only(berlinWeek, laWeekdays), '2026-11-24T00:00:00.000Z'), {
      open: false,
      reason:
        'outside Mon-Fri 08:00-18:00 Europe/Berlin, Mon-Thu 09:00-16:00 America/Los_Angeles; opens Tue 2026-11-24 08:00 CET',
      changesAt: '2026-11-24T07:00:00.000Z',
    });
  });

  test('no windows and no blackout is always open', () => {
    assert.deepEqual(state({ windows: [], blackouts: [] }, '2026-11-20T22:00:00.000Z'), {
      open: true,
      reason: 'no deploy windows; no blackout',
      changesAt: undefined,
    });
  });
});

describe('window verdict', () => {
  test('holds with gate "window" and rechecks when the window opens', () => {
    assert.deepEqual(windowVerdict(only(laWeekdays), at('2026-11-20T22:00:00.000Z')), {
      gate: 'window',
      ok: false,
      reason: 'outside Mon-Thu 09:00-16:00 America/Los_Angeles; opens Mon 2026-11-23 09:00 PST',
      recheckAt: '2026-11-23T17:00:00.000Z',
    });
  });

  test('passes inside the window', () => {
    assert.deepEqual(windowVerdict(only(laWeekdays), at('2026-11-23T17:00:00.000Z')), {
      gate: 'window',
      ok: true,
      reason: 'inside Mon-Thu 09:00-16:00 America/Los_Angeles',
    });
  });
});

describe('window config', () => {
  const spec = { days: 'Mon-Thu', start: '09:00', end: '16:00', timeZone: 'America/Los_Angeles' };
  const problems = (
    schema: typeof windowSpec | typeof blackoutSpec | typeof windowPolicySpec,
    value: unknown,
  ): string[] => {
    const result = schema.safeParse(value);
    assert.equal(result.success, false, 'expected the config to be refused');
    return describeIssues(result.error);
  };

  test('a day range is read as the days it covers', () => {
    assert.deepEqual(windowSpec.parse(spec).days, ['Mon', 'Tue', 'Wed', 'Thu']);
  });

  test('a range may wrap over the weekend and is shown back the same way', () => {
    const { days } = windowSpec.parse({ ...spec, days: 'Fri-Mon' });
    assert.deepEqual(days, ['Mon', 'Fri', 'Sat', 'Sun']);
    assert.equal(describeDays(days), 'Fri-Mon');
  });

  test('a list of days is put in week order without repeats', () => {
    assert.deepEqual(windowSpec.parse({ ...spec, days: ['Thu', 'Mon', 'Thu'] }).days, ['Mon', 'Thu']);
  });

  test('an empty policy defaults to no windows and no blackouts', () => {
    assert.deepEqual(windowPolicySpec.parse({}), { windows: [], blackouts: [] });
  });

  test('an unknown zone is named', () => {
    assert.deepEqual(problems(windowSpec, { ...spec, timeZone: 'Mars/Base' }), [
      'timeZone: "Mars/Base" is not an IANA time zone',
    ]);
  });

  test('a misspelt day is named with its place in the list', () => {
    assert.deepEqual(problems(windowSpec, { ...spec, days: ['Mon', 'Thurs'] }), [
      'days[1]: "Thurs" is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)',
    ]);
  });

  test('a range that is not two days is refused', () => {
    assert.deepEqual(problems(windowSpec, { ...spec, days: 'Mon-Thurs' }), [
      'days: "Mon-Thurs" is not a day range such as "Mon-Thu"',
    ]);
  });

  test('no days is refused', () => {
    assert.deepEqual(problems(windowSpec, { ...spec, days: [] }), ['days: needs at least one day']);
  });

  test('a time not written HH:MM is refused', () => {
    assert.deepEqual(problems(windowSpec, { ...spec, start: '9:00' }), [
      'start: "9:00" is not a time HH:MM from 00:00 to 23:59',
    ]);
  });

  test('an end not after start is refused: windows do not cross midnight', () => {
    assert.deepEqual(problems(windowSpec, { ...spec, start: '22:00', end: '02:00' }), [
      'end: "02:00" is not after start "22:00"',
    ]);
  });

  test('24:00 is a valid end', () => {
    assert.equal(windowSpec.parse({ ...spec, end: '24:00' }).end, '24:00');
  });

  test('a date that does not exist is refused', () => {
    assert.deepEqual(problems(blackoutSpec, { ...holidayFreeze, from: '2026-02-30' }), [
      'from: "2026-02-30" is not a date YYYY-MM-DD or a local time YYYY-MM-DDTHH:MM',
    ]);
  });

  test('a blackout ending before it starts is refused, naming where in the policy', () => {
    assert.deepEqual(problems(windowPolicySpec, { blackouts: [{ ...holidayFreeze, to: '2026-12-01' }] }), [
      'blackouts[0].to: "2026-12-01" is before from "2026-12-24"',
    ]);
  });

  test('a blackout from and to one date is that whole day', () => {
    assert.equal(blackoutSpec.safeParse({ ...holidayFreeze, to: holidayFreeze.from }).success, true);
  });

  test('a blackout without a reason is refused', () => {
    assert.deepEqual(problems(blackoutSpec, { ...holidayFreeze, reason: '  ' }), ['reason: must say why']);
  });

  test('an unknown key is refused', () => {
    assert.match(problems(windowSpec, { ...spec, zone: 'UTC' })[0], /zone/);
  });
});

describe('a window state does not depend on what was asked before', () => {
  test('instants across both switches answer the same asked forwards, backwards and again', () => {
    const policy: WindowPolicy = { windows: [laWeekdays, berlinWeek], blackouts: [holidayFreeze] };
    const instants = Array.from(
      { length: 120 },
      (_, i) => at('2026-03-01T00:00:00.000Z') + i * 3 * 86_400_000 + i * 3_600_000,
    );
    const forwards = instants.map((now) => windowState(policy, now));
    const backwards = [...instants]
      .reverse()
      .map((now) => windowState(policy, now))
      .reverse();
    assert.deepEqual(backwards, forwards);
    assert.deepEqual(
      instants.map((now) => windowState(policy, now)),
      forwards,
    );
  });
});
