import { CronError, FIELD_LABELS, type CronFieldName } from './errors';

/**
 * One comma-separated item of a field. Plain values, ranges and steps become `range` items, where a
 * single value has `from === to`. The other kinds exist only in the day fields.
 */
export type FieldItem =
  /** `*`, `?` or `*\/step`. */
  | { kind: 'all'; step: number }
  /** `a`, `a-b`, `a-b/step`, or `a/step`, which runs to the end of the field (`open`). */
  | { kind: 'range'; from: number; to: number; step: number; open: boolean }
  /** `L` (offset 0) or `L-n` in day-of-month: the last day of the month, or n days before it. */
  | { kind: 'lastDay'; offset: number }
  /** `LW` in day-of-month: the last Monday-to-Friday day of the month. */
  | { kind: 'lastWeekday' }
  /** `nW` in day-of-month: the Monday-to-Friday day nearest to day n, within the same month. */
  | { kind: 'nearestWeekday'; day: number }
  /** `nL` in day-of-week: the last weekday n (0 = Sunday) of the month. */
  | { kind: 'lastOfMonth'; weekday: number }
  /** `n#k` in day-of-week: the k-th weekday n (0 = Sunday) of the month. */
  | { kind: 'nth'; weekday: number; nth: number };

export interface ParsedField {
  name: CronFieldName;
  /** The field as written. */
  text: string;
  items: FieldItem[];
  /** Sorted plain values the field allows, with day-of-week 7 folded into 0 (Sunday). */
  values: number[];
  /**
   * True when the field text starts with `*` or `?`. Cron gives such fields special meaning: a starred
   * day field makes the day fields combine with AND, and a starred minute or hour makes the job follow
   * real time across daylight saving changes.
   */
  starred: boolean;
}

export interface ParsedExpression {
  /** The expression as given, trimmed. */
  expression: string;
  /** The five or six fields, after any macro such as `@daily` was expanded. */
  fieldTexts: string[];
  hasSeconds: boolean;
  second: ParsedField;
  minute: ParsedField;
  hour: ParsedField;
  dayOfMonth: ParsedField;
  month: ParsedField;
  dayOfWeek: ParsedField;
}

interface FieldSpec {
  name: CronFieldName;
  min: number;
  max: number;
  /** Highest value a step counts to, which is below `max` only in day-of-week. */
  stepMax: number;
  names?: Readonly<Record<string, number>>;
  /** Advice for a step too large for the field, naming the larger unit to use instead. */
  largeStepAdvice: string;
}

const MONTH_NAMES: Readonly<Record<string, number>> = {
  JAN: 1,
  FEB: 2,
  MAR: 3,
  APR: 4,
  MAY: 5,
  JUN: 6,
  JUL: 7,
  AUG: 8,
  SEP: 9,
  OCT: 10,
  NOV: 11,
  DEC: 12,
};

const WEEKDAY_NAMES: Readonly<Record<string, number>> = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 };

const FIELD_SPECS: Readonly<Record<CronFieldName, FieldSpec>> = {
  second: {
    name: 'second',
    min: 0,
    max: 59,
    stepMax: 59,
    largeStepAdvice: 'for intervals of a minute or more, use the minute field, e.g. "0 */2 * * * *"',
  },
  minute: {
    name: 'minute',
    min: 0,
    max: 59,
    stepMax: 59,
    largeStepAdvice: 'for intervals of an hour or more, use the hour field, e.g. "0 */2 * * *"',
  },
  hour: {
    name: 'hour',
    min: 0,
    max: 23,
    stepMax: 23,
    largeStepAdvice: 'for intervals of a day or more, use the day-of-month field, e.g. "0 0 */2 * *"',
  },
  dayOfMonth: {
    name: 'dayOfMonth',
    min: 1,
    max: 31,
    stepMax: 31,
    largeStepAdvice: 'for intervals of a month or more, use the month field, e.g. "0 0 1 */2 *"',
  },
  month: {
    name: 'month',
    min: 1,
    max: 12,
    stepMax: 12,
    names: MONTH_NAMES,
    largeStepAdvice: 'for a yearly schedule, name one month, e.g. "0 0 1 1 *"',
  },
  // Both 0 and 7 mean Sunday, so `*` and `a/n` count through 0-6 only: `*/2` is Sunday, Tuesday,
  // Thursday and Saturday, as in cronie.
  dayOfWeek: {
    name: 'dayOfWeek',
    min: 0,
    max: 7,
    stepMax: 6,
    names: WEEKDAY_NAMES,
    largeStepAdvice: 'list the days instead, e.g. "1,4"',
  },
};

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Parses and checks the syntax of a cron expression, field by field. Throws a CronError. */
export function parseExpression(input: string): ParsedExpression {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new CronError(
      'expression',
      'cron expression is empty; write 5 fields such as "*/15 * * * *", or a macro such as "@daily"',
    );
  }

  const expression = input.trim();
  const fieldTexts = expression.startsWith('@') ? expandMacro(expression) : expression.split(/\s+/);
  if (fieldTexts.length !== 5 && fieldTexts.length !== 6) {
    throw new CronError(
      'expression',
      `cron expression "${expression}" has ${fieldTexts.length} fields; write 5 (minute hour day-of-month month ` +
        'day-of-week) or 6 (second minute hour day-of-month month day-of-week)',
    );
  }

  // Five fields start at the minute, six at the second.
  const hasSeconds = fieldTexts.length === 6;
  const first = hasSeconds ? 1 : 0;

  return {
    expression,
    fieldTexts,
    hasSeconds,
    second: parseField(FIELD_SPECS.second, hasSeconds ? fieldTexts[0] : '0'),
    minute: parseField(FIELD_SPECS.minute, fieldTexts[first]),
    hour: parseField(FIELD_SPECS.hour, fieldTexts[first + 1]),
    dayOfMonth: parseField(FIELD_SPECS.dayOfMonth, fieldTexts[first + 2]),
    month: parseField(FIELD_SPECS.month, fieldTexts[first + 3]),
    dayOfWeek: parseField(FIELD_SPECS.dayOfWeek, fieldTexts[first + 4]),
  };
}

