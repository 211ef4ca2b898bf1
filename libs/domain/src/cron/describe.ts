import { parseExpression, type FieldItem, type ParsedExpression, type ParsedField } from './fields';

const MONTHS = [
  '',
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const ORDINALS = ['', 'first', 'second', 'third', 'fourth', 'fifth'];

/** Maximum number of clock times listed one by one ("At 09:00, 12:00 and 18:00") before the fields are described one by one. */
const MAX_LISTED_TIMES = 6;

/** Maximum number of days of the month listed one by one before a step is described as "every 2nd day". */
const MAX_LISTED_DAYS = 8;

/**
 * Explains a cron expression in plain English, e.g. "At 02:30, on Monday through Friday". Throws a
 * CronError for an invalid expression. The wording covers the common shapes well and the rare ones
 * correctly but clumsily. It does not mention time zones or daylight saving rules.
 */
export function describeCron(expression: string): string {
  const parsed = parseExpression(expression);
  const parts = [describeTime(parsed), describeDays(parsed), describeMonths(parsed.month)].filter(
    (part) => part !== '',
  );
  const sentence = parts.join(', ');

  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

function describeTime(parsed: ParsedExpression): string {
  const { second, minute, hour } = parsed;
  const clockTimes = listClockTimes(parsed);
  if (clockTimes) {
    return `at ${joinWords(clockTimes)}`;
  }

  const phrases: string[] = [];
  if (parsed.hasSeconds && !isSingleValue(second, 0)) {
    phrases.push(describeUnit(second, 'second'));
  }
  if (!(isEveryValue(minute) && phrases.length > 0 && isEveryValue(hour))) {
    phrases.push(describeUnit(minute, 'minute'));
  }
  if (!isEveryValue(hour)) {
    phrases.push(describeHours(hour));
  }

  return phrases.join(', ');
}

/** Lists every clock time when all time fields hold plain values and there are only a few times. */
function listClockTimes(parsed: ParsedExpression): string[] | null {
  const fields = [parsed.hour, parsed.minute, parsed.second];
  if (!fields.every((field) => field.items.every((item) => item.kind === 'range' && item.from === item.to))) {
    return null;
  }

  const count = parsed.hour.values.length * parsed.minute.values.length * parsed.second.values.length;
  if (count > MAX_LISTED_TIMES) {
    return null;
  }

  const times: string[] = [];
  for (const hour of parsed.hour.values) {
    for (const minute of parsed.minute.values) {
      for (const second of parsed.second.values) {
        const clock = `${pad(hour)}:${pad(minute)}`;
        times.push(parsed.hasSeconds && second !== 0 ? `${clock}:${pad(second)}` : clock);
      }
    }
  }

  return times;
}

/** Describes the second or minute field, e.g. "every 15 minutes" or "at minutes 0 and 30". */
function describeUnit(field: ParsedField, unit: 'second' | 'minute'): string {
  const singles = field.items.filter((item) => item.kind === 'range' && item.from === item.to);
  if (singles.length === field.items.length) {
    const label = field.values.length === 1 ? unit : `${unit}s`;
    const suffix = unit === 'minute' ? ' past the hour' : '';

    return `at ${label} ${joinWords(field.values.map(String))}${suffix}`;
  }

  return joinWords(field.items.map((item) => describeStepItem(item, unit)));
}

function describeHours(field: ParsedField): string {
  const phrases = field.items.map((item) => {
    if (item.kind === 'range' && item.step === 1) {
      return item.from === item.to
        ? `between ${pad(item.from)}:00 and ${pad(item.from)}:59`
        : `between ${pad(item.from)}:00 and ${pad(item.to)}:59`;
    }

    return describeStepItem(item, 'hour');
  });

  return joinWords(phrases);
}

/** Describes `*`, a step or a range of a time field, e.g. "every 2 hours from hour 8 through 18". */
function describeStepItem(item: FieldItem, unit: string): string {
  if (item.kind === 'all') {
    return item.step === 1 ? `every ${unit}` : `every ${item.step} ${unit}s`;
  }
  if (item.kind !== 'range') {
    return '';
  }
  if (item.from === item.to) {
    return `at ${unit} ${item.from}`;
  }

  const every = item.step === 1 ? `every ${unit}` : `every ${item.step} ${unit}s`;

  return item.open
    ? `${every} starting at ${unit} ${item.from}`
    : `${every} from ${unit} ${item.from} through ${item.to}`;
}

function describeDays(parsed: ParsedExpression): string {
  const { dayOfMonth, dayOfWeek } = parsed;
  const everyDayOfMonth = isEveryValue(dayOfMonth);
  const everyDayOfWeek = isEveryValue(dayOfWeek);
  if (everyDayOfMonth && everyDayOfWeek) {
    return '';
  }
  if (everyDayOfWeek) {
    return describeDaysOfMonth(dayOfMonth);
  }
  if (everyDayOfMonth) {
    return `on ${describeWeekdays(dayOfWeek)}`;
  }

  // Both fields are restricted: cron ORs them, unless one of them starts with `*`.
  if (dayOfMonth.starred || dayOfWeek.starred) {
    return `${describeDaysOfMonth(dayOfMonth)}, if that day falls on ${describeWeekdays(dayOfWeek, 'or')}`;
  }

  return `${describeDaysOfMonth(dayOfMonth)} or on ${describeWeekdays(dayOfWeek)}`;
}

function describeDaysOfMonth(field: ParsedField): string {
  const plainDays: string[] = [];
  const phrases: string[] = [];
  for (const item of field.items) {
    switch (item.kind) {
      case 'all':
      case 'range': {
        const values = itemValues(item, 1, 31);
        if (item.kind === 'range' && item.step === 1 && item.from !== item.to) {
          phrases.push(`on days ${item.from} through ${item.to} of the month`);
        } else if (values.length <= MAX_LISTED_DAYS) {
          plainDays.push(...values.map(String));
        } else {
          phrases.push(
            `on every ${ordinal(item.step)} day of the month from day ${values[0]} through ${values[values.length - 1]}`,
          );
        }
        break;
      }
      case 'lastDay':
        phrases.push(
          item.offset === 0
            ? 'on the last day of the month'
            : `on the last day of the month minus ${item.offset} ${item.offset === 1 ? 'day' : 'days'}`,
        );
        break;
      case 'lastWeekday':
        phrases.push('on the last weekday of the month');
        break;
      case 'nearestWeekday':
        phrases.push(`on the weekday nearest day ${item.day} of the month`);
        break;
      case 'lastOfMonth':
      case 'nth':
        break;
    }
  }
  if (plainDays.length > 0) {
    phrases.unshift(`on day${plainDays.length > 1 ? 's' : ''} ${joinWords(plainDays)} of the month`);
  }

  return joinWords(phrases);
}

function describeWeekdays(field: ParsedField, conjunction: Conjunction = 'and'): string {
  const phrases: string[] = [];
  for (const item of field.items) {
    switch (item.kind) {
      case 'all':
        phrases.push(
          item.step === 1 ? 'any day of the week' : joinWords(itemValues(item, 0, 6).map((value) => WEEKDAYS[value])),
        );
        break;
      case 'range':
        if (item.from === item.to) {
          phrases.push(WEEKDAYS[item.from % 7]);
        } else if (item.step === 1 && !item.open) {
          phrases.push(`${WEEKDAYS[item.from % 7]} through ${WEEKDAYS[item.to % 7]}`);
        } else {
          const days: string[] = [];
          for (let day = item.from; day <= item.to; day += item.step) {
            days.push(WEEKDAYS[day % 7]);
          }
          phrases.push(joinWords(days, conjunction));
        }
        break;
      case 'lastOfMonth':
        phrases.push(`the last ${WEEKDAYS[item.weekday]} of the month`);
        break;
      case 'nth':
        phrases.push(`the ${ORDINALS[item.nth]} ${WEEKDAYS[item.weekday]} of the month`);
        break;
      case 'lastDay':
      case 'lastWeekday':
      case 'nearestWeekday':
        break;
    }
  }

  return joinWords(phrases, conjunction);
}

function describeMonths(field: ParsedField): string {
  if (isEveryValue(field)) {
    return '';
  }

  const phrases = field.items.map((item) => {
    if (item.kind === 'range' && item.step === 1 && item.from !== item.to) {
      return `${MONTHS[item.from]} through ${MONTHS[item.to]}`;
    }

    return joinWords(itemValues(item, 1, 12).map((value) => MONTHS[value]));
  });

  return `in ${joinWords(phrases)}`;
}

function itemValues(item: FieldItem, min: number, max: number): number[] {
  if (item.kind !== 'range' && item.kind !== 'all') {
    return [];
  }

  const from = item.kind === 'all' ? min : item.from;
  const to = item.kind === 'all' ? max : item.to;
  const values: number[] = [];
  for (let value = from; value <= to; value += item.step) {
    values.push(value);
  }

  return values;
}

/** Tells whether a field allows everything with a plain `*` or `?`. */
function isEveryValue(field: ParsedField): boolean {
  return field.items.length === 1 && field.items[0].kind === 'all' && field.items[0].step === 1;
}

function isSingleValue(field: ParsedField, value: number): boolean {
  return field.values.length === 1 && field.values[0] === value && field.items.length === 1;
}

type Conjunction = 'and' | 'or';

/** Joins words as English lists do: "a", "a and b", "a, b and c". */
function joinWords(words: string[], conjunction: Conjunction = 'and'): string {
  if (words.length <= 1) {
    return words.join('');
  }

  return `${words.slice(0, -1).join(', ')} ${conjunction} ${words[words.length - 1]}`;
}

function ordinal(value: number): string {
  const lastTwo = value % 100;
  if (lastTwo >= 11 && lastTwo <= 13) {
    return `${value}th`;
  }

  const suffixes: Record<number, string> = { 1: 'st', 2: 'nd', 3: 'rd' };

  return `${value}${suffixes[value % 10] ?? 'th'}`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
