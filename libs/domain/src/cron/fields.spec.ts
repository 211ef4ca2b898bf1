import { describe, expect, it } from 'vitest';

import { CronError, parseCron, type CronErrorField } from '../cron';
import { parseExpression } from './fields';

/** Parses and returns the CronError thrown, failing the test when nothing is thrown. */
function cronErrorOf(expression: string, timezone?: string): CronError {
  try {
    parseCron(expression, timezone);
  } catch (error: unknown) {
    if (error instanceof CronError) {
      return error;
    }
    throw error;
  }
  throw new Error(`expected "${expression}" to be rejected`);
}

describe('parseExpression values', () => {
  it('expands steps, ranges and lists', () => {
    const parsed = parseExpression('*/20 1-3,7 */10 JAN-MAR/2 5-7');

    expect(parsed.minute.values).toEqual([0, 20, 40]);
    expect(parsed.hour.values).toEqual([1, 2, 3, 7]);
    expect(parsed.dayOfMonth.values).toEqual([1, 11, 21, 31]);
    expect(parsed.month.values).toEqual([1, 3]);
    expect(parsed.dayOfWeek.values).toEqual([0, 5, 6]);
  });

  it('fills second 0 for five fields', () => {
    const parsed = parseExpression('* * * * *');

    expect(parsed.hasSeconds).toBe(false);
    expect(parsed.second.values).toEqual([0]);
  });

  it('marks fields that start with a star', () => {
    const parsed = parseExpression('*/5 1 */2 * ?');

    expect(parsed.minute.starred).toBe(true);
    expect(parsed.hour.starred).toBe(false);
    expect(parsed.dayOfMonth.starred).toBe(true);
    expect(parsed.dayOfWeek.starred).toBe(true);
  });

  it('expands macros to their fields', () => {
    expect(parseExpression('@weekly').fieldTexts).toEqual(['0', '0', '*', '*', '0']);
    expect(parseExpression('@hourly').hour.starred).toBe(true);
  });

  it('accepts tabs and repeated spaces', () => {
    expect(parseExpression('0\t12   * * *').hour.values).toEqual([12]);
  });
});

describe('CronError', () => {
  it('carries code, field and name', () => {
    const error = cronErrorOf('61 * * * *');

    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('CRON_INVALID');
    expect(error.field).toBe('minute');
    expect(error.name).toBe('CronError');
  });
});

