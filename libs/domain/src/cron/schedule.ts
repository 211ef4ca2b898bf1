import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, civilFromDays, daysFromCivil } from './calendar';
import { canEverFire, compileDayRule, dayMask, type DayRule } from './days';
import { CronError } from './errors';
import { parseExpression, type ParsedExpression, type ParsedField } from './fields';
import { zoneOffsets, type ZoneOffsets } from './timezone';

export interface CronSchedule {
  readonly expression: string;
  readonly timezone: string;
  readonly hasSeconds: boolean;
  /** First fire time strictly after `after` (a UTC instant), or null if none within 5 years. */
  next(after: Date): Date | null;
  /** Up to `count` fire times strictly after `after`. */
  nextTimes(after: Date, count: number): Date[];
}

/** How far ahead `next` looks before it reports that nothing fires. */
const HORIZON_YEARS = 5;

/**
 * Parses a cron expression and binds it to an IANA time zone (default UTC). Throws a CronError naming
 * the field to fix when the expression is invalid or can never fire, or when the zone is unknown.
 *
 * Fire times follow cronie's rules for daylight saving changes. cronie's entry.c flags a job whose
 * minute or hour field starts with `*` (MIN_STAR, HR_STAR, also set by `@hourly`). find_jobs in cron.c
 * runs such wildcard jobs by real time, so they fire in both copies of a repeated hour and not at all
 * in a skipped one. Any other job is fixed-time and fires once in a repeated hour, at the first
 * occurrence. A fixed-time fire whose local time is skipped happens at the instant of the jump, and all
 * fires skipped by one jump collapse into that one.
 */
export function parseCron(expression: string, timezone = 'UTC'): CronSchedule {
  const parsed = parseExpression(expression);
  const dayRule = compileDayRule(parsed);
  if (!canEverFire(dayRule, parsed.month.values)) {
    throw new CronError(
      'expression',
      `cron expression "${parsed.expression}" never fires: no month allowed by the month field ` +
        `"${parsed.month.text}" has a day that matches day-of-month "${parsed.dayOfMonth.text}" and ` +
        `day-of-week "${parsed.dayOfWeek.text}"`,
    );
  }

  return new CompiledSchedule(parsed, dayRule, zoneOffsets(timezone));
}

/**
 * Builds a table where entry v is the smallest allowed value at or above v, or -1 when none is left.
 * The extra entry past `max` is always -1, so callers may step one past the end.
 */
function nextValueTable(field: ParsedField, max: number): Int8Array {
  const table = new Int8Array(max + 2).fill(-1);
  const allowed = new Set(field.values);
  let next = -1;
  for (let value = max; value >= 0; value--) {
    if (allowed.has(value)) {
      next = value;
    }
    table[value] = next;
  }

  return table;
}

/** Index of the lowest set bit of a non-zero 32-bit integer. */
function lowestBit(mask: number): number {
  return 31 - Math.clz32(mask & -mask);
}

class CompiledSchedule implements CronSchedule {
  readonly expression: string;
  readonly timezone: string;
  readonly hasSeconds: boolean;

  /** True for the jobs cronie calls wildcard: the minute or hour field starts with `*`. */
  private readonly followsRealTime: boolean;
  private readonly nextSecond: Int8Array;
  private readonly nextMinute: Int8Array;
  private readonly nextHour: Int8Array;
  private readonly nextMonth: Int8Array;

  /** Day mask of the month last looked at, keyed by year * 12 + month, because most calls stay in one month. */
  private cachedMonthKey = Number.NaN;
  private cachedDayMask = 0;

  constructor(
    parsed: ParsedExpression,
    private readonly dayRule: DayRule,
    private readonly zone: ZoneOffsets,
  ) {
    this.expression = parsed.expression;
    this.timezone = zone.timezone;
    this.hasSeconds = parsed.hasSeconds;
    this.followsRealTime = parsed.minute.starred || parsed.hour.starred;
    this.nextSecond = nextValueTable(parsed.second, 59);
    this.nextMinute = nextValueTable(parsed.minute, 59);
    this.nextHour = nextValueTable(parsed.hour, 23);
    this.nextMonth = nextValueTable(parsed.month, 12);
  }

  next(after: Date): Date | null {
    const time = after.getTime();
    if (Number.isNaN(time)) {
      throw new RangeError(`next() of cron expression "${this.expression}" needs a valid Date, got Invalid Date`);
    }

    // Fires happen on whole seconds, so the first candidate is the next whole second after `after`.
    const start = Math.floor(time / SECOND_MS) * SECOND_MS + SECOND_MS;
    const horizon = new Date(time);
    horizon.setUTCFullYear(horizon.getUTCFullYear() + HORIZON_YEARS);
    const limit = horizon.getTime();

    const fire = this.followsRealTime ? this.nextInRealTime(start, limit) : this.nextAtFixedTime(start, limit);

    return fire === null ? null : new Date(fire);
  }

  nextTimes(after: Date, count: number): Date[] {
    const fires: Date[] = [];
    let cursor = after;
    while (fires.length < count) {
      const fire = this.next(cursor);
      if (fire === null) {
        break;
      }
      fires.push(fire);
      cursor = fire;
    }

    return fires;
  }

