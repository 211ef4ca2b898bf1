import { describe, expect, it } from 'vitest';

import { formatInZone, parseCron } from '../cron';

/** Fire times as UTC ISO strings. */
function firesUtc(expression: string, after: string, count: number): string[] {
  return parseCron(expression)
    .nextTimes(new Date(after), count)
    .map((fire) => fire.toISOString());
}

/** Fire times as local wall-clock strings with their offset, which show DST effects at a glance. */
function firesLocal(expression: string, timezone: string, after: string, count: number): string[] {
  return parseCron(expression, timezone)
    .nextTimes(new Date(after), count)
    .map((fire) => formatInZone(fire, timezone));
}

// Calendar facts used below: 2026-01-01 is a Thursday, 2026-02-01 and 2026-03-01 are Sundays,
// 2026-08-01 is a Saturday and 2026-05-31 is a Sunday.
const NEW_YEAR_2026 = '2026-01-01T00:00:00Z';

describe('parseCron schedule properties', () => {
  it('keeps expression, zone and seconds flag', () => {
    const schedule = parseCron('  */5 * * * *  ', 'Europe/Berlin');

    expect(schedule.expression).toBe('*/5 * * * *');
    expect(schedule.timezone).toBe('Europe/Berlin');
    expect(schedule.hasSeconds).toBe(false);
  });

  it('defaults the time zone to UTC', () => {
    expect(parseCron('0 0 * * *').timezone).toBe('UTC');
  });

  it('marks six fields as having seconds', () => {
    expect(parseCron('0 */5 * * * *').hasSeconds).toBe(true);
  });
});

