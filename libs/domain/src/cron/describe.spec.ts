import { describe, expect, it } from 'vitest';

import { CronError, describeCron } from '../cron';

describe('describeCron', () => {
  it.each([
    ['30 2 * * 1-5', 'At 02:30, on Monday through Friday'],
    ['* * * * *', 'Every minute'],
    ['*/15 * * * *', 'Every 15 minutes'],
    ['*/15 9-17 * * 1-5', 'Every 15 minutes, between 09:00 and 17:59, on Monday through Friday'],
    ['* 2 * * *', 'Every minute, between 02:00 and 02:59'],
    ['30 * * * *', 'At minute 30 past the hour'],
    ['0,30 * * * *', 'At minutes 0 and 30 past the hour'],
    ['0 */2 * * *', 'At minute 0 past the hour, every 2 hours'],
    ['5/10 * * * *', 'Every 10 minutes starting at minute 5'],
    ['0-10 * * * *', 'Every minute from minute 0 through 10'],
    ['5 9,17 * * *', 'At 09:05 and 17:05'],
    ['*/10 * * * * *', 'Every 10 seconds'],
    ['15 30 2 * * *', 'At 02:30:15'],
    ['0 30 2 * * *', 'At 02:30'],
    ['@yearly', 'At 00:00, on day 1 of the month, in January'],
    ['@weekly', 'At 00:00, on Sunday'],
    ['@hourly', 'At minute 0 past the hour'],
    ['0 0 L * *', 'At 00:00, on the last day of the month'],
    ['0 0 L-3 * *', 'At 00:00, on the last day of the month minus 3 days'],
    ['0 0 LW * *', 'At 00:00, on the last weekday of the month'],
    ['0 0 15W * *', 'At 00:00, on the weekday nearest day 15 of the month'],
    ['0 0 1-7 * *', 'At 00:00, on days 1 through 7 of the month'],
    ['0 0 */2 * *', 'At 00:00, on every 2nd day of the month from day 1 through 31'],
    ['0 9 ? * 5L', 'At 09:00, on the last Friday of the month'],
    ['0 9 * * 1#2', 'At 09:00, on the second Monday of the month'],
    ['0 0 * * MON,WED,FRI', 'At 00:00, on Monday, Wednesday and Friday'],
    ['0 0 * * */2', 'At 00:00, on Sunday, Tuesday, Thursday and Saturday'],
    ['0 9 1,15 * 1', 'At 09:00, on days 1 and 15 of the month or on Monday'],
    ['0 9 */10 * 1,5', 'At 09:00, on days 1, 11, 21 and 31 of the month, if that day falls on Monday or Friday'],
    ['0 0 * 1-3 *', 'At 00:00, in January through March'],
    ['0 0 * */3 *', 'At 00:00, in January, April, July and October'],
  ])('describes %s', (expression, expected) => {
    expect(describeCron(expression)).toBe(expected);
  });

  it('rejects an invalid expression', () => {
    expect(() => describeCron('61 * * * *')).toThrow(CronError);
  });
});