describe('rejected expressions', () => {
  const cases: Array<[string, CronErrorField, string]> = [
    ['61 * * * *', 'minute', 'minute field "61": value 61 is out of range 0-59'],
    ['0,61 * * * *', 'minute', 'minute field "0,61": value 61 is out of range 0-59'],
    ['0 24 * * *', 'hour', 'hour field "24": value 24 is out of range 0-23'],
    ['0 0 0 * *', 'dayOfMonth', 'day-of-month field "0": value 0 is out of range 1-31'],
    ['0 0 32 * *', 'dayOfMonth', 'day-of-month field "32": value 32 is out of range 1-31'],
    ['0 0 1 13 *', 'month', 'month field "13": value 13 is out of range 1-12'],
    ['0 0 * * 8', 'dayOfWeek', 'day-of-week field "8": value 8 is out of range 0-7 (0 and 7 are Sunday)'],
    ['60 * * * * *', 'second', 'second field "60": value 60 is out of range 0-59'],
    ['0 0 * FOO *', 'month', 'month field "FOO": "FOO" is not a month name; use JAN-DEC or a number'],
    [
      '0 0 * * FUNDAY',
      'dayOfWeek',
      'day-of-week field "FUNDAY": "FUNDAY" is not a day-of-week name; use SUN-SAT or a number',
    ],
    ['abc * * * *', 'minute', 'minute field "abc": "abc" is not a number'],
    ['MON * * * *', 'minute', 'minute field "MON": "MON" is not a number'],
    ['1,,2 * * * *', 'minute', 'minute field "1,,2": a list has an empty item; remove the extra comma'],
    ['*/0 * * * *', 'minute', 'minute field "*/0": step 0 is invalid; a step must be at least 1'],
    ['*/x * * * *', 'minute', 'minute field "*/x": step "x" is not a whole number'],
    ['/5 * * * *', 'minute', 'minute field "/5": "/5" has no start before "/"; write "*/n" or "a/n"'],
    [
      '30-10 * * * *',
      'minute',
      'minute field "30-10": range 30-10 runs backwards; write the lower value first, or list both parts, e.g. "30-59,0-10"',
    ],
    [
      '0 0 * * FRI-MON',
      'dayOfWeek',
      'day-of-week field "FRI-MON": range FRI-MON runs backwards; write the lower value first, or list both parts, e.g. "5-6,0-1"',
    ],
    [
      '? * * * *',
      'minute',
      'minute field "?": "?" is only allowed in the day-of-month and day-of-week fields; use "*" here',
    ],
    ['0 0 1,? * *', 'dayOfMonth', 'day-of-month field "1,?": "?" must be the whole field, not part of a list'],
    [
      '5L * * * *',
      'minute',
      'minute field "5L": "L", "W" and "#" are only allowed in the day-of-month and day-of-week fields',
    ],
    [
      '0 1#2 * * *',
      'hour',
      'hour field "1#2": "L", "W" and "#" are only allowed in the day-of-month and day-of-week fields',
    ],
    [
      '0 0 5L * *',
      'dayOfMonth',
      'day-of-month field "5L": "5L" is not valid; write "L" for the last day of the month, "L-n" for n days before it, ' +
        '"nW" for the weekday nearest day n, or "LW" for the last weekday',
    ],
    [
      '0 0 L-31 * *',
      'dayOfMonth',
      'day-of-month field "L-31": "L-31" goes back 31 days from the last day; a month has at most 31 days, so use L-0 to L-30',
    ],
    ['0 0 32W * *', 'dayOfMonth', 'day-of-month field "32W": value 32 in "32W" is out of range 1-31'],
    ['0 0 0W * *', 'dayOfMonth', 'day-of-month field "0W": value 0 in "0W" is out of range 1-31'],
    [
      '0 0 * * L',
      'dayOfWeek',
      'day-of-week field "L": "L" alone is ambiguous in day-of-week; write "6" for Saturday, or "5L" for the last Friday of the month',
    ],
    ['0 0 * * 1#6', 'dayOfWeek', 'day-of-week field "1#6": occurrence 6 in "1#6" is out of range 1-5'],
    ['0 0 * * 1#0', 'dayOfWeek', 'day-of-week field "1#0": occurrence 0 in "1#0" is out of range 1-5'],
    ['0 0 * * 8#1', 'dayOfWeek', 'day-of-week field "8#1": value 8 is out of range 0-7 (0 and 7 are Sunday)'],
    [
      '0 0 * * 1#',
      'dayOfWeek',
      'day-of-week field "1#": "1#" needs a whole number after "#", e.g. "1#2" for the second Monday',
    ],
    ['0 0 * * 9L', 'dayOfWeek', 'day-of-week field "9L": value 9 is out of range 0-7 (0 and 7 are Sunday)'],
    [
      '0 0 * * 7/2',
      'dayOfWeek',
      'day-of-week field "7/2": a step cannot start at 7 because day-of-week steps count up to 6; start at 0, which is also Sunday',
    ],
  ];

  it.each(cases)('rejects %s', (expression, field, message) => {
    const error = cronErrorOf(expression);

    expect(error.field).toBe(field);
    expect(error.message).toBe(message);
  });
});