describe('field syntax', () => {
  it('fires every minute for all stars', () => {
    expect(firesUtc('* * * * *', NEW_YEAR_2026, 2)).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z']);
  });

  it('steps minutes with */15', () => {
    expect(firesUtc('*/15 * * * *', '2026-01-01T00:07:00Z', 4)).toEqual([
      '2026-01-01T00:15:00.000Z',
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T00:45:00.000Z',
      '2026-01-01T01:00:00.000Z',
    ]);
  });

  it('restarts an uneven step each hour', () => {
    expect(firesUtc('*/7 * * * *', '2026-01-01T00:50:00Z', 3)).toEqual([
      '2026-01-01T00:56:00.000Z',
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T01:07:00.000Z',
    ]);
  });

  it('fires on each value of a range', () => {
    expect(firesUtc('10-12 * * * *', NEW_YEAR_2026, 4)).toEqual([
      '2026-01-01T00:10:00.000Z',
      '2026-01-01T00:11:00.000Z',
      '2026-01-01T00:12:00.000Z',
      '2026-01-01T01:10:00.000Z',
    ]);
  });

  it('steps within a range', () => {
    expect(firesUtc('10-30/10 * * * *', NEW_YEAR_2026, 4)).toEqual([
      '2026-01-01T00:10:00.000Z',
      '2026-01-01T00:20:00.000Z',
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T01:10:00.000Z',
    ]);
  });

  it('steps from a start value to the field end', () => {
    expect(firesUtc('5/20 * * * *', NEW_YEAR_2026, 4)).toEqual([
      '2026-01-01T00:05:00.000Z',
      '2026-01-01T00:25:00.000Z',
      '2026-01-01T00:45:00.000Z',
      '2026-01-01T01:05:00.000Z',
    ]);
  });

  it('combines lists in several fields', () => {
    expect(firesUtc('0,30 9,17 * * *', NEW_YEAR_2026, 5)).toEqual([
      '2026-01-01T09:00:00.000Z',
      '2026-01-01T09:30:00.000Z',
      '2026-01-01T17:00:00.000Z',
      '2026-01-01T17:30:00.000Z',
      '2026-01-02T09:00:00.000Z',
    ]);
  });

  it('reads month names in any case', () => {
    expect(firesUtc('0 0 1 jan,Jul *', NEW_YEAR_2026, 2)).toEqual([
      '2026-07-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
  });

  it('reads day names in ranges', () => {
    expect(firesUtc('0 12 * * mon-WED', NEW_YEAR_2026, 4)).toEqual([
      '2026-01-05T12:00:00.000Z',
      '2026-01-06T12:00:00.000Z',
      '2026-01-07T12:00:00.000Z',
      '2026-01-12T12:00:00.000Z',
    ]);
  });

  it('treats day-of-week 7 as Sunday', () => {
    expect(firesUtc('0 0 * * 7', NEW_YEAR_2026, 2)).toEqual(['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z']);
    expect(firesUtc('0 0 * * 0', NEW_YEAR_2026, 2)).toEqual(['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z']);
  });

  it('runs a weekday range through 7', () => {
    expect(firesUtc('0 0 * * 5-7', NEW_YEAR_2026, 4)).toEqual([
      '2026-01-02T00:00:00.000Z',
      '2026-01-03T00:00:00.000Z',
      '2026-01-04T00:00:00.000Z',
      '2026-01-09T00:00:00.000Z',
    ]);
  });

  it('steps day-of-week like cronie', () => {
    // `*/2` counts 0, 2, 4, 6: Sunday, Tuesday, Thursday, Saturday.
    expect(firesUtc('0 0 * * */2', NEW_YEAR_2026, 4)).toEqual([
      '2026-01-03T00:00:00.000Z',
      '2026-01-04T00:00:00.000Z',
      '2026-01-06T00:00:00.000Z',
      '2026-01-08T00:00:00.000Z',
    ]);
  });

  it('treats ? as * in day fields', () => {
    expect(firesUtc('0 0 ? * 1', NEW_YEAR_2026, 2)).toEqual(['2026-01-05T00:00:00.000Z', '2026-01-12T00:00:00.000Z']);
    expect(firesUtc('0 0 15 * ?', NEW_YEAR_2026, 2)).toEqual(['2026-01-15T00:00:00.000Z', '2026-02-15T00:00:00.000Z']);
  });

  it('accepts a star inside a list', () => {
    expect(firesUtc('*,5 0 * * *', NEW_YEAR_2026, 2)).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z']);
  });
});

describe('macros', () => {
  it.each([
    ['@yearly', '2027-01-01T00:00:00.000Z'],
    ['@annually', '2027-01-01T00:00:00.000Z'],
    ['@monthly', '2026-02-01T00:00:00.000Z'],
    ['@weekly', '2026-01-04T00:00:00.000Z'],
    ['@daily', '2026-01-02T00:00:00.000Z'],
    ['@midnight', '2026-01-02T00:00:00.000Z'],
    ['@hourly', '2026-01-01T01:00:00.000Z'],
    ['@DAILY', '2026-01-02T00:00:00.000Z'],
  ])('%s fires at its next boundary', (macro, expected) => {
    expect(firesUtc(macro, NEW_YEAR_2026, 1)).toEqual([expected]);
  });

  it('keeps the macro as the expression', () => {
    expect(parseCron('@weekly').expression).toBe('@weekly');
  });
});

describe('seconds field', () => {
  it('steps seconds', () => {
    expect(firesUtc('*/20 * * * * *', NEW_YEAR_2026, 3)).toEqual([
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:01:00.000Z',
    ]);
  });

  it('fires at a fixed second', () => {
    expect(firesUtc('30 0 12 * * *', NEW_YEAR_2026, 2)).toEqual([
      '2026-01-01T12:00:30.000Z',
      '2026-01-02T12:00:30.000Z',
    ]);
  });

  it('fires strictly after a fractional instant', () => {
    expect(firesUtc('* * * * * *', '2026-01-01T00:00:00.999Z', 1)).toEqual(['2026-01-01T00:00:01.000Z']);
    expect(firesUtc('*/20 * * * * *', '2026-01-01T00:00:20.500Z', 1)).toEqual(['2026-01-01T00:00:40.000Z']);
  });

  it('never fires exactly at after', () => {
    expect(firesUtc('0 * * * *', '2026-01-01T05:00:00Z', 1)).toEqual(['2026-01-01T06:00:00.000Z']);
  });
});

describe('last day, nearest weekday and nth weekday', () => {
  it('fires on the last day with L', () => {
    expect(firesUtc('0 0 L * *', NEW_YEAR_2026, 4)).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-02-28T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
      '2026-04-30T00:00:00.000Z',
    ]);
  });

  it('finds February 29 with L in leap years', () => {
    expect(firesUtc('0 0 L 2 *', NEW_YEAR_2026, 3)).toEqual([
      '2026-02-28T00:00:00.000Z',
      '2027-02-28T00:00:00.000Z',
      '2028-02-29T00:00:00.000Z',
    ]);
  });

  it('counts back from the last day with L-n', () => {
    expect(firesUtc('0 0 L-2 * *', NEW_YEAR_2026, 3)).toEqual([
      '2026-01-29T00:00:00.000Z',
      '2026-02-26T00:00:00.000Z',
      '2026-03-29T00:00:00.000Z',
    ]);
  });

  it('fires on the last weekday with LW', () => {
    // January 31 and February 28 are Saturdays, May 31 is a Sunday.
    expect(firesUtc('0 0 LW * *', NEW_YEAR_2026, 5)).toEqual([
      '2026-01-30T00:00:00.000Z',
      '2026-02-27T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
      '2026-04-30T00:00:00.000Z',
      '2026-05-29T00:00:00.000Z',
    ]);
  });

  it('moves 1W on Saturday to Monday 3rd', () => {
    // 2026-08-01 is a Saturday: the Friday before is in July, so the job runs on Monday August 3.
    expect(firesUtc('0 0 1W * *', '2026-07-15T00:00:00Z', 1)).toEqual(['2026-08-03T00:00:00.000Z']);
  });

  it('moves 1W on Sunday to Monday 2nd', () => {
    expect(firesUtc('0 0 1W * *', '2026-01-15T00:00:00Z', 1)).toEqual(['2026-02-02T00:00:00.000Z']);
  });

  it('keeps nW on a weekday', () => {
    // 2026-04-01 is a Wednesday.
    expect(firesUtc('0 0 1W * *', '2026-03-15T00:00:00Z', 1)).toEqual(['2026-04-01T00:00:00.000Z']);
  });

  it('moves 15W off the weekend', () => {
    // 2026-02-15 is a Sunday (next Monday), 2026-08-15 a Saturday (previous Friday).
    expect(firesUtc('0 0 15W 2,8 *', NEW_YEAR_2026, 2)).toEqual([
      '2026-02-16T00:00:00.000Z',
      '2026-08-14T00:00:00.000Z',
    ]);
  });

  it('moves 31W on Sunday back to Friday', () => {
    expect(firesUtc('0 0 31W 5 *', NEW_YEAR_2026, 1)).toEqual(['2026-05-29T00:00:00.000Z']);
  });

  it('skips nW in months without day n', () => {
    // Of January through April 2026 only January and March have a 31st: Saturday January 31 moves to
    // Friday the 30th, and March 31 is a Tuesday.
    expect(firesUtc('0 0 31W 1-4 *', NEW_YEAR_2026, 2)).toEqual([
      '2026-01-30T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
    ]);
  });

  it('fires on the second Monday with 1#2', () => {
    expect(firesUtc('0 0 * * 1#2', NEW_YEAR_2026, 3)).toEqual([
      '2026-01-12T00:00:00.000Z',
      '2026-02-09T00:00:00.000Z',
      '2026-03-09T00:00:00.000Z',
    ]);
  });

  it('skips months without a fifth Friday', () => {
    expect(firesUtc('0 0 * * FRI#5', NEW_YEAR_2026, 2)).toEqual([
      '2026-01-30T00:00:00.000Z',
      '2026-05-29T00:00:00.000Z',
    ]);
  });

  it('fires on the last Friday with 5L', () => {
    expect(firesUtc('0 0 * * 5L', NEW_YEAR_2026, 4)).toEqual([
      '2026-01-30T00:00:00.000Z',
      '2026-02-27T00:00:00.000Z',
      '2026-03-27T00:00:00.000Z',
      '2026-04-24T00:00:00.000Z',
    ]);
    expect(firesUtc('0 0 * * fril', NEW_YEAR_2026, 1)).toEqual(['2026-01-30T00:00:00.000Z']);
  });

  it('treats 7L as the last Sunday', () => {
    expect(firesUtc('0 0 * * 7L', NEW_YEAR_2026, 3)).toEqual([
      '2026-01-25T00:00:00.000Z',
      '2026-02-22T00:00:00.000Z',
      '2026-03-29T00:00:00.000Z',
    ]);
  });

  it('lists special and plain days together', () => {
    expect(firesUtc('0 0 1,L * *', NEW_YEAR_2026, 3)).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
      '2026-02-28T00:00:00.000Z',
    ]);
  });
});

