/**
 * Explains common cron expressions in Simplified Chinese, e.g. "每周一至周五 09:00" for "0 9 * * 1-5".
 * The expression must already be valid (parseCron checked it). Returns null for shapes it does not
 * cover, such as L, W, #, stepped ranges or many clock times; callers then show describeCron's English.
 */
export function describeCronZh(expression: string): string | null {
  const fields = expandMacro(expression.trim().toUpperCase()).split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return null;
  }

  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = fields.length === 6 ? fields : ['0', ...fields];
  const parsed = {
    second: parseField(second!, 0, 59),
    minute: parseField(minute!, 0, 59),
    hour: parseField(hour!, 0, 23),
    dayOfMonth: parseField(dayOfMonth!, 1, 31),
    month: parseField(month!, 1, 12, MONTHS),
    dayOfWeek: parseField(dayOfWeek!, 0, 7, WEEKDAYS),
  };
  const { second: s, minute: m, hour: h, dayOfMonth: dom, month: mon, dayOfWeek: dow } = parsed;
  if (s === null || m === null || h === null || dom === null || mon === null || dow === null) {
    return null;
  }

  const days = describeDays(dom, dow, mon);
  if (days === null) {
    return null;
  }

  const frequency = describeFrequency(s, m, h);
  if (frequency !== null) {
    return days === '每天' ? frequency : `${days}，${frequency}`;
  }

  const times = describeClockTimes(s, m, h);

  return times === null ? null : `${days} ${times}`;
}

type Field = { kind: 'all'; step: number } | { kind: 'values'; values: number[]; ranges: [number, number][] };

const MONTHS: Readonly<Record<string, number>> = {
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
const WEEKDAYS: Readonly<Record<string, number>> = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 };
const WEEKDAY_WORDS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];

/** Macros as libs/domain expands them. */
const MACROS: Readonly<Record<string, string>> = {
  '@YEARLY': '0 0 1 1 *',
  '@ANNUALLY': '0 0 1 1 *',
  '@MONTHLY': '0 0 1 * *',
  '@WEEKLY': '0 0 * * 0',
  '@DAILY': '0 0 * * *',
  '@MIDNIGHT': '0 0 * * *',
  '@HOURLY': '0 * * * *',
};

/** Most clock times listed one by one; more read better as the English field-by-field description. */
const MAX_LISTED_TIMES = 6;

function expandMacro(expression: string): string {
  return MACROS[expression] ?? expression;
}

/** Parses `*`, `?`, `*\/n`, and lists of values and plain ranges; anything else returns null. */
function parseField(
  text: string,
  min: number,
  max: number,
  names: Readonly<Record<string, number>> = {},
): Field | null {
  const star = /^[*?](?:\/(\d+))?$/.exec(text);
  if (star !== null) {
    return { kind: 'all', step: Number(star[1] ?? 1) };
  }

  const values = new Set<number>();
  const ranges: [number, number][] = [];
  for (const item of text.split(',')) {
    const match = /^([A-Z]{3}|\d+)(?:-([A-Z]{3}|\d+))?$/.exec(item);
    if (match === null) {
      return null;
    }

    const from = toNumber(match[1]!, names);
    const to = match[2] === undefined ? from : toNumber(match[2], names);
    if (from === null || to === null || from < min || to > max || from > to) {
      return null;
    }
    ranges.push([from, to]);
    for (let value = from; value <= to; value++) {
      values.add(value);
    }
  }

  return { kind: 'values', values: [...values].sort((a, b) => a - b), ranges };
}

function toNumber(text: string, names: Readonly<Record<string, number>>): number | null {
  if (/^\d+$/.test(text)) {
    return Number(text);
  }

  return names[text] ?? null;
}

function single(field: Field): number | null {
  return field.kind === 'values' && field.values.length === 1 ? field.values[0]! : null;
}

function isEvery(field: Field): boolean {
  return field.kind === 'all' && field.step === 1;
}

/** Writes the values of a field as "1 日、15 日" or "1 日至 5 日", using `word` for each value. */
function describeList(field: Extract<Field, { kind: 'values' }>, word: (value: number) => string): string {
  return field.ranges
    .map(([from, to]) => {
      const last = word(to);

      // Chinese text puts a space between a character and a digit, so "6 月至 8 月" but "周一至周五".
      return from === to ? last : `${word(from)}至${/^\d/.test(last) ? ' ' : ''}${last}`;
    })
    .join('、');
}

/** Describes how often a sub-daily schedule fires, or returns null when it fires at fixed clock times. */
function describeFrequency(second: Field, minute: Field, hour: Field): string | null {
  if (isEvery(hour)) {
    if (isEvery(minute)) {
      if (isEvery(second)) {
        return '每秒';
      }
      if (second.kind === 'all') {
        return `每 ${second.step} 秒`;
      }

      return single(second) === 0 ? '每分钟' : null;
    }
    if (single(second) !== 0) {
      return null;
    }
    if (minute.kind === 'all') {
      return `每 ${minute.step} 分钟`;
    }

    return single(minute) === 0 ? '每小时整点' : `每小时第 ${describeList(minute, String)} 分`;
  }

  if (hour.kind === 'all' && single(second) === 0 && single(minute) !== null) {
    const at = single(minute)!;

    return at === 0 ? `每 ${hour.step} 小时整点` : `每 ${hour.step} 小时的第 ${at} 分`;
  }

  return null;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** Lists the clock times of the day, e.g. "02:30" or "09:00、18:00", or returns null when there are too many. */
function describeClockTimes(second: Field, minute: Field, hour: Field): string | null {
  if (second.kind !== 'values' || minute.kind !== 'values' || hour.kind !== 'values') {
    return null;
  }
  if (second.values.length * minute.values.length * hour.values.length > MAX_LISTED_TIMES) {
    return null;
  }

  const times: string[] = [];
  for (const h of hour.values) {
    for (const m of minute.values) {
      for (const s of second.values) {
        times.push(s === 0 ? `${pad(h)}:${pad(m)}` : `${pad(h)}:${pad(m)}:${pad(s)}`);
      }
    }
  }

  return times.join('、');
}

/**
 * Describes the days, e.g. "每天", "每周一至周五" or "每年 1 月 1 日". When both day fields are restricted
 * cron fires on a day matching either one. A stepped star such as `*\/10` makes them combine with AND
 * instead, and that case, like a stepped month, is left to the English text.
 */
function describeDays(dayOfMonth: Field, dayOfWeek: Field, month: Field): string | null {
  const stepped = [dayOfMonth, dayOfWeek, month].some((field) => field.kind === 'all' && field.step !== 1);
  if (stepped) {
    return null;
  }

  const weekdays = dayOfWeek.kind === 'values' ? describeList(dayOfWeek, (value) => WEEKDAY_WORDS[value % 7]!) : '';
  const monthDays = dayOfMonth.kind === 'values' ? describeList(dayOfMonth, (value) => `${value} 日`) : '';
  let days = '每天';
  if (monthDays !== '' && weekdays !== '') {
    days = `${monthDays}或${weekdays}`;
  } else if (monthDays !== '') {
    days = monthDays;
  } else if (weekdays !== '') {
    days = `每${weekdays}`;
  }

  if (month.kind === 'values') {
    const months = describeList(month, (value) => `${value} 月`);

    return monthDays !== '' && weekdays === '' ? `每年 ${months} ${days}` : `每年 ${months}的${days}`;
  }

  return monthDays !== '' ? `每月 ${days}` : days;
}
