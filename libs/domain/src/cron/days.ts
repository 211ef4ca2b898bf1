import { daysFromCivil, daysInMonth, weekdayFromDays } from './calendar';
import type { FieldItem, ParsedExpression, ParsedField } from './fields';

/**
 * The day fields compiled for fast matching. Plain values are bit masks: bit d of `daysOfMonth` is day d
 * (1-31), bit w of `weekdays` is weekday w (0 = Sunday).
 */
export interface DayRule {
  daysOfMonth: number;
  lastDayOffsets: number[];
  nearestWeekdays: number[];
  lastWeekday: boolean;
  weekdays: number;
  lastWeekdaysOfMonth: number[];
  nthWeekdays: Array<{ weekday: number; nth: number }>;
  /**
   * True when either day field starts with `*` (even `*\/10`), so a day must match both fields, as in
   * cronie. When both fields are restricted, a day matching either is enough.
   */
  bothMustMatch: boolean;
}

export function compileDayRule(expression: ParsedExpression): DayRule {
  const rule: DayRule = {
    daysOfMonth: bitMask(expression.dayOfMonth.values),
    lastDayOffsets: [],
    nearestWeekdays: [],
    lastWeekday: false,
    weekdays: bitMask(expression.dayOfWeek.values),
    lastWeekdaysOfMonth: [],
    nthWeekdays: [],
    bothMustMatch: expression.dayOfMonth.starred || expression.dayOfWeek.starred,
  };

  for (const item of specialItems(expression.dayOfMonth)) {
    if (item.kind === 'lastDay') {
      rule.lastDayOffsets.push(item.offset);
    } else if (item.kind === 'lastWeekday') {
      rule.lastWeekday = true;
    } else if (item.kind === 'nearestWeekday') {
      rule.nearestWeekdays.push(item.day);
    }
  }
  for (const item of specialItems(expression.dayOfWeek)) {
    if (item.kind === 'lastOfMonth') {
      rule.lastWeekdaysOfMonth.push(item.weekday);
    } else if (item.kind === 'nth') {
      rule.nthWeekdays.push({ weekday: item.weekday, nth: item.nth });
    }
  }

  return rule;
}

function specialItems(field: ParsedField): FieldItem[] {
  return field.items.filter((item) => item.kind !== 'all' && item.kind !== 'range');
}

function bitMask(values: number[]): number {
  let mask = 0;
  for (const value of values) {
    mask |= 1 << value;
  }

  return mask;
}

/** Returns the days of one month that the rule allows, as a bit mask with bit d for day d. */
export function dayMask(rule: DayRule, year: number, month: number): number {
  const length = daysInMonth(year, month);
  const firstWeekday = weekdayFromDays(daysFromCivil(year, month, 1));
  const lastWeekdayOfMonth = (firstWeekday + length - 1) % 7;

  // Bits 1..length; `| 0` keeps bit 31 as a sign bit, which the bitwise operators below handle.
  const inMonth = (2 ** (length + 1) - 2) | 0;

  let byDayOfMonth = rule.daysOfMonth & inMonth;
  for (const offset of rule.lastDayOffsets) {
    if (length - offset >= 1) {
      byDayOfMonth |= 1 << (length - offset);
    }
  }
  if (rule.lastWeekday) {
    byDayOfMonth |= 1 << nearestWeekday(length, length, lastWeekdayOfMonth);
  }
  for (const day of rule.nearestWeekdays) {
    if (day <= length) {
      byDayOfMonth |= 1 << nearestWeekday(day, length, (firstWeekday + day - 1) % 7);
    }
  }

  let byDayOfWeek = 0;
  for (let weekday = 0; weekday < 7; weekday++) {
    if ((rule.weekdays & (1 << weekday)) !== 0) {
      for (let day = 1 + ((weekday - firstWeekday + 7) % 7); day <= length; day += 7) {
        byDayOfWeek |= 1 << day;
      }
    }
  }
  for (const weekday of rule.lastWeekdaysOfMonth) {
    byDayOfWeek |= 1 << (length - ((lastWeekdayOfMonth - weekday + 7) % 7));
  }
  for (const { weekday, nth } of rule.nthWeekdays) {
    const day = 1 + ((weekday - firstWeekday + 7) % 7) + 7 * (nth - 1);
    if (day <= length) {
      byDayOfWeek |= 1 << day;
    }
  }

  return rule.bothMustMatch ? byDayOfMonth & byDayOfWeek : byDayOfMonth | byDayOfWeek;
}

/**
 * Moves a day that falls on a weekend to the nearest Monday-to-Friday day of the same month. Saturday
 * moves to the Friday before, or to the Monday after when it is the 1st. Sunday moves to the Monday
 * after, or to the Friday before when it is the last day of the month.
 */
function nearestWeekday(day: number, length: number, weekday: number): number {
  if (weekday === 6) {
    return day > 1 ? day - 1 : day + 2;
  }
  if (weekday === 0) {
    return day < length ? day + 1 : day - 2;
  }

  return day;
}

/**
 * Tells whether the day fields allow at least one day in any month the month field allows. The
 * Gregorian calendar repeats every 400 years, so checking 2000-2399 covers every combination of leap
 * year and weekday.
 */
export function canEverFire(rule: DayRule, months: number[]): boolean {
  for (let year = 2000; year < 2400; year++) {
    for (const month of months) {
      if (dayMask(rule, year, month) !== 0) {
        return true;
      }
    }
  }

  return false;
}
