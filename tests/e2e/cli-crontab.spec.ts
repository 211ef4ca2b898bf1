import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEtcd, type EtcdServer } from '../../tools/test/etcd.mjs';
import { cliEnv, createApiToken, describeResult, runCli } from './support/cli';
import {
  createDatabase,
  randomNamespace,
  startAgent,
  startApi,
  waitFor,
  type AgentProcess,
  type ApiProcess,
  type Database,
} from './support/processes';

const NODE = 'cron-node';

/** A user crontab with every construct cron reads, and lines it rejects (line numbers matter). */
const USER_CRONTAB = [
  '# Crontab of the deploy user', //                                              1
  'SHELL=/bin/bash', //                                                           2
  'PATH=/usr/local/bin:/usr/bin:/bin', //                                         3
  'MAILTO=ops@example.com', //                                                    4
  'GREETING = "hello cron"', //                                                   5
  'CRON_TZ=Asia/Kolkata', //                                                      6
  '', //                                                                          7
  '30 2 * * * /usr/local/bin/backup.sh --full >/dev/null 2>&1', //               8
  '*/20 9-17 * * mon-fri cat -n; echo "$GREETING from $0"%first%second \\% half', // 9
  '0 0 1,15 * * echo "$(date +\\%Y)"', //                                        10
  '@weekly /usr/bin/weekly-report', //                                           11
  '@reboot /usr/bin/start-daemon', //                                            12
  '0 2 * *', //                                                                  13
  '0 0 L * * /usr/bin/last-day', //                                              14
  '61 * * * * /usr/bin/bad-minute', //                                          15
  'MAILTO=root', //                                                              16
  'TZ=America/New_York', //                                                      17
  'CRON_TZ=America/New_York', //                                                 18
  '5-55/10 * * * * /usr/bin/every-ten', //                                       19
  '15 10 * JAN-DEC 0,7 /usr/bin/sunday', //                                      20
  '0 12 13 * 5 /usr/bin/thirteenth-or-friday', //                                21
  '0 12 */2 * 5 /usr/bin/odd-day-and-friday', //                                 22
  '',
].join('\n');

/** A file of /etc/cron.d: a user column before each command. */
const SYSTEM_CRONTAB = [
  '# /etc/cron.d/app', //                                                         1
  'MAILTO=""', //                                                                 2
  'TZ=Asia/Tokyo', //                                                             3
  '17 * * * * root cd / && run-parts --report /etc/cron.hourly', //              4
  '@daily www-data php /srv/app/artisan schedule:daily', //                      5
  '0 3 * * * /usr/bin/no-user-column', //                                        6
  '*/10 * * * * nobody id -un', //                                               7
  '',
].join('\n');

interface Pipeline {
  id: string;
  name: string;
  description: string;
  cron: string;
  timezone: string;
  overlap: string;
  nodeIds: string[];
  onFailureTaskId: string | null;
  steps: { taskId: string; runAsUser: string | null; env: { name: string; value: string }[] }[];
}

