import { describe, expect, it } from 'vitest';

import { describeCronZh } from './cron-words-zh';

describe('describeCronZh', () => {
  const cases: [string, string][] = [
    ['* * * * * *', '每秒'],
    ['*/10 * * * * *', '每 10 秒'],
    ['* * * * *', '每分钟'],
    ['*/5 * * * *', '每 5 分钟'],
    ['0 * * * *', '每小时整点'],
    ['15,45 * * * *', '每小时第 15、45 分'],
    ['0 */2 * * *', '每 2 小时整点'],
    ['20 */3 * * *', '每 3 小时的第 20 分'],
    ['30 2 * * *', '每天 02:30'],
    ['30 15 10 * * *', '每天 10:15:30'],
    ['0 9 * * 1-5', '每周一至周五 09:00'],
    ['0 9,18 * * mon-fri', '每周一至周五 09:00、18:00'],
    ['0 12 * * 0,6', '每周日、周六 12:00'],
    ['0 12 * * 7', '每周日 12:00'],
    ['0 0 1,15 * *', '每月 1 日、15 日 00:00'],
    ['0 0 1 * 1', '每月 1 日或周一 00:00'],
    ['0 0 1 1 *', '每年 1 月 1 日 00:00'],
    ['0 8 * 6-8 *', '每年 6 月至 8 月的每天 08:00'],
    ['*/15 * * * 1-5', '每周一至周五，每 15 分钟'],
    ['0 * 9-17 * *', '每月 9 日至 17 日，每小时整点'],
    ['@daily', '每天 00:00'],
    ['@weekly', '每周日 00:00'],
    ['@hourly', '每小时整点'],
    ['@yearly', '每年 1 月 1 日 00:00'],
    ['@monthly', '每月 1 日 00:00'],
  ];

  for (const [expression, expected] of cases) {
    it(`explains ${expression}`, () => {
      expect(describeCronZh(expression)).toBe(expected);
    });
  }

  // These shapes fall back to the English description.
  for (const expression of [
    '0 0 L * *',
    '0 0 15W * *',
    '0 0 * * 5#2',
    '0 0 */10 * 1',
    '0 0 1-10/2 * *',
    '0 9-17 * * *',
  ]) {
    it(`leaves ${expression} to English`, () => {
      expect(describeCronZh(expression)).toBeNull();
    });
  }

  it('leaves many clock times to English', () => {
    expect(describeCronZh('0,30 8-11 * * *')).toBeNull();
  });
});
