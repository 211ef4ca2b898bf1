import { execFileSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { shellQuote, splitPercent, toShellTaskCommand } from './command';

describe('splitPercent', () => {
  it.each([
    ['plain command', 'plain command', null],
    ['date +\\%Y-\\%m-\\%d', 'date +%Y-%m-%d', null],
    ['mail -s hi root%body', 'mail -s hi root', 'body\n'],
    ['cat%line 1%line 2', 'cat', 'line 1\nline 2\n'],
    ['cat%ends with newline%', 'cat', 'ends with newline\n'],
    ['cat%two blank%%', 'cat', 'two blank\n\n'],
    ['cat%', 'cat', null],
    ['cat%100\\% done', 'cat', '100% done\n'],
    ['cat%keeps \\n and \\t', 'cat', 'keeps \\n and \\t\n'],
    ['echo a\\\\%b', 'echo a\\\\', 'b\n'],
    ['printf "\\x41"%in', 'printf "\\x41"', 'in\n'],
    ['cat%ends with backslash\\', 'cat', 'ends with backslash\\\n'],
    ['cat%%\\', 'cat', '\n\\'],
    ['cat%\\\\%x', 'cat', '\\%x\n'],
  ])('splits %j as cron does', (text, command, stdin) => {
    expect(splitPercent(text)).toEqual({ command, stdin });
  });
});

describe('shellQuote', () => {
  it('survives every quote character through sh', () => {
    const text = `it's "quoted" $HOME \`date\` \\ end`;
    const echoed = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(text)}`], { encoding: 'utf8' });

    expect(echoed).toBe(text);
  });
});

/** Runs a task command the way the agent does, and returns what it printed. */
function runTaskCommand(command: string, env: Record<string, string> = {}): string {
  return execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env } });
}

describe('toShellTaskCommand', () => {
  it('keeps a plain /bin/sh command as it is', () => {
    expect(toShellTaskCommand({ command: 'backup.sh --full', stdin: null }, '/bin/sh')).toBe('backup.sh --full');
  });

  it('runs the command in the crontab shell', () => {
    const command = toShellTaskCommand(
      { command: 'echo "$0"; [[ -n yes ]] && echo bash-only', stdin: null },
      '/bin/bash',
    );

    expect(command).toBe(`exec '/bin/bash' -c 'echo "$0"; [[ -n yes ]] && echo bash-only'`);
    expect(runTaskCommand(command)).toBe('/bin/bash\nbash-only\n');
  });

  it('feeds standard input to every command of the line', () => {
    const command = toShellTaskCommand(
      { command: 'read a; read b; echo "$b $a"', stdin: 'first\nsecond\n' },
      '/bin/sh',
    );

    expect(runTaskCommand(command)).toBe('second first\n');
  });

  it('passes input byte for byte', () => {
    const stdin = `$HOME 'single' "double" \`date\` \\ 100%\n\nlast\n`;
    const command = toShellTaskCommand({ command: 'cat', stdin }, '/bin/sh');

    expect(runTaskCommand(command)).toBe(stdin);
  });

  it('picks a delimiter that is not a line of the input', () => {
    const stdin = 'ECTS_STDIN\nECTS_STDIN_2\n';
    const command = toShellTaskCommand({ command: 'cat', stdin }, '/bin/sh');

    expect(command).toContain("<<'ECTS_STDIN_3'");
    expect(runTaskCommand(command)).toBe(stdin);
  });

  it('pipes input without a final newline', () => {
    const command = toShellTaskCommand({ command: 'od -An -tx1', stdin: '\n\\' }, '/bin/sh');

    expect(command.startsWith("printf '%s' ")).toBe(true);
    expect(runTaskCommand(command).trim()).toBe('0a 5c');
  });

  it('reproduces a crontab line with a date format', () => {
    const parts = splitPercent('echo "day $(date -d @0 -u +\\%Y-\\%m-\\%d)"');

    expect(runTaskCommand(toShellTaskCommand(parts, '/bin/sh'))).toBe('day 1970-01-01\n');
  });
});