describe('leap years', () => {
  it('fires on February 29 only in leap years', () => {
    expect(firesUtc('0 0 29 2 *', NEW_YEAR_2026, 3)).toEqual([
      '2028-02-29T00:00:00.000Z',
      '2032-02-29T00:00:00.000Z',
      '2036-02-29T00:00:00.000Z',
    ]);
  });

  it('returns null beyond the five-year horizon', () => {
    // 2100 is not a leap year, so after March 2097 the next February 29 is in 2104.
    expect(parseCron('0 0 29 2 *').next(new Date('2097-03-01T00:00:00Z'))).toBeNull();
    expect(firesUtc('0 0 29 2 *', '2097-03-01T00:00:00Z', 3)).toEqual([]);
  });

  it('finds a fire just inside the horizon', () => {
    expect(parseCron('0 0 29 2 *').next(new Date('2095-03-01T00:00:00Z'))?.toISOString()).toBe(
      '2096-02-29T00:00:00.000Z',
    );
  });
});

describe('day-of-month and day-of-week combination', () => {
  it('ORs two restricted day fields', () => {
    // Mondays in January 2026 are the 5th, 12th and 19th. The 15th is a Thursday.
    expect(firesUtc('0 0 1,15 * 1', NEW_YEAR_2026, 4)).toEqual([
      '2026-01-05T00:00:00.000Z',
      '2026-01-12T00:00:00.000Z',
      '2026-01-15T00:00:00.000Z',
      '2026-01-19T00:00:00.000Z',
    ]);
  });

  it('ANDs when day-of-month starts with *', () => {
    // Days 1, 11, 21 and 31 that are Mondays: May 11, June 1 and August 31, 2026.
    expect(firesUtc('0 0 */10 * 1', NEW_YEAR_2026, 3)).toEqual([
      '2026-05-11T00:00:00.000Z',
      '2026-06-01T00:00:00.000Z',
      '2026-08-31T00:00:00.000Z',
    ]);
  });

  it('ANDs when day-of-week starts with *', () => {
    // First days of the month that fall on Sunday, Tuesday, Thursday or Saturday.
    expect(firesUtc('0 0 1 * */2', NEW_YEAR_2026, 3)).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
      '2026-08-01T00:00:00.000Z',
    ]);
  });

  it('uses only day-of-month when day-of-week is *', () => {
    expect(firesUtc('0 0 13 * *', NEW_YEAR_2026, 2)).toEqual(['2026-01-13T00:00:00.000Z', '2026-02-13T00:00:00.000Z']);
  });

  it('uses only day-of-week when day-of-month is *', () => {
    expect(firesUtc('0 0 * * 1', NEW_YEAR_2026, 2)).toEqual(['2026-01-05T00:00:00.000Z', '2026-01-12T00:00:00.000Z']);
  });

  it('ORs L with a weekday', () => {
    // Last day of January (Saturday 31st) or any Friday.
    expect(firesUtc('0 0 L 1 5', '2026-01-20T00:00:00Z', 3)).toEqual([
      '2026-01-23T00:00:00.000Z',
      '2026-01-30T00:00:00.000Z',
      '2026-01-31T00:00:00.000Z',
    ]);
  });
});