interface Task {
  id: string;
  name: string;
  kind: string;
  config: Record<string, unknown>;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Expands one crontab field into its allowed values, as crontab(5) describes it. */
function fieldValues(field: string, min: number, max: number, names: string[]): Set<number> {
  // Month names count from 1 (jan), day names from 0 (sun), as their numbers do.
  const firstName = names === MONTHS ? 1 : 0;
  const value = (text: string): number => {
    const index = names.indexOf(text.toLowerCase());

    return index >= 0 ? index + firstName : Number(text);
  };
  const values = new Set<number>();
  for (const item of field.split(',')) {
    const [range, stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let from = min;
    let to = max;
    if (range.includes('-')) {
      [from, to] = range.split('-').map(value);
    } else if (range !== '*') {
      // A single value with a step, such as 5/10, runs from that value to the end of the range.
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let current = from; current <= to; current += step) {
      values.add(current);
    }
  }

  return values;
}

/**
 * Lists the next fire times of a crontab schedule the way cron finds them: every minute it reads
 * the local wall clock of the zone and fires when the fields match. Day-of-month and day-of-week
 * are OR-ed unless one of them starts with `*`. Jobs inside a daylight-saving change (01:00-03:00)
 * are not used with this, because cron handles those specially.
 */
function cronOracle(schedule: string, timezone: string, after: Date, count: number): Date[] {
  const fields = (MACROS[schedule] ?? schedule).split(' ');
  const minutes = fieldValues(fields[0], 0, 59, []);
  const hours = fieldValues(fields[1], 0, 23, []);
  const daysOfMonth = fieldValues(fields[2], 1, 31, []);
  const months = fieldValues(fields[3], 1, 12, MONTHS);
  const daysOfWeek = new Set([...fieldValues(fields[4], 0, 7, DAYS)].map((day) => day % 7));
  const eitherDay = !fields[2].startsWith('*') && !fields[4].startsWith('*');
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short',
  });

  const fires: Date[] = [];
  let instant = Math.floor(after.getTime() / 60_000) * 60_000 + 60_000;
  for (let guard = 0; fires.length < count && guard < 400 * 24 * 60; guard++, instant += 60_000) {
    const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
    const dayOfMonth = daysOfMonth.has(Number(parts['day']));
    const dayOfWeek = daysOfWeek.has(DAYS.indexOf(parts['weekday'].toLowerCase()));
    const day = eitherDay ? dayOfMonth || dayOfWeek : dayOfMonth && dayOfWeek;
    if (
      minutes.has(Number(parts['minute'])) &&
      hours.has(Number(parts['hour'])) &&
      months.has(Number(parts['month'])) &&
      day
    ) {
      fires.push(new Date(instant));
    }
  }

  return fires;
}

