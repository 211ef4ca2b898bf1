import { describe, expect, it } from 'vitest';

import { convertCrontab, jobSlug, type ConvertOptions } from './convert';
import { parseCrontab } from './parse';

const OPTIONS: ConvertOptions = {
  node: 'web-1',
  prefix: 'web-1-crontab',
  timezone: 'UTC',
  runAsUser: null,
  source: '/etc/crontab',
};

function convert(lines: string[], system = false, options: Partial<ConvertOptions> = {}) {
  return convertCrontab(parseCrontab(lines.join('\n'), { system }), { ...OPTIONS, ...options });
}

describe('jobSlug', () => {
  it.each([
    ['/usr/local/bin/backup.sh --full >/dev/null 2>&1', 'backup-sh-full'],
    ['cd / && run-parts --report /etc/cron.hourly', 'cd-run-parts'],
    ['LANG=C sort /var/log/x', 'sort-x'],
    ['php /srv/app/artisan schedule:run', 'php-artisan'],
    ['>/dev/null 2>&1', 'job'],
    ['"quoted words" only', 'only'],
    ['cat -n; echo "$GREETING"', 'cat-n-echo'],
    ['a && b || c | d', 'a-b-c'],
  ])('names %j %j', (command, slug) => {
    expect(jobSlug(command)).toBe(slug);
  });
});

