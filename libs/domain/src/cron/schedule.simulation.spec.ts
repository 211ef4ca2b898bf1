import { describe, expect, it } from 'vitest';

import { parseCron } from '../cron';
import { parseExpression } from './fields';

/**
 * Checks next() against a minute-by-minute simulation of cronie's rules around DST changes. The
 * simulation reads local time straight from Intl and matches fields by value sets, so it shares no
 * code with the evaluator's offset cache, span walking or day masks.
 */

const MINUTE = 60_000;

interface LocalMinute {
  instant: number;
  /** Local wall time as minutes since 1970-01-01T00:00 local, to compare and subtract local times. */
  key: number;
  minute: number;
  hour: number;
  day: number;
  month: number;
  weekday: number;
}

const WEEKDAY_INDEX: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function localMinutes(timezone: string, from: string, to: string): LocalMinute[] {
  const formatter = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short',
  });
  const minutes: LocalMinute[] = [];
  for (let instant = Date.parse(from); instant < Date.parse(to); instant += MINUTE) {
    const parts = Object.fromEntries(formatter.formatToParts(instant).map((part) => [part.type, part.value]));
    const year = Number(parts.year);
    const month = Number(parts.month);
    const day = Number(parts.day);
    const hour = Number(parts.hour);
    const minute = Number(parts.minute);
    minutes.push({
      instant,
      key: Date.UTC(year, month - 1, day, hour, minute) / MINUTE,
      minute,
      hour,
      day,
      month,
      weekday: WEEKDAY_INDEX[parts.weekday],
    });
  }

  return minutes;
}

function simulate(expression: string, minutes: LocalMinute[]): string[] {
  const parsed = parseExpression(expression);
  const matches = (local: LocalMinute): boolean => {
    const dayOfMonth = parsed.dayOfMonth.values.includes(local.day);
    const dayOfWeek = parsed.dayOfWeek.values.includes(local.weekday);
    const dayMatches =
      parsed.dayOfMonth.starred || parsed.dayOfWeek.starred ? dayOfMonth && dayOfWeek : dayOfMonth || dayOfWeek;

    return (
      parsed.minute.values.includes(local.minute) &&
      parsed.hour.values.includes(local.hour) &&
      parsed.month.values.includes(local.month) &&
      dayMatches
    );
  };
  const keyMatches = (key: number): boolean => {
    const date = new Date(key * MINUTE);

    return matches({
      instant: 0,
      key,
      minute: date.getUTCMinutes(),
      hour: date.getUTCHours(),
      day: date.getUTCDate(),
      month: date.getUTCMonth() + 1,
      weekday: date.getUTCDay(),
    });
  };
  const wildcard = parsed.minute.starred || parsed.hour.starred;

  const fires: string[] = [];
  // Highest local minute seen so far: a local minute at or below it is a repeat after a jump back.
  let highestKey = minutes[0].key;
  for (let i = 1; i < minutes.length; i++) {
    const local = minutes[i];
    const previousKey = minutes[i - 1].key;
    let firesNow: boolean;
    if (wildcard) {
      firesNow = matches(local);
    } else {
      // Fixed-time: the first occurrence of a local minute fires, and a jump forward fires once for
      // whatever it skipped.
      const firstOccurrence = local.key > highestKey;
      let skippedMatch = false;
      for (let key = previousKey + 1; key < local.key; key++) {
        skippedMatch = skippedMatch || keyMatches(key);
      }
      firesNow = (firstOccurrence && matches(local)) || skippedMatch;
    }
    highestKey = Math.max(highestKey, local.key);
    if (firesNow) {
      fires.push(new Date(local.instant).toISOString());
    }
  }

  return fires;
}

function evaluate(expression: string, timezone: string, from: string, to: string): string[] {
  const schedule = parseCron(expression, timezone);
  const fires: string[] = [];
  let cursor: Date | null = new Date(from);
  while (cursor) {
    cursor = schedule.next(cursor);
    if (!cursor || cursor.getTime() >= Date.parse(to)) {
      break;
    }
    fires.push(cursor.toISOString());
  }

  return fires;
}

const EXPRESSIONS = [
  '30 2 * * *',
  '45 1 * * *',
  '*/20 * * * *',
  '15 * * * *',
  '0,15,30,45 1-3 * * *',
  '*/15 2 * * *',
  '0 2-4 * * *',
  '0-59 1 * * *',
  '45 1 * * 0',
  '0 0 1,15 * 1',
  '5 */3 */2 * *',
];

const WINDOWS: Array<[string, string, string]> = [
  ['Europe/Berlin', '2026-03-27T00:00:00Z', '2026-04-01T00:00:00Z'],
  ['Europe/Berlin', '2026-10-23T00:00:00Z', '2026-10-28T00:00:00Z'],
  ['America/New_York', '2026-03-06T00:00:00Z', '2026-03-11T00:00:00Z'],
  ['America/New_York', '2026-10-30T00:00:00Z', '2026-11-04T00:00:00Z'],
  ['Australia/Lord_Howe', '2026-04-02T00:00:00Z', '2026-04-07T00:00:00Z'],
  ['Australia/Lord_Howe', '2026-10-01T00:00:00Z', '2026-10-06T00:00:00Z'],
];

describe.each(WINDOWS)('next() against a simulation in %s from %s', (timezone, from, to) => {
  const minutes = localMinutes(timezone, from, to);

  it.each(EXPRESSIONS)('matches the simulation for %s', (expression) => {
    // The simulation's first minute only sets up state, so both sides start after it.
    const expected = simulate(expression, minutes);

    expect(expected.length).toBeGreaterThan(0);
    expect(evaluate(expression, timezone, from, to)).toEqual(expected);
  });
});