  /**
   * Walks the zone's spans of constant offset from `start`. Within a span local time maps one to one to
   * UTC, so the first local match that still falls inside the span is the fire. Local times skipped by
   * a jump forward are never reached, and a repeated hour is walked twice.
   */
  private nextInRealTime(start: number, limit: number): number | null {
    let instant = start;
    while (instant <= limit) {
      const offset = this.zone.offsetAt(instant);
      const spanEnd = this.zone.boundaryAfter(instant);
      const local = this.nextLocalMatch(instant + offset, limit + DAY_MS);
      if (local === null) {
        return null;
      }

      const fire = local - offset;
      if (fire < spanEnd) {
        return fire <= limit ? fire : null;
      }
      instant = spanEnd;
    }

    return null;
  }

  /**
   * Like `nextInRealTime`, with cronie's rules for fixed-time jobs: a local time that already occurred
   * before a jump back is not fired again, and a local time inside a jump forward fires at the jump.
   */
  private nextAtFixedTime(start: number, limit: number): number | null {
    let instant = start;
    while (instant <= limit) {
      const offset = this.zone.offsetAt(instant);
      const spanEnd = this.zone.boundaryAfter(instant);
      const local = this.nextLocalMatch(instant + offset, limit + DAY_MS);
      if (local === null) {
        return null;
      }

      const fire = local - offset;
      if (fire < spanEnd) {
        const transition = this.zone.transitionAtOrBefore(fire);
        const repeatedUntil = transition ? transition.at + transition.offsetBefore : Number.NEGATIVE_INFINITY;
        if (transition && transition.offsetBefore > transition.offsetAfter && local < repeatedUntil) {
          // The clock went back and this local time already passed once before the jump: skip the rest
          // of the repeated range.
          instant = repeatedUntil - offset;
          continue;
        }

        return fire <= limit ? fire : null;
      }

      const offsetAfter = this.zone.offsetAt(spanEnd);
      if (offsetAfter > offset && local < spanEnd + offsetAfter) {
        // The clock jumps forward over this local time, so the job fires right after the jump.
        // NOTE: cronie takes a jump of more than 3 hours for a clock change and runs nothing it skipped.
        // Here any jump fires, so Samoa's skipped 2011-12-30 fires its fixed-time jobs at the jump.
        return spanEnd <= limit ? spanEnd : null;
      }
      instant = spanEnd;
    }

    return null;
  }

  /**
   * Returns the first local wall-clock time at or after `local` that the fields match, both as
   * milliseconds since 1970-01-01T00:00 local time, or null when there is none before `localLimit`.
   */
  private nextLocalMatch(local: number, localLimit: number): number | null {
    const limitDay = Math.floor(localLimit / DAY_MS);
    const startDay = Math.floor(local / DAY_MS);
    const date = civilFromDays(startDay);
    const secondOfDay = Math.floor((local - startDay * DAY_MS) / SECOND_MS);

    let year = date.year;
    let month = date.month;
    let day = date.day;
    let hour = Math.floor(secondOfDay / 3600);
    let minute = Math.floor(secondOfDay / 60) % 60;
    let second = secondOfDay % 60;

    // Each pass either returns or moves the candidate forward to the start of a later unit, so the loop
    // ends once the candidate passes the limit.
    for (;;) {
      const allowedMonth = this.nextMonth[month];
      if (allowedMonth === -1) {
        year++;
        month = 1;
        day = 1;
        hour = minute = second = 0;
        continue;
      }
      if (allowedMonth !== month) {
        month = allowedMonth;
        day = 1;
        hour = minute = second = 0;
      }
      if (daysFromCivil(year, month, 1) > limitDay) {
        return null;
      }

      const days = day <= 31 ? this.dayMaskOf(year, month) >>> day : 0;
      if (days === 0) {
        month++;
        day = 1;
        hour = minute = second = 0;
        continue;
      }

      const allowedDay = day + lowestBit(days);
      if (allowedDay !== day) {
        day = allowedDay;
        hour = minute = second = 0;
      }

      const allowedHour = this.nextHour[hour];
      if (allowedHour === -1) {
        day++;
        hour = minute = second = 0;
        continue;
      }
      if (allowedHour !== hour) {
        hour = allowedHour;
        minute = second = 0;
      }

      const allowedMinute = this.nextMinute[minute];
      if (allowedMinute === -1) {
        hour++;
        minute = second = 0;
        continue;
      }
      if (allowedMinute !== minute) {
        minute = allowedMinute;
        second = 0;
      }

      const allowedSecond = this.nextSecond[second];
      if (allowedSecond === -1) {
        minute++;
        second = 0;
        continue;
      }

      return daysFromCivil(year, month, day) * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS + allowedSecond * SECOND_MS;
    }
  }

  private dayMaskOf(year: number, month: number): number {
    const key = year * 12 + month;
    if (key !== this.cachedMonthKey) {
      this.cachedMonthKey = key;
      this.cachedDayMask = dayMask(this.dayRule, year, month);
    }

    return this.cachedDayMask;
  }
}