function expandMacro(expression: string): string[] {
  const macro = expression.toLowerCase();
  if (macro === '@reboot') {
    throw new CronError(
      'expression',
      '"@reboot" is not supported: pipelines run on a time schedule, not at system start; use a time ' +
        'expression such as "@daily", or start the pipeline manually',
    );
  }

  const expanded = MACROS[macro];
  if (expanded === undefined) {
    throw new CronError(
      'expression',
      `unknown macro "${expression}"; use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly`,
    );
  }

  return expanded.split(' ');
}

function parseField(spec: FieldSpec, text: string): ParsedField {
  const fail = (reason: string): never => {
    throw new CronError(spec.name, `${FIELD_LABELS[spec.name]} field "${text}": ${reason}`);
  };
  const isDayField = spec.name === 'dayOfMonth' || spec.name === 'dayOfWeek';

  if (text === '?') {
    if (!isDayField) {
      fail('"?" is only allowed in the day-of-month and day-of-week fields; use "*" here');
    }

    return {
      name: spec.name,
      text,
      items: [{ kind: 'all', step: 1 }],
      values: expand(spec, spec.min, spec.stepMax, 1),
      starred: true,
    };
  }

  const items: FieldItem[] = [];
  for (const itemText of text.split(',')) {
    if (itemText === '') {
      fail('a list has an empty item; remove the extra comma');
    }
    items.push(parseItem(spec, itemText, fail));
  }

  const values = new Set<number>();
  for (const item of items) {
    if (item.kind === 'all') {
      expand(spec, spec.min, spec.stepMax, item.step).forEach((value) => values.add(value));
    } else if (item.kind === 'range') {
      expand(spec, item.from, item.to, item.step).forEach((value) => values.add(value));
    }
  }

  return {
    name: spec.name,
    text,
    items,
    values: [...values].sort((a, b) => a - b),
    starred: text.startsWith('*'),
  };
}

function expand(spec: FieldSpec, from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) {
    values.push(spec.name === 'dayOfWeek' && value === 7 ? 0 : value);
  }

  return values;
}

