/** One job line of a crontab, with the variables set above it. */
export interface CrontabJob {
  /** Line number, from 1. */
  line: number;
  /** The line as written, without its line break. */
  text: string;
  /** The five time fields joined by single spaces, or a macro such as `@daily`. */
  schedule: string;
  /** The user column of a system crontab, or null in a user crontab. */
  user: string | null;
  /** Everything after the schedule (and user), as cron hands it to the shell before `%` handling. */
  command: string;
  /** Variables in effect for this line, in the order they were first set. */
  env: Array<[string, string]>;
}

/** A variable assignment line. */
export interface CrontabVariable {
  line: number;
  text: string;
  name: string;
  value: string;
}

/** A line that cannot be carried over, with the reason. */
export interface CrontabProblem {
  line: number;
  text: string;
  reason: string;
}

export interface ParsedCrontab {
  jobs: CrontabJob[];
  variables: CrontabVariable[];
  problems: CrontabProblem[];
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELD_LABELS = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];

/** Macros cron accepts in place of the five fields, except @reboot, which is reported instead. */
const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** A user name as useradd accepts it, and as the API accepts for a step's run-as user. */
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}\$?$/;

/**
 * Reads a variable assignment the way cron's load_env does: `NAME = value`, where the name and the
 * value may be quoted with ' or ", spaces around `=` are skipped, and an unquoted value loses its
 * trailing spaces. Returns null when the line is not an assignment.
 * NOTE: cronie rejects an empty unquoted value (`MAILTO=`); Debian's cron and this parser accept it.
 */
export function parseAssignment(line: string): { name: string; value: string } | null {
  let rest = line.trimStart();
  let name: string;

  const nameQuote = rest[0] === '"' || rest[0] === "'" ? rest[0] : null;
  if (nameQuote) {
    const end = rest.indexOf(nameQuote, 1);
    if (end < 0 || rest.slice(1, end).includes('=')) {
      return null;
    }
    name = rest.slice(1, end);
    rest = rest.slice(end + 1);
  } else {
    const match = /^[^\s=]+/.exec(rest);
    if (!match) {
      return null;
    }
    name = match[0];
    rest = rest.slice(name.length);
  }

  rest = rest.trimStart();
  if (!rest.startsWith('=')) {
    return null;
  }
  rest = rest.slice(1).trimStart();

  const valueQuote = rest[0] === '"' || rest[0] === "'" ? rest[0] : null;
  if (!valueQuote) {
    return { name, value: rest.trimEnd() };
  }

  const end = rest.indexOf(valueQuote, 1);
  if (end < 0 || rest.slice(end + 1).trim() !== '') {
    return null;
  }

  return { name, value: rest.slice(1, end) };
}

/**
 * Checks one time field against crontab syntax: numbers, `*`, ranges, lists and steps, and three-letter
 * names in the month and day-of-week fields. Returns the reason it is invalid, or null. The values
 * themselves are checked later by the cron parser that ECTS uses.
 */
function checkField(field: string, index: number): string | null {
  const label = FIELD_LABELS[index];
  if (!/^[0-9A-Za-z*,/-]+$/.test(field)) {
    return `${label} field "${field}" has characters crontab does not allow; use digits, *, -, / and ,`;
  }

  let names: string[] = [];
  if (index === 3) {
    names = MONTH_NAMES;
  } else if (index === 4) {
    names = DAY_NAMES;
  }
  for (const word of field.match(/[A-Za-z]+/g) ?? []) {
    if (!names.includes(word.toLowerCase())) {
      const allowed = names.length > 0 ? `; names here are ${names.join(', ')}` : '';

      return `${label} field "${field}": "${word}" is not crontab syntax${allowed}`;
    }
  }

  return null;
}

/** Splits off the first `count` whitespace-separated words of a line and returns them with the rest. */
function splitWords(line: string, count: number): { words: string[]; rest: string } | null {
  const words: string[] = [];
  let rest = line;
  for (let index = 0; index < count; index++) {
    const match = /^\s*(\S+)/.exec(rest);
    if (!match) {
      return null;
    }
    words.push(match[1]);
    rest = rest.slice(match[0].length);
  }

  return { words, rest: rest.replace(/^[ \t]+/, '') };
}

function parseJob(text: string, line: number, system: boolean, env: Map<string, string>): CrontabJob | CrontabProblem {
  const problem = (reason: string): CrontabProblem => ({ line, text, reason });
  const trimmed = text.trimStart();
  const columns = system ? ' user' : '';

  let schedule: string;
  let afterSchedule: string;
  if (trimmed.startsWith('@')) {
    const split = splitWords(trimmed, 1);
    // cron compares macro names case-sensitively, so `@Daily` is an error there too.
    const macro = split?.words[0] ?? '';
    if (macro === '@reboot') {
      return problem('@reboot is not supported: ECTS pipelines run on a time schedule, not when a host starts');
    }
    if (!MACROS.includes(macro)) {
      return problem(`unknown macro "${macro}"; use one of ${MACROS.join(', ')}`);
    }
    schedule = macro;
    afterSchedule = split?.rest ?? '';
  } else {
    const split = splitWords(trimmed, 5);
    if (!split) {
      return problem(`expected 5 time fields,${columns} and a command, or a variable such as NAME=value`);
    }
    for (const [index, field] of split.words.entries()) {
      const reason = checkField(field, index);
      if (reason) {
        return problem(reason);
      }
    }
    schedule = split.words.join(' ');
    afterSchedule = split.rest;
  }

  let user: string | null = null;
  let command = afterSchedule;
  if (system) {
    const split = splitWords(afterSchedule, 1);
    user = split?.words[0] ?? '';
    command = split?.rest ?? '';
    if (user === '') {
      return problem('missing the user column and the command; system crontabs need both after the schedule');
    }
    if (!USER_NAME.test(user)) {
      return problem(
        `"${user}" is not a user name; the user column of a system crontab comes before the command ` +
          '(import a per-user crontab without --system)',
      );
    }
  }
  if (command.trim() === '') {
    return problem(`missing the command after the schedule${system ? ' and the user' : ''}`);
  }

  return { line, text, schedule, user, command, env: [...env.entries()] };
}

/**
 * Parses a crontab like cron does: comment and blank lines are skipped, `NAME=value` lines set a
 * variable for the jobs below them, and every other line is a job. A system crontab (/etc/crontab,
 * /etc/cron.d) has a user column before the command. Lines cron would reject, and @reboot jobs,
 * become problems.
 */
export function parseCrontab(source: string, options: { system: boolean }): ParsedCrontab {
  const parsed: ParsedCrontab = { jobs: [], variables: [], problems: [] };
  const env = new Map<string, string>();

  source.split('\n').forEach((raw, index) => {
    const text = raw.replace(/\r$/, '');
    const line = index + 1;
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      return;
    }

    const assignment = parseAssignment(text);
    if (assignment) {
      env.set(assignment.name, assignment.value);
      parsed.variables.push({ line, text, ...assignment });

      return;
    }

    const result = parseJob(text, line, options.system, env);
    if ('reason' in result) {
      parsed.problems.push(result);
    } else {
      parsed.jobs.push(result);
    }
  });

  return parsed;
}
