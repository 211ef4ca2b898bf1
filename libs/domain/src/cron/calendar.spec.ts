import { describe, expect, it } from 'vitest';

import { DAY_MS, civilFromDays, daysFromCivil, daysInMonth, isLeapYear, weekdayFromDays } from './calendar';

describe('calendar arithmetic', () => {
  it('numbers days from 1970-01-01', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2000, 3, 1)).toBe(11017);
    expect(daysFromCivil(1969, 12, 31)).toBe(-1);
  });

  it('agrees with Date.UTC from 1600 to 2400', () => {
    // Every 13th day, to cover all month positions and both leap-year rules without a long run.
    for (let time = Date.UTC(1600, 0, 1); time < Date.UTC(2400, 0, 1); time += 13 * DAY_MS) {
      const date = new Date(time);
      const days = time / DAY_MS;

      expect(daysFromCivil(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())).toBe(days);
      expect(civilFromDays(days)).toEqual({
        year: date.getUTCFullYear(),
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
      });
      expect(weekdayFromDays(days)).toBe(date.getUTCDay());
    }
  });

  it('applies the century leap-year rules', () => {
    expect(isLeapYear(2024)).toBe(true);
    expect(isLeapYear(2100)).toBe(false);
    expect(isLeapYear(2000)).toBe(true);
    expect(daysInMonth(2028, 2)).toBe(29);
    expect(daysInMonth(2100, 2)).toBe(28);
    expect(daysInMonth(2026, 4)).toBe(30);
    expect(daysInMonth(2026, 12)).toBe(31);
  });
});