describe('time zones', () => {
  it('fires at local midnight', () => {
    expect(parseCron('0 0 * * *', 'Asia/Kolkata').next(new Date(NEW_YEAR_2026))?.toISOString()).toBe(
      '2026-01-01T18:30:00.000Z',
    );
  });

  it('evaluates days in the local calendar', () => {
    // Monday January 5 starts in Tokyo at 2026-01-04T15:00Z, while it is still Sunday in UTC.
    expect(parseCron('0 * * * 1', 'Asia/Tokyo').next(new Date('2026-01-04T12:00:00Z'))?.toISOString()).toBe(
      '2026-01-04T15:00:00.000Z',
    );
  });
});

// Europe/Berlin in 2026: clocks jump from 02:00 CET to 03:00 CEST on March 29 (01:00 UTC), and back from
// 03:00 CEST to 02:00 CET on October 25 (01:00 UTC).
describe('DST in Europe/Berlin', () => {
  const zone = 'Europe/Berlin';

  it('runs a skipped fixed time after the jump', () => {
    expect(firesLocal('30 2 * * *', zone, '2026-03-28T12:00:00Z', 2)).toEqual([
      '2026-03-29T03:00:00+02:00',
      '2026-03-30T02:30:00+02:00',
    ]);
    expect(parseCron('30 2 * * *', zone).next(new Date('2026-03-28T12:00:00Z'))?.toISOString()).toBe(
      '2026-03-29T01:00:00.000Z',
    );
  });

  it('collapses skipped fixed times into one fire', () => {
    expect(firesLocal('0,15,30,45 2 * * *', zone, '2026-03-28T12:00:00Z', 2)).toEqual([
      '2026-03-29T03:00:00+02:00',
      '2026-03-30T02:00:00+02:00',
    ]);
  });

  it('merges a skipped fire with one at the jump', () => {
    expect(firesLocal('0 2-4 * * *', zone, '2026-03-28T12:00:00Z', 3)).toEqual([
      '2026-03-29T03:00:00+02:00',
      '2026-03-29T04:00:00+02:00',
      '2026-03-30T02:00:00+02:00',
    ]);
  });

  it('runs a skipped fixed second after the jump', () => {
    expect(firesLocal('15 30 2 * * *', zone, '2026-03-28T12:00:00Z', 2)).toEqual([
      '2026-03-29T03:00:00+02:00',
      '2026-03-30T02:30:15+02:00',
    ]);
  });

  it('keeps fixed times around the jump', () => {
    expect(firesLocal('30 1,3 * * *', zone, '2026-03-28T12:00:00Z', 3)).toEqual([
      '2026-03-29T01:30:00+01:00',
      '2026-03-29T03:30:00+02:00',
      '2026-03-30T01:30:00+02:00',
    ]);
  });

  it('runs a repeated fixed time once', () => {
    expect(firesLocal('30 2 * * *', zone, '2026-10-24T12:00:00Z', 2)).toEqual([
      '2026-10-25T02:30:00+02:00',
      '2026-10-26T02:30:00+01:00',
    ]);
  });

  it('skips the second copy from inside it', () => {
    // 01:10 UTC is 02:10 CET, inside the repeated hour. 02:30 CEST already ran at 00:30 UTC.
    expect(firesLocal('30 2 * * *', zone, '2026-10-25T01:10:00Z', 1)).toEqual(['2026-10-26T02:30:00+01:00']);
  });

  it('runs every minute of a repeated fixed hour once', () => {
    const fires = firesLocal('0-59 2 * * *', zone, '2026-10-24T12:00:00Z', 61);

    expect(fires).toHaveLength(61);
    expect(fires[0]).toBe('2026-10-25T02:00:00+02:00');
    expect(fires[59]).toBe('2026-10-25T02:59:00+02:00');
    expect(fires[60]).toBe('2026-10-26T02:00:00+01:00');
  });

  it('skips wildcard fires in the skipped hour', () => {
    expect(firesLocal('*/30 * * * *', zone, '2026-03-29T00:00:00Z', 3)).toEqual([
      '2026-03-29T01:30:00+01:00',
      '2026-03-29T03:00:00+02:00',
      '2026-03-29T03:30:00+02:00',
    ]);
  });

  it('repeats wildcard fires in the repeated hour', () => {
    expect(firesLocal('*/30 * * * *', zone, '2026-10-25T00:00:00Z', 4)).toEqual([
      '2026-10-25T02:30:00+02:00',
      '2026-10-25T02:00:00+01:00',
      '2026-10-25T02:30:00+01:00',
      '2026-10-25T03:00:00+01:00',
    ]);
  });

  it('treats a starred hour as wildcard', () => {
    expect(firesLocal('30 * * * *', zone, '2026-03-29T00:00:00Z', 2)).toEqual([
      '2026-03-29T01:30:00+01:00',
      '2026-03-29T03:30:00+02:00',
    ]);
    expect(firesLocal('30 * * * *', zone, '2026-10-25T00:00:00Z', 3)).toEqual([
      '2026-10-25T02:30:00+02:00',
      '2026-10-25T02:30:00+01:00',
      '2026-10-25T03:30:00+01:00',
    ]);
  });

  it('treats a starred minute as wildcard', () => {
    // cronie counts `*/15 2 * * *` as wildcard, so nothing fires on the day 02:00-02:59 is skipped.
    expect(firesLocal('*/15 2 * * *', zone, '2026-03-28T12:00:00Z', 1)).toEqual(['2026-03-30T02:00:00+02:00']);
    expect(firesLocal('*/15 2 * * *', zone, '2026-10-24T12:00:00Z', 9)).toEqual([
      '2026-10-25T02:00:00+02:00',
      '2026-10-25T02:15:00+02:00',
      '2026-10-25T02:30:00+02:00',
      '2026-10-25T02:45:00+02:00',
      '2026-10-25T02:00:00+01:00',
      '2026-10-25T02:15:00+01:00',
      '2026-10-25T02:30:00+01:00',
      '2026-10-25T02:45:00+01:00',
      '2026-10-26T02:00:00+01:00',
    ]);
  });

  it('runs @hourly in both copies', () => {
    expect(firesLocal('@hourly', zone, '2026-10-24T23:00:00Z', 3)).toEqual([
      '2026-10-25T02:00:00+02:00',
      '2026-10-25T02:00:00+01:00',
      '2026-10-25T03:00:00+01:00',
    ]);
  });

  it('runs @daily normally on both days', () => {
    expect(firesLocal('@daily', zone, '2026-03-28T12:00:00Z', 2)).toEqual([
      '2026-03-29T00:00:00+01:00',
      '2026-03-30T00:00:00+02:00',
    ]);
    expect(firesLocal('@daily', zone, '2026-10-24T12:00:00Z', 2)).toEqual([
      '2026-10-25T00:00:00+02:00',
      '2026-10-26T00:00:00+01:00',
    ]);
  });
});