describe('convertCrontab', () => {
  it('creates one shell task and one pipeline per job', () => {
    const converted = convert(['0 2 * * * /usr/bin/backup', '*/5 * * * * /usr/bin/poll']);

    expect(converted.problems).toEqual([]);
    expect(converted.definitions.tasks.map((task) => [task.name, task.kind, task.config])).toEqual([
      ['web-1-crontab-backup', 'shell', { command: '/usr/bin/backup' }],
      ['web-1-crontab-poll', 'shell', { command: '/usr/bin/poll' }],
    ]);
    expect(converted.definitions.pipelines[0]).toEqual({
      name: 'web-1-crontab-backup',
      description: 'Imported from /etc/crontab line 1: 0 2 * * * /usr/bin/backup',
      cron: '0 2 * * *',
      timezone: 'UTC',
      overlap: 'allow',
      nodes: ['web-1'],
      steps: [{ task: 'web-1-crontab-backup' }],
    });
    expect(converted.jobs.map((job) => job.line)).toEqual([1, 2]);
  });

  it('numbers jobs that would share a name', () => {
    const converted = convert(['0 1 * * * /bin/sync', '0 2 * * * /bin/sync', '0 3 * * * /bin/sync']);

    expect(converted.definitions.pipelines.map((pipeline) => pipeline.name)).toEqual([
      'web-1-crontab-sync',
      'web-1-crontab-sync-2',
      'web-1-crontab-sync-3',
    ]);
  });

  it('passes macros through as the schedule', () => {
    const converted = convert(['@daily /bin/a', '@annually /bin/b', '@midnight /bin/c']);

    expect(converted.definitions.pipelines.map((pipeline) => pipeline.cron)).toEqual([
      '@daily',
      '@annually',
      '@midnight',
    ]);
  });

  it('turns other variables into step environment', () => {
    const converted = convert([
      'PATH=/usr/local/bin:/usr/bin:/bin',
      'GREETING = "hello world"',
      '0 * * * * first',
      'GREETING=bye',
      '0 * * * * second',
    ]);

    expect(converted.definitions.pipelines[0].steps[0].env).toEqual({
      PATH: '/usr/local/bin:/usr/bin:/bin',
      GREETING: 'hello world',
    });
    expect(converted.definitions.pipelines[1].steps[0].env).toEqual({
      PATH: '/usr/local/bin:/usr/bin:/bin',
      GREETING: 'bye',
    });
  });

  it('marks secret-looking variables secret', () => {
    const converted = convert(['DB_PASSWORD=hunter2', 'PATH=/bin', '0 * * * * /bin/job']);

    expect(converted.definitions.pipelines[0].steps[0].env).toEqual([
      { name: 'DB_PASSWORD', value: 'hunter2', secret: true },
      { name: 'PATH', value: '/bin' },
    ]);
  });

  it('runs the command in the crontab shell', () => {
    const converted = convert(['SHELL=/bin/bash', '0 * * * * echo $BASH_VERSION']);

    expect(converted.definitions.tasks[0].config['command']).toBe("exec '/bin/bash' -c 'echo $BASH_VERSION'");
    expect(converted.definitions.pipelines[0].steps[0].env).toEqual({ SHELL: '/bin/bash' });
  });

  it('turns percent signs into standard input', () => {
    const converted = convert(['0 0 * * * mail -s "disk \\% used" root%Disk report%done']);

    expect(converted.definitions.tasks[0].config['command']).toBe(
      `exec '/bin/sh' -c 'mail -s "disk % used" root' <<'ECTS_STDIN'\nDisk report\ndone\nECTS_STDIN`,
    );
  });

  it('reads CRON_TZ, then TZ, as the time zone', () => {
    const converted = convert([
      '0 9 * * * /bin/default-zone',
      'TZ=Asia/Tokyo',
      '0 9 * * * /bin/tz',
      'CRON_TZ=America/New_York',
      '0 9 * * * /bin/cron-tz',
    ]);

    expect(converted.definitions.pipelines.map((pipeline) => pipeline.timezone)).toEqual([
      'UTC',
      'Asia/Tokyo',
      'America/New_York',
    ]);
    expect(converted.definitions.pipelines[1].steps[0].env).toEqual({ TZ: 'Asia/Tokyo' });
    expect(converted.definitions.pipelines[2].steps[0].env).toEqual({ TZ: 'Asia/Tokyo' });
  });

  it('uses the given zone when the crontab names none', () => {
    const converted = convert(['0 9 * * * /bin/job'], false, { timezone: 'Australia/Adelaide' });

    expect(converted.definitions.pipelines[0].timezone).toBe('Australia/Adelaide');
  });

  it('reports an unknown time zone on the job line', () => {
    const converted = convert(['CRON_TZ=Mars/Olympus', '0 9 * * * /bin/job']);

    expect(converted.jobs).toEqual([]);
    expect(converted.problems).toEqual([
      {
        line: 2,
        text: '0 9 * * * /bin/job',
        reason: 'time zone "Mars/Olympus" from CRON_TZ is not an IANA time zone such as Europe/Berlin',
      },
    ]);
  });

  it('adds an on-failure mail task for MAILTO', () => {
    const converted = convert([
      'MAILTO=ops@example.com, dba@example.com',
      '0 1 * * * /bin/a',
      '0 2 * * * /bin/b',
      'MAILTO=""',
      '0 3 * * * /bin/c',
    ]);

    const mail = converted.definitions.tasks[0];
    expect(mail.name).toBe('web-1-crontab-mail-ops-example-com-dba-example-com');
    expect(mail.kind).toBe('mail');
    expect(mail.config['to']).toEqual(['ops@example.com', 'dba@example.com']);
    expect(converted.definitions.tasks.filter((task) => task.kind === 'mail')).toHaveLength(1);
    expect(converted.definitions.pipelines.map((pipeline) => pipeline.onFailure)).toEqual([
      mail.name,
      mail.name,
      undefined,
    ]);
    expect(converted.definitions.pipelines[0].steps[0].env).toBeUndefined();
    expect(converted.notes.join('\n')).toContain('send mail only when a run fails');
  });

  it('reports a MAILTO that is not an address', () => {
    const converted = convert(['MAILTO=root', '0 1 * * * /bin/a']);

    expect(converted.jobs).toHaveLength(1);
    expect(converted.jobs[0].pipeline.onFailure).toBeUndefined();
    expect(converted.problems).toHaveLength(1);
    expect(converted.problems[0].line).toBe(1);
    expect(converted.problems[0].reason).toMatch(/^MAILTO "root" is not an e-mail address/);
  });

  it('takes the run-as user from the user column', () => {
    const converted = convert(['0 1 * * * www-data php artisan', '0 2 * * * root /bin/b'], true);

    expect(converted.definitions.pipelines.map((pipeline) => pipeline.steps[0].runAsUser)).toEqual([
      'www-data',
      'root',
    ]);
    expect(converted.definitions.tasks[0].config['command']).toBe('php artisan');
  });

  it('uses the given run-as user for a user crontab', () => {
    const converted = convert(['0 1 * * * /bin/a'], false, { runAsUser: 'deploy' });

    expect(converted.definitions.pipelines[0].steps[0].runAsUser).toBe('deploy');
  });

  it('reports variables ECTS cannot name', () => {
    const converted = convert(['MY-VAR=1', 'GOOD=2', '0 1 * * * /bin/a']);

    expect(converted.problems.map((problem) => problem.line)).toEqual([1]);
    expect(converted.problems[0].reason).toMatch(/variable name "MY-VAR" is not supported/);
    expect(converted.definitions.pipelines[0].steps[0].env).toEqual({ GOOD: '2' });
  });

  it('reports schedules that can never fire', () => {
    const converted = convert(['0 0 31 2 * /bin/never', '0 0 30 * * /bin/ok']);

    expect(converted.jobs.map((job) => job.line)).toEqual([2]);
    expect(converted.problems[0].line).toBe(1);
    expect(converted.problems[0].reason).toMatch(/never fires/);
  });

  it('reports out-of-range values with the field', () => {
    const converted = convert(['60 * * * * /bin/a', '0 24 * * * /bin/b', '0 0 0 * * /bin/c', '0 0 * 13 * /bin/d']);

    expect(converted.jobs).toEqual([]);
    expect(converted.problems.map((problem) => problem.line)).toEqual([1, 2, 3, 4]);
    expect(converted.problems[0].reason).toMatch(/minute/);
    expect(converted.problems[1].reason).toMatch(/hour/);
    expect(converted.problems[2].reason).toMatch(/day-of-month/);
    expect(converted.problems[3].reason).toMatch(/month/);
  });

  it('lists problems in line order', () => {
    const converted = convert(['@reboot /bin/a', 'MAILTO=root', '0 0 * * * /bin/b', 'bad line here']);

    expect(converted.problems.map((problem) => problem.line)).toEqual([1, 2, 4]);
  });
});