describe('ectsctl import-crontab', () => {
  let etcd: EtcdServer;
  let database: Database;
  let api: ApiProcess;
  let agent: AgentProcess;
  let env: Record<string, string>;
  let work: string;
  const namespace = randomNamespace();

  const path = (name: string): string => join(work, name);
  const pipelines = async (): Promise<Pipeline[]> =>
    (await api.expect<{ items: Pipeline[] }>(200, 'GET', '/api/pipelines?pageSize=200')).items;
  const tasks = async (): Promise<Task[]> =>
    (await api.expect<{ items: Task[] }>(200, 'GET', '/api/tasks?pageSize=200')).items;
  const importedFrom = (all: Pipeline[], file: string, line: number): Pipeline => {
    const found = all.find((pipeline) => pipeline.description.startsWith(`Imported from ${path(file)} line ${line}: `));
    if (!found) {
      throw new Error(
        `no pipeline imported from ${file} line ${line}: ${all.map((pipeline) => pipeline.description).join('\n')}`,
      );
    }

    return found;
  };

  beforeAll(async () => {
    etcd = await startEtcd();
    database = await createDatabase();
    api = await startApi({ databaseUrl: database.url, etcdEndpoints: etcd.endpoint, namespace });
    const enrollment = await api.expect<{ token: string }>(201, 'POST', '/api/enrollment-tokens', { name: 'cron' });
    agent = startAgent({
      apiUrl: api.url,
      etcdEndpoints: etcd.endpoint,
      namespace,
      name: NODE,
      enrollToken: enrollment.token,
    });
    await waitFor(
      'the agent to come online',
      async () => (await api.expect<{ items: { status: string }[] }>(200, 'GET', `/api/nodes?search=${NODE}`)).items[0],
      (node) => node?.status === 'online',
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nagent output:\n${agent.logs()}`);
    });

    env = cliEnv(api, await createApiToken(api, 'cli-crontab', ['write']));
    work = mkdtempSync(join(tmpdir(), 'ectsctl-crontab-'));
    writeFileSync(path('deploy'), USER_CRONTAB);
    writeFileSync(path('app'), SYSTEM_CRONTAB);
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await api?.process.stop();
    await database?.drop();
    await etcd?.destroy();
    if (work) {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('shows the plan of a dry run and creates nothing', async () => {
    const result = await runCli(['import-crontab', path('deploy'), '--node', NODE, '--dry-run'], env);

    expect(result.code, describeResult(result)).toBe(1);
    expect(result.stdout).toContain('line 9: pipeline cron-node-deploy-cat-n-echo\n');
    expect(result.stdout).toContain(
      '    schedule    */20 9-17 * * mon-fri (Every 20 minutes, between 09:00 and 17:59, on Monday through Friday) in Asia/Kolkata',
    );
    expect(result.stdout).toContain('    on failure  mail to ops@example.com\n');
    expect(result.stdout).toContain('task/cron-node-deploy-cat-n-echo would be created');
    expect(result.stderr).toContain('Dry run: 17 to create, 0 to update, 0 unchanged; nothing was changed');
    expect(result.stderr).toContain('line 12 not imported: @reboot is not supported');
    expect(result.stderr).toContain('line 13 not imported: expected 5 time fields');
    expect(result.stderr).toContain('line 14 not imported: day-of-month field "L": "L" is not crontab syntax');
    expect(result.stderr).toMatch(/line 15 not imported: .*minute/);
    expect(result.stderr).toContain('line 16 not imported: MAILTO "root" is not an e-mail address');
    expect(result.stderr).toContain(
      `ectsctl: 5 line(s) of ${path('deploy')} were not imported (listed above); 8 job(s) were planned`,
    );
    expect(await pipelines()).toEqual([]);
    expect(await tasks()).toEqual([]);
  });

  it('creates one task and one pipeline per job', async () => {
    const user = await runCli(['import-crontab', path('deploy'), '--node', NODE, '--timezone', 'UTC'], env);
    const system = await runCli(['import-crontab', path('app'), '--node', NODE, '--system', '--prefix', 'app'], env);

    expect(user.code, describeResult(user)).toBe(1);
    expect(user.stderr).toContain('17 created, 0 updated, 0 unchanged');
    expect(system.code, describeResult(system)).toBe(1);
    expect(system.stderr).toContain('line 6 not imported: "/usr/bin/no-user-column" is not a user name');
    expect(system.stderr).toContain('6 created, 0 updated, 0 unchanged');

    const all = await pipelines();
    const allTasks = await tasks();
    const taskOf = (pipeline: Pipeline): Task => allTasks.find((task) => task.id === pipeline.steps[0].taskId)!;
    const envOf = (pipeline: Pipeline): Record<string, string> =>
      Object.fromEntries(pipeline.steps[0].env.map((variable) => [variable.name, variable.value]));
    expect(all).toHaveLength(11);
    expect(allTasks).toHaveLength(12);

    const mail = allTasks.find((task) => task.kind === 'mail')!;
    expect(mail.config['to']).toEqual(['ops@example.com']);

    const withStdin = importedFrom(all, 'deploy', 9);
    expect(withStdin.cron).toBe('*/20 9-17 * * mon-fri');
    expect(withStdin.timezone).toBe('Asia/Kolkata');
    expect(withStdin.overlap).toBe('allow');
    expect(withStdin.onFailureTaskId).toBe(mail.id);
    expect(withStdin.steps[0].runAsUser).toBeNull();
    expect(envOf(withStdin)).toEqual({
      SHELL: '/bin/bash',
      PATH: '/usr/local/bin:/usr/bin:/bin',
      GREETING: 'hello cron',
    });
    expect(taskOf(withStdin).config['command']).toBe(
      `exec '/bin/bash' -c 'cat -n; echo "$GREETING from $0"' <<'ECTS_STDIN'\nfirst\nsecond % half\nECTS_STDIN`,
    );
    expect(taskOf(importedFrom(all, 'deploy', 10)).config['command']).toBe(`exec '/bin/bash' -c 'echo "$(date +%Y)"'`);
    expect(importedFrom(all, 'deploy', 11).cron).toBe('@weekly');

    const newYork = importedFrom(all, 'deploy', 19);
    expect(newYork.timezone).toBe('America/New_York');
    expect(newYork.onFailureTaskId).toBeNull();
    expect(envOf(newYork)['TZ']).toBe('America/New_York');
    expect(envOf(newYork)['CRON_TZ']).toBeUndefined();
    expect(envOf(newYork)['MAILTO']).toBeUndefined();

    const hourly = importedFrom(all, 'app', 4);
    expect(hourly.name).toBe('app-cd-run-parts');
    expect(hourly.timezone).toBe('Asia/Tokyo');
    expect(hourly.steps[0].runAsUser).toBe('root');
    expect(hourly.onFailureTaskId).toBeNull();
    expect(envOf(hourly)).toEqual({ TZ: 'Asia/Tokyo' });
    expect(taskOf(hourly).config['command']).toBe('cd / && run-parts --report /etc/cron.hourly');
    expect(importedFrom(all, 'app', 5).steps[0].runAsUser).toBe('www-data');
    expect(importedFrom(all, 'app', 7).steps[0].runAsUser).toBe('nobody');
    expect(all.every((pipeline) => pipeline.nodeIds.length === 1)).toBe(true);

    const again = await runCli(['import-crontab', path('deploy'), '--node', NODE, '--timezone', 'UTC'], env);
    expect(again.stderr).toContain('No changes: 17 definition(s) already match the server');
  });

  it('fires imported pipelines when cron would', async () => {
    const all = await pipelines();
    expect(all).toHaveLength(11);

    for (const pipeline of all) {
      const requestedAt = new Date();
      const schedule = await api.expect<{ fires: { at: string }[] }>(
        200,
        'GET',
        `/api/pipelines/${pipeline.id}/schedule?count=5`,
      );
      const respondedAt = new Date();
      const actual = schedule.fires.map((fire) => new Date(fire.at).toISOString());
      const expected = cronOracle(pipeline.cron, pipeline.timezone, requestedAt, 6).map((fire) => fire.toISOString());
      // A fire between the request and the response may be in either list; compare from the API's first one.
      const from = expected[0] === actual[0] || new Date(expected[0]) > respondedAt ? 0 : 1;

      expect(actual, `${pipeline.name}: ${pipeline.cron} in ${pipeline.timezone}`).toEqual(
        expected.slice(from, from + 5),
      );
    }
  });

  it('runs an imported job on the agent as cron would', async () => {
    writeFileSync(
      path('runnable'),
      ['SHELL=/bin/bash', 'GREETING=hello cron', '@yearly cat -n; echo "$GREETING from $0"%first%second \\% half'].join(
        '\n',
      ),
    );
    writeFileSync(path('runnable-system'), '@yearly nobody id -un; pwd >/dev/null\n');
    const imported = await runCli(['import-crontab', path('runnable'), '--node', NODE, '--prefix', 'run'], env);
    const importedSystem = await runCli(
      ['import-crontab', path('runnable-system'), '--node', NODE, '--system', '--prefix', 'run-as'],
      env,
    );
    expect(imported.code, describeResult(imported)).toBe(0);
    expect(importedSystem.code, describeResult(importedSystem)).toBe(0);

    const run = await runCli(['run', 'run-cat-n-echo', '--follow', '--timeout', '60'], env);
    const runAs = await runCli(['run', 'run-as-id-un-pwd', '--follow', '--timeout', '60'], env);

    expect(run.code, describeResult(run)).toBe(0);
    expect(run.stdout).toBe('     1\tfirst\n     2\tsecond % half\nhello cron from /bin/bash\n');
    expect(runAs.code, describeResult(runAs)).toBe(0);
    expect(runAs.stdout).toBe('nobody\n');
  });
});