// America/New_York in 2026: 02:00 EST jumps to 03:00 EDT on March 8 (07:00 UTC), and 02:00 EDT falls
// back to 01:00 EST on November 1 (06:00 UTC), so 01:00-01:59 happens twice.
describe('DST in America/New_York', () => {
  const zone = 'America/New_York';

  it('runs a skipped fixed time after the jump', () => {
    expect(firesLocal('30 2 * * *', zone, '2026-03-07T12:00:00Z', 2)).toEqual([
      '2026-03-08T03:00:00-04:00',
      '2026-03-09T02:30:00-04:00',
    ]);
  });

  it('runs a repeated fixed time once', () => {
    expect(firesLocal('30 1 * * *', zone, '2026-10-31T12:00:00Z', 2)).toEqual([
      '2026-11-01T01:30:00-04:00',
      '2026-11-02T01:30:00-05:00',
    ]);
  });

  it('skips wildcard fires in the skipped hour', () => {
    expect(firesLocal('15 * * * *', zone, '2026-03-08T06:00:00Z', 2)).toEqual([
      '2026-03-08T01:15:00-05:00',
      '2026-03-08T03:15:00-04:00',
    ]);
    expect(firesLocal('0 * * * *', zone, '2026-03-08T06:30:00Z', 2)).toEqual([
      '2026-03-08T03:00:00-04:00',
      '2026-03-08T04:00:00-04:00',
    ]);
  });

  it('repeats wildcard fires in the repeated hour', () => {
    expect(firesLocal('*/20 * * * *', zone, '2026-11-01T05:00:00Z', 6)).toEqual([
      '2026-11-01T01:20:00-04:00',
      '2026-11-01T01:40:00-04:00',
      '2026-11-01T01:00:00-05:00',
      '2026-11-01T01:20:00-05:00',
      '2026-11-01T01:40:00-05:00',
      '2026-11-01T02:00:00-05:00',
    ]);
  });

  it('repeats seconds in the repeated hour', () => {
    const fires = parseCron('*/30 * * * * *', zone).nextTimes(new Date('2026-11-01T05:59:00Z'), 4);

    expect(fires.map((fire) => fire.toISOString())).toEqual([
      '2026-11-01T05:59:30.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T06:00:30.000Z',
      '2026-11-01T06:01:00.000Z',
    ]);
  });
});

