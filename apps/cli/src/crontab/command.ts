/** The shell cron runs commands with when a crontab sets no SHELL. */
export const DEFAULT_CRON_SHELL = '/bin/sh';

/** A crontab command split the way cron splits it before running it. */
export interface CronCommand {
  /** What cron passes to `$SHELL -c`. */
  command: string;
  /** What cron writes to the command's standard input, or null when nothing. */
  stdin: string | null;
}

/**
 * Splits a crontab command at its first unescaped `%`, as cronie's do_command.c does. In the command
 * part `\%` becomes `%` and any other backslash stays. In the input part every unescaped `%` becomes a
 * newline, `\%` becomes `%`, other backslashes stay, and a final newline is added when the last
 * character written was not one.
 */
export function splitPercent(text: string): CronCommand {
  let command = '';
  let escaped = false;
  let index = 0;
  for (; index < text.length; index++) {
    const character = text[index];
    if (escaped) {
      escaped = false;
      if (character === '%') {
        command = command.slice(0, -1);
      }
      command += character;
      continue;
    }
    if (character === '\\') {
      escaped = true;
      command += character;
      continue;
    }
    if (character === '%') {
      break;
    }
    command += character;
  }

  const input = text.slice(index + 1);
  if (index >= text.length || input === '') {
    return { command, stdin: null };
  }

  let stdin = '';
  let needsNewline = false;
  escaped = false;
  for (const original of input) {
    let character = original;
    if (escaped) {
      if (character !== '%') {
        stdin += '\\';
      }
    } else if (character === '%') {
      character = '\n';
    }
    escaped = character === '\\';
    if (!escaped) {
      stdin += character;
      needsNewline = character !== '\n';
    }
  }
  // cron writes a trailing lone backslash after its loop, without updating its newline flag.
  if (escaped) {
    stdin += '\\';
  }
  if (needsNewline) {
    stdin += '\n';
  }

  return { command, stdin };
}

/** Quotes a string for a POSIX shell, so it reaches the command as one literal word. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Picks a here-document delimiter that is not a line of the text. */
function delimiterFor(text: string): string {
  const lines = new Set(text.split('\n'));
  let delimiter = 'ECTS_STDIN';
  for (let suffix = 2; lines.has(delimiter); suffix++) {
    delimiter = `ECTS_STDIN_${suffix}`;
  }

  return delimiter;
}

/**
 * Builds the command of an ECTS shell task, which always runs under `/bin/sh -c`, so that it behaves
 * as the crontab line did under cron: the command runs in `shell`, with `stdin` as its standard input.
 * A plain command under /bin/sh is kept as it is. Otherwise it is handed to `exec SHELL -c`, with the
 * input in a quoted here-document, or piped from printf in the rare case that it does not end with a
 * newline (a here-document always does).
 */
export function toShellTaskCommand(parts: CronCommand, shell: string): string {
  if (parts.stdin === null && shell === DEFAULT_CRON_SHELL) {
    return parts.command;
  }

  const invocation = `exec ${shellQuote(shell)} -c ${shellQuote(parts.command)}`;
  if (parts.stdin === null) {
    return invocation;
  }
  if (!parts.stdin.endsWith('\n')) {
    return `printf '%s' ${shellQuote(parts.stdin)} | ${invocation}`;
  }

  const delimiter = delimiterFor(parts.stdin);

  return `${invocation} <<'${delimiter}'\n${parts.stdin}${delimiter}`;
}
