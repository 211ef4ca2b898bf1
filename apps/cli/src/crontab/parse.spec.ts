import { describe, expect, it } from 'vitest';

import { parseAssignment, parseCrontab } from './parse';

describe('parseAssignment', () => {
  it.each([
    ['NAME=value', 'NAME', 'value'],
    ['NAME = value', 'NAME', 'value'],
    ['  NAME\t=\tvalue with spaces  ', 'NAME', 'value with spaces'],
    ['NAME="  padded  "', 'NAME', '  padded  '],
    ["NAME='single quoted'", 'NAME', 'single quoted'],
    ['"QUOTED NAME"=x', 'QUOTED NAME', 'x'],
    ['PATH=/usr/local/bin:/usr/bin:/bin', 'PATH', '/usr/local/bin:/usr/bin:/bin'],
    ['MAILTO=""', 'MAILTO', ''],
    ['MAILTO=', 'MAILTO', ''],
    ['A=b=c', 'A', 'b=c'],
    ['GREETING=say "hi"', 'GREETING', 'say "hi"'],
    ['X="quoted"   ', 'X', 'quoted'],
  ])('reads %j as an assignment', (line, name, value) => {
    expect(parseAssignment(line)).toEqual({ name, value });
  });

  it.each([
    '* * * * * echo a=b',
    '0 2 * * * FOO=bar /bin/job',
    '@daily X=1 job',
    'X="unterminated',
    'X="quoted" trailing',
    '"NA=ME"=x',
    'just words',
  ])('rejects %j', (line) => {
    expect(parseAssignment(line)).toBeNull();
  });
});

describe('parseCrontab', () => {
  it('reads jobs with their schedule and command', () => {
    const parsed = parseCrontab('30 2 * * 1-5 /usr/local/bin/backup.sh --full >/dev/null 2>&1\n', { system: false });

    expect(parsed.problems).toEqual([]);
    expect(parsed.jobs).toHaveLength(1);
    expect(parsed.jobs[0].line).toBe(1);
    expect(parsed.jobs[0].schedule).toBe('30 2 * * 1-5');
    expect(parsed.jobs[0].user).toBeNull();
    expect(parsed.jobs[0].command).toBe('/usr/local/bin/backup.sh --full >/dev/null 2>&1');
  });

  it('joins fields split by tabs and runs of spaces', () => {
    const parsed = parseCrontab('*/5\t*   *\t* *\t\techo   keeps   inner   spaces', { system: false });

    expect(parsed.jobs[0].schedule).toBe('*/5 * * * *');
    expect(parsed.jobs[0].command).toBe('echo   keeps   inner   spaces');
  });

  it('skips comments and blank lines but counts them', () => {
    const parsed = parseCrontab('# header\n\n   # indented comment\n   \n0 * * * * date\n', { system: false });

    expect(parsed.jobs.map((job) => job.line)).toEqual([5]);
    expect(parsed.problems).toEqual([]);
  });

  it('keeps a # after the schedule in the command', () => {
    const parsed = parseCrontab('0 * * * * echo hi # not a comment for cron', { system: false });

    expect(parsed.jobs[0].command).toBe('echo hi # not a comment for cron');
  });

  it('gives each job the variables set above it', () => {
    const parsed = parseCrontab(['A=1', '0 * * * * first', 'B=2', 'A=3', '0 * * * * second'].join('\n'), {
      system: false,
    });

    expect(parsed.jobs[0].env).toEqual([['A', '1']]);
    expect(parsed.jobs[1].env).toEqual([
      ['A', '3'],
      ['B', '2'],
    ]);
    expect(parsed.variables.map((variable) => variable.line)).toEqual([1, 3, 4]);
  });

  it('reads the user column of a system crontab', () => {
    const parsed = parseCrontab('17 * * * * root cd / && run-parts --report /etc/cron.hourly', { system: true });

    expect(parsed.jobs[0].user).toBe('root');
    expect(parsed.jobs[0].command).toBe('cd / && run-parts --report /etc/cron.hourly');
  });

  it('reads macros with and without a user column', () => {
    const user = parseCrontab('@daily /usr/bin/cleanup\n@hourly   poll', { system: false });
    const system = parseCrontab('@weekly www-data php /srv/app/artisan schedule:weekly', { system: true });

    expect(user.jobs.map((job) => [job.schedule, job.command])).toEqual([
      ['@daily', '/usr/bin/cleanup'],
      ['@hourly', 'poll'],
    ]);
    expect(system.jobs[0].schedule).toBe('@weekly');
    expect(system.jobs[0].user).toBe('www-data');
    expect(system.jobs[0].command).toBe('php /srv/app/artisan schedule:weekly');
  });

  it('accepts month and day names in any case', () => {
    const parsed = parseCrontab('0 9 * JAN,jul Mon-Fri report', { system: false });

    expect(parsed.problems).toEqual([]);
    expect(parsed.jobs[0].schedule).toBe('0 9 * JAN,jul Mon-Fri');
  });

  it('reports @reboot with its line number', () => {
    const parsed = parseCrontab('0 * * * * ok\n@reboot /usr/bin/start-daemon\n', { system: false });

    expect(parsed.jobs).toHaveLength(1);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0].line).toBe(2);
    expect(parsed.problems[0].text).toBe('@reboot /usr/bin/start-daemon');
    expect(parsed.problems[0].reason).toMatch(/@reboot is not supported/);
  });

  it.each([
    ['@fortnightly job', /unknown macro "@fortnightly"/],
    ['@Daily job', /unknown macro "@Daily"/],
    ['0 2 * *', /expected 5 time fields/],
    ['0 2 * * *', /missing the command/],
    ['0 2 * * *    ', /missing the command/],
    ['0 2 L * * job', /day-of-month field "L": "L" is not crontab syntax/],
    ['0 2 * * 5#3 job', /day-of-week field "5#3" has characters crontab does not allow/],
    ['0 2 ? * * job', /day-of-month field "\?" has characters/],
    ['0 2 * * fri-foo job', /"foo" is not crontab syntax; names here are sun/],
    ['0 two * * * job', /hour field "two": "two" is not crontab syntax$/],
    ['this is not a crontab line', /"this" is not crontab syntax/],
  ])('reports the malformed line %j', (line, reason) => {
    const parsed = parseCrontab(`# first\n${line}`, { system: false });

    expect(parsed.jobs).toEqual([]);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0].line).toBe(2);
    expect(parsed.problems[0].reason).toMatch(reason);
  });

  it.each([
    ['0 2 * * * /usr/bin/job', /"\/usr\/bin\/job" is not a user name/],
    ['0 2 * * * root', /missing the command after the schedule and the user/],
    ['@daily', /missing the user column and the command/],
    ['0 2 * * * Root job', /"Root" is not a user name/],
  ])('reports the system line %j without a usable user', (line, reason) => {
    const parsed = parseCrontab(line, { system: true });

    expect(parsed.jobs).toEqual([]);
    expect(parsed.problems[0].reason).toMatch(reason);
  });

  it('drops a carriage return at the end of a line', () => {
    const parsed = parseCrontab('PATH=/bin\r\n0 * * * * date\r\n', { system: false });

    expect(parsed.jobs[0].command).toBe('date');
    expect(parsed.jobs[0].env).toEqual([['PATH', '/bin']]);
  });

  it('keeps percent signs in the command for later handling', () => {
    const parsed = parseCrontab('0 0 * * * date +\\%F%line one%line two', { system: false });

    expect(parsed.jobs[0].command).toBe('date +\\%F%line one%line two');
  });
});