// Australia/Lord_Howe moves by 30 minutes: 02:00 +10:30 jumps to 02:30 +11:00 on 2026-10-04, and
// 02:00 +11:00 falls back to 01:30 +10:30 on 2026-04-05.
describe('half-hour DST in Australia/Lord_Howe', () => {
  const zone = 'Australia/Lord_Howe';

  it('runs a skipped fixed time at 02:30', () => {
    expect(firesLocal('15 2 * * *', zone, '2026-10-03T00:00:00Z', 1)).toEqual(['2026-10-04T02:30:00+11:00']);
  });

  it('runs a repeated fixed time once', () => {
    expect(firesLocal('45 1 * * *', zone, '2026-04-04T00:00:00Z', 2)).toEqual([
      '2026-04-05T01:45:00+11:00',
      '2026-04-06T01:45:00+10:30',
    ]);
  });

  it('repeats a wildcard time', () => {
    expect(firesLocal('45 * * * *', zone, '2026-04-04T14:00:00Z', 3)).toEqual([
      '2026-04-05T01:45:00+11:00',
      '2026-04-05T01:45:00+10:30',
      '2026-04-05T02:45:00+10:30',
    ]);
  });
});

describe('nextTimes', () => {
  it('returns nothing for count 0', () => {
    expect(parseCron('* * * * *').nextTimes(new Date(NEW_YEAR_2026), 0)).toEqual([]);
  });

  it('rejects an invalid Date', () => {
    expect(() => parseCron('* * * * *').next(new Date('not a date'))).toThrow(RangeError);
  });
});