function parseItem(spec: FieldSpec, text: string, fail: (reason: string) => never): FieldItem {
  const special = parseDayItem(spec, text, fail);
  if (special) {
    return special;
  }
  if (text.includes('?')) {
    fail('"?" must be the whole field, not part of a list');
  }
  if (spec.name === 'dayOfMonth' && /[LW#]/i.test(text)) {
    fail(
      `"${text}" is not valid; write "L" for the last day of the month, "L-n" for n days before it, ` +
        '"nW" for the weekday nearest day n, or "LW" for the last weekday',
    );
  }
  if (!spec.names && /[LW#]/i.test(text)) {
    fail('"L", "W" and "#" are only allowed in the day-of-month and day-of-week fields');
  }

  const slash = text.indexOf('/');
  const base = slash === -1 ? text : text.slice(0, slash);
  const step = slash === -1 ? null : parseStep(spec, text.slice(slash + 1), fail);

  if (base === '*') {
    return { kind: 'all', step: step ?? 1 };
  }
  if (base === '') {
    fail(`"${text}" has no start before "/"; write "*/n" or "a/n"`);
  }

  const dash = base.indexOf('-', 1);
  if (dash === -1) {
    const from = parseValue(spec, base, fail);
    if (step === null) {
      return { kind: 'range', from, to: from, step: 1, open: false };
    }
    // Only day-of-week has values above `stepMax`: 7, which is Sunday like 0.
    if (from > spec.stepMax) {
      fail(
        `a step cannot start at ${base} because day-of-week steps count up to ${spec.stepMax}; start at 0, which is also Sunday`,
      );
    }

    return { kind: 'range', from, to: spec.stepMax, step, open: true };
  }

  const fromText = base.slice(0, dash);
  const toText = base.slice(dash + 1);
  const from = parseValue(spec, fromText, fail);
  const to = parseValue(spec, toText, fail);
  if (from > to) {
    const wrapMax = spec.name === 'dayOfWeek' ? 6 : spec.max;
    fail(
      `range ${fromText}-${toText} runs backwards; write the lower value first, or list both parts, ` +
        `e.g. "${from}-${wrapMax},${spec.min}-${to}"`,
    );
  }

  return { kind: 'range', from, to, step: step ?? 1, open: false };
}

function parseStep(spec: FieldSpec, text: string, fail: (reason: string) => never): number {
  if (!/^\d+$/.test(text)) {
    fail(`step "${text}" is not a whole number`);
  }

  const step = Number(text);
  if (step === 0) {
    fail('step 0 is invalid; a step must be at least 1');
  }

  const largest = spec.stepMax - spec.min;
  if (step > largest) {
    fail(
      `step ${step} does not fit the ${FIELD_LABELS[spec.name]} range ${spec.min}-${spec.stepMax} (the largest step ` +
        `is ${largest}); ${spec.largeStepAdvice}`,
    );
  }

  return step;
}

function parseValue(spec: FieldSpec, text: string, fail: (reason: string) => never): number {
  let value: number;
  if (/^\d+$/.test(text)) {
    value = Number(text);
  } else if (spec.names && /^[A-Za-z]+$/.test(text)) {
    const named = spec.names[text.toUpperCase()];
    if (named === undefined) {
      const examples = spec.name === 'month' ? 'JAN-DEC' : 'SUN-SAT';
      fail(`"${text}" is not a ${FIELD_LABELS[spec.name]} name; use ${examples} or a number`);
    }
    value = named;
  } else {
    const accepted = spec.names ? 'a number or a name' : 'a number';
    fail(`"${text}" is not ${accepted}`);
  }

  if (value < spec.min || value > spec.max) {
    const sundayNote = spec.name === 'dayOfWeek' ? ' (0 and 7 are Sunday)' : '';
    fail(`value ${value} is out of range ${spec.min}-${spec.max}${sundayNote}`);
  }

  return value;
}

/** Parses the items only the day fields have: `L`, `L-n`, `LW`, `nW`, `nL` and `n#k`. */
function parseDayItem(spec: FieldSpec, text: string, fail: (reason: string) => never): FieldItem | null {
  if (spec.name === 'dayOfMonth') {
    const upper = text.toUpperCase();
    if (upper === 'L') {
      return { kind: 'lastDay', offset: 0 };
    }
    if (upper === 'LW') {
      return { kind: 'lastWeekday' };
    }

    const lastDayMatch = /^L-(\d+)$/.exec(upper);
    if (lastDayMatch) {
      const offset = Number(lastDayMatch[1]);
      if (offset > 30) {
        fail(`"${text}" goes back ${offset} days from the last day; a month has at most 31 days, so use L-0 to L-30`);
      }

      return { kind: 'lastDay', offset };
    }

    const nearestMatch = /^(\d+)W$/.exec(upper);
    if (nearestMatch) {
      const day = Number(nearestMatch[1]);
      if (day < 1 || day > 31) {
        fail(`value ${day} in "${text}" is out of range 1-31`);
      }

      return { kind: 'nearestWeekday', day };
    }

    return null;
  }

  if (spec.name === 'dayOfWeek') {
    if (text.toUpperCase() === 'L') {
      fail('"L" alone is ambiguous in day-of-week; write "6" for Saturday, or "5L" for the last Friday of the month');
    }

    const lastMatch = /^([A-Za-z]+|\d+)L$/i.exec(text);
    if (lastMatch) {
      const weekday = parseValue(spec, lastMatch[1], fail) % 7;

      return { kind: 'lastOfMonth', weekday };
    }

    const nthMatch = /^([A-Za-z]+|\d+)#(.*)$/.exec(text);
    if (nthMatch) {
      const weekday = parseValue(spec, nthMatch[1], fail) % 7;
      if (!/^\d+$/.test(nthMatch[2])) {
        fail(`"${text}" needs a whole number after "#", e.g. "1#2" for the second Monday`);
      }

      const nth = Number(nthMatch[2]);
      if (nth < 1 || nth > 5) {
        fail(`occurrence ${nth} in "${text}" is out of range 1-5`);
      }

      return { kind: 'nth', weekday, nth };
    }
  }

  return null;
}