describe('steps larger than the field', () => {
  it.each([
    [
      '*/90 * * * *',
      'minute',
      'step 90 does not fit the minute range 0-59 (the largest step is 59)',
      'use the hour field',
    ],
    ['*/60 * * * *', 'minute', 'step 60 does not fit the minute range 0-59', 'use the hour field'],
    [
      '0 */25 * * *',
      'hour',
      'step 25 does not fit the hour range 0-23 (the largest step is 23)',
      'use the day-of-month field',
    ],
    ['0 */24 * * *', 'hour', 'step 24 does not fit the hour range 0-23', 'use the day-of-month field'],
    ['*/61 * * * * *', 'second', 'step 61 does not fit the second range 0-59', 'use the minute field'],
    [
      '0 0 */31 * *',
      'dayOfMonth',
      'step 31 does not fit the day-of-month range 1-31 (the largest step is 30)',
      'use the month field',
    ],
    ['0 0 1 */12 *', 'month', 'step 12 does not fit the month range 1-12 (the largest step is 11)', 'name one month'],
    [
      '0 0 * * */7',
      'dayOfWeek',
      'step 7 does not fit the day-of-week range 0-6 (the largest step is 6)',
      'list the days instead',
    ],
    ['10-20/70 * * * *', 'minute', 'step 70 does not fit the minute range 0-59', 'use the hour field'],
  ])('rejects %s', (expression, field, reason, advice) => {
    const error = cronErrorOf(expression);

    expect(error.field).toBe(field);
    expect(error.message).toContain(reason);
    expect(error.message).toContain(advice);
  });

  it('accepts the largest step', () => {
    expect(
      parseCron('*/59 * * * *')
        .nextTimes(new Date('2026-01-01T00:00:00Z'), 2)
        .map((d) => d.toISOString()),
    ).toEqual(['2026-01-01T00:59:00.000Z', '2026-01-01T01:00:00.000Z']);
  });

  it('accepts a step longer than its sub-range', () => {
    expect(parseExpression('10-20/15 * * * *').minute.values).toEqual([10]);
  });
});

describe('expression-level errors', () => {
  it('rejects an empty expression', () => {
    const error = cronErrorOf('   ');

    expect(error.field).toBe('expression');
    expect(error.message).toBe(
      'cron expression is empty; write 5 fields such as "*/15 * * * *", or a macro such as "@daily"',
    );
  });

  it.each([
    ['* * * *', 4],
    ['* * * * * * *', 7],
  ])('rejects %s by field count', (expression, count) => {
    const error = cronErrorOf(expression);

    expect(error.field).toBe('expression');
    expect(error.message).toBe(
      `cron expression "${expression}" has ${count} fields; write 5 (minute hour day-of-month month day-of-week) ` +
        'or 6 (second minute hour day-of-month month day-of-week)',
    );
  });

  it('rejects @reboot as unsupported', () => {
    const error = cronErrorOf('@reboot');

    expect(error.field).toBe('expression');
    expect(error.message).toContain('"@reboot" is not supported');
  });

  it('rejects an unknown macro', () => {
    const error = cronErrorOf('@fortnightly');

    expect(error.field).toBe('expression');
    expect(error.message).toBe(
      'unknown macro "@fortnightly"; use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly',
    );
  });

  it.each(['0 0 30 2 *', '0 0 31 4,6,9,11 *', '0 0 31W 2 *', '0 0 30,31 FEB ?'])(
    'rejects %s as never firing',
    (expression) => {
      const error = cronErrorOf(expression);

      expect(error.field).toBe('expression');
      expect(error.message).toContain(`cron expression "${expression}" never fires`);
    },
  );

  it('accepts rare but possible days', () => {
    // The starred day-of-week makes this February 29 on a Sunday or Saturday: 2028-02-29 is a Tuesday,
    // so within five years of 2026 nothing fires, and the next is Sunday 2032-02-29.
    expect(parseCron('0 0 29 2 */6').next(new Date('2026-01-01T00:00:00Z'))).toBeNull();
    expect(parseCron('0 0 29 2 */6').next(new Date('2030-01-01T00:00:00Z'))?.toISOString()).toBe(
      '2032-02-29T00:00:00.000Z',
    );
  });

  it('rejects an unknown time zone', () => {
    const error = cronErrorOf('* * * * *', 'Mars/Olympus_Mons');

    expect(error.field).toBe('timezone');
    expect(error.message).toBe(
      'time zone "Mars/Olympus_Mons" is not a known IANA time zone; use a name such as "Europe/Berlin" or "UTC"',
    );
  });

  it('rejects a fixed offset as time zone', () => {
    expect(cronErrorOf('* * * * *', '+02:00').field).toBe('timezone');
  });
});