describe('next performance', () => {
  // Logged rather than tightly asserted, so a busy CI machine does not make the test flaky.
  it.each([
    ['*/15 * * * *', 'Europe/Berlin'],
    ['30 2 * * *', 'America/New_York'],
    ['*/10 * * * * *', 'UTC'],
    ['0 9 ? * 5L', 'Europe/Berlin'],
  ])('runs 10,000 next() calls of %s quickly', (expression, zone) => {
    const schedule = parseCron(expression, zone);
    // Instants spread over 2026, like an agent computing fires from the current time. The first pass
    // fills the zone's offset cache.
    const instants = Array.from({ length: 10_000 }, (_, i) => new Date(Date.parse(NEW_YEAR_2026) + i * 3_153_600));
    instants.forEach((instant) => schedule.next(instant));

    let found = 0;
    const started = performance.now();
    for (const instant of instants) {
      if (schedule.next(instant)) {
        found++;
      }
    }
    const elapsed = performance.now() - started;
    console.info(`10,000 next() calls of "${expression}" in ${zone}: ${elapsed.toFixed(1)} ms`);

    expect(found).toBe(10_000);
    expect(elapsed).toBeLessThan(1000);
  });

  it('fills a cold offset cache quickly', () => {
    // A zone nothing else in this file uses, so its offsets are probed from Intl here.
    const schedule = parseCron('0 0 29 2 *', 'America/Santiago');
    const started = performance.now();
    const fire = schedule.next(new Date(NEW_YEAR_2026));
    const elapsed = performance.now() - started;
    console.info(`first next() of "0 0 29 2 *" in America/Santiago, two years ahead: ${elapsed.toFixed(1)} ms`);

    expect(fire?.toISOString()).toBe('2028-02-29T03:00:00.000Z');
    expect(elapsed).toBeLessThan(1000);
  });
});
