import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEtcd, type EtcdServer } from '../../tools/test/etcd.mjs';
import { cliEnv, createApiToken, describeResult, runCli } from './support/cli';
import {
  createDatabase,
  freePort,
  randomNamespace,
  startApi,
  type ApiProcess,
  type Database,
} from './support/processes';

const TASKS_YAML = `
tasks:
  - name: backup-db
    description: Dumps the database
    kind: shell
    config:
      command: echo backing up
  - name: notify-ops
    kind: http
    config:
      method: POST
      url: http://127.0.0.1:9/notify
      headers:
        Authorization: Bearer hook-secret-1
`;

const PIPELINES_YAML = `
pipelines:
  - name: nightly-backup
    description: Backs up every night
    cron: "30 2 * * *"
    timezone: Europe/Berlin
    overlap: queue
    nodes: [cli-node-a]
    onFailure: notify-ops
    steps:
      - task: backup-db
        timeoutSeconds: 600
        retries: 2
        retryIntervalSeconds: 5
        env:
          - { name: TARGET, value: /srv/backups }
          - { name: DB_PASSWORD, value: first-secret, secret: true }
---
pipelines:
  - name: hourly-report
    cron: "@hourly"
    enabled: false
    nodeSelector: { role: reports }
    steps:
      - task: report
`;

const REPORT_JSON = JSON.stringify({
  tasks: [{ name: 'report', kind: 'shell', config: { command: 'echo report', env: { LANG: 'C' } } }],
});

interface Pipeline {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  overlap: string;
  version: number;
  nodeIds: string[];
  nodeSelector: Record<string, string> | null;
  onFailureTaskId: string | null;
  steps: {
    taskId: string;
    taskName: string;
    timeoutSeconds: number;
    retries: number;
    env: { name: string; value: string; secret: boolean }[];
  }[];
}

describe('ectsctl apply and export', () => {
  let etcd: EtcdServer;
  let database: Database;
  let api: ApiProcess;
  let env: Record<string, string>;
  let work: string;
  let nodeId: string;

  const pipelineNamed = async (name: string): Promise<Pipeline> => {
    const page = await api.expect<{ items: Pipeline[] }>(200, 'GET', `/api/pipelines?search=${name}`);

    return page.items.find((pipeline) => pipeline.name === name)!;
  };

  /** Reads a step's stored environment from the database, where secrets are kept in clear. */
  const storedEnv = async (pipelineId: string): Promise<{ name: string; value: string }[]> => {
    const url = new URL(database.url.replace(/^mariadb:/, 'mysql:'));
    const connection = await mysql.createConnection({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: url.pathname.slice(1),
    });
    const [rows] = await connection.query('SELECT env FROM pipeline_steps WHERE pipeline_id = ? ORDER BY position', [
      pipelineId,
    ]);
    await connection.end();
    const value = (rows as { env: unknown }[])[0].env;

    return (typeof value === 'string' ? JSON.parse(value) : value) as { name: string; value: string }[];
  };

  beforeAll(async () => {
    etcd = await startEtcd();
    database = await createDatabase();
    api = await startApi({ databaseUrl: database.url, etcdEndpoints: etcd.endpoint, namespace: randomNamespace() });
    nodeId = (await api.expect<{ id: string }>(201, 'POST', '/api/nodes', { name: 'cli-node-a' })).id;
    await api.expect(201, 'POST', '/api/nodes', { name: 'cli-node-b' });
    env = cliEnv(api, await createApiToken(api, 'cli-apply', ['write']));

    work = mkdtempSync(join(tmpdir(), 'ectsctl-apply-'));
    mkdirSync(join(work, 'defs', 'pipelines'), { recursive: true });
    writeFileSync(join(work, 'defs', 'tasks.yaml'), TASKS_YAML);
    writeFileSync(join(work, 'defs', 'pipelines', 'all.yml'), PIPELINES_YAML);
    writeFileSync(join(work, 'defs', 'pipelines', 'report.json'), REPORT_JSON);
    writeFileSync(join(work, 'defs', 'README.md'), 'not a definitions file');
  }, 120_000);

  afterAll(async () => {
    await api?.process.stop();
    await database?.drop();
    await etcd?.destroy();
    if (work) {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('applies a directory, then finds no changes', async () => {
    const first = await runCli(['apply', '-f', join(work, 'defs')], env);

    expect(first.code, describeResult(first)).toBe(0);
    expect(first.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'pipeline/hourly-report created',
      'pipeline/nightly-backup created',
      'task/backup-db created',
      'task/notify-ops created',
      'task/report created',
    ]);
    expect(first.stderr).toContain('5 created, 0 updated, 0 unchanged');

    const nightly = await pipelineNamed('nightly-backup');
    const tasks = await api.expect<{ items: { id: string; name: string }[] }>(200, 'GET', '/api/tasks');
    const taskId = (name: string): string => tasks.items.find((task) => task.name === name)!.id;
    expect(nightly.cron).toBe('30 2 * * *');
    expect(nightly.timezone).toBe('Europe/Berlin');
    expect(nightly.overlap).toBe('queue');
    expect(nightly.nodeIds).toEqual([nodeId]);
    expect(nightly.onFailureTaskId).toBe(taskId('notify-ops'));
    expect(nightly.steps).toHaveLength(1);
    expect(nightly.steps[0].taskId).toBe(taskId('backup-db'));
    expect(nightly.steps[0].timeoutSeconds).toBe(600);
    expect(nightly.steps[0].retries).toBe(2);
    expect(nightly.steps[0].env).toEqual([
      { name: 'TARGET', value: '/srv/backups', secret: false },
      { name: 'DB_PASSWORD', value: '********', secret: true },
    ]);
    expect(await storedEnv(nightly.id)).toContainEqual(expect.objectContaining({ value: 'first-secret' }));
    const hourly = await pipelineNamed('hourly-report');
    expect(hourly.enabled).toBe(false);
    expect(hourly.nodeSelector).toEqual({ role: 'reports' });

    const second = await runCli(['apply', '-f', join(work, 'defs')], env);

    expect(second.code, describeResult(second)).toBe(0);
    const results = second.stdout.split('\n').filter((line) => /^(task|pipeline)\//.test(line));
    expect(results).toHaveLength(5);
    expect(results.every((line) => line.endsWith(' unchanged'))).toBe(true);
    // Secrets written in clear in a file cannot be compared with the masked values the server returns.
    expect(second.stdout).toContain('    not compared: steps[0].env[1].value (the server never returns secret values;');
    expect(second.stdout).toContain('    not compared: config.headers.Authorization');
    expect(second.stdout).toContain('pipeline/nightly-backup unchanged');
    expect(second.stderr).toContain('No changes: 5 definition(s) already match the server');
    expect((await pipelineNamed('nightly-backup')).version).toBe(nightly.version);
  });

  it('shows a dry run without changing anything', async () => {
    const before = await pipelineNamed('nightly-backup');
    writeFileSync(join(work, 'changed.yaml'), PIPELINES_YAML.replace('"30 2 * * *"', '"45 3 * * *"'));

    const dryRun = await runCli(['apply', '-f', join(work, 'changed.yaml'), '--dry-run'], env);

    expect(dryRun.code, describeResult(dryRun)).toBe(0);
    expect(dryRun.stdout).toContain('pipeline/nightly-backup would be updated\n    cron: "30 2 * * *" → "45 3 * * *"');
    expect(dryRun.stdout).toContain('pipeline/hourly-report unchanged');
    expect(dryRun.stderr).toContain('Dry run: 0 to create, 1 to update, 1 unchanged; nothing was changed');
    expect((await pipelineNamed('nightly-backup')).cron).toBe('30 2 * * *');

    const applied = await runCli(['apply', '-f', join(work, 'changed.yaml')], env);

    expect(applied.code, describeResult(applied)).toBe(0);
    expect(applied.stdout).toContain('pipeline/nightly-backup updated');
    const after = await pipelineNamed('nightly-backup');
    expect(after.cron).toBe('45 3 * * *');
    expect(after.version).toBe(before.version + 1);
    expect(await storedEnv(after.id)).toContainEqual(expect.objectContaining({ value: 'first-secret' }));
  });

  it('round-trips export and apply without leaking secrets', async () => {
    const exported = await runCli(['export'], env);

    expect(exported.code, describeResult(exported)).toBe(0);
    expect(exported.stdout).not.toContain('first-secret');
    expect(exported.stdout).not.toContain('hook-secret-1');
    expect(exported.stdout).toContain('value: "********"');
    writeFileSync(join(work, 'export.yaml'), exported.stdout);

    const reapplied = await runCli(['apply', '-f', join(work, 'export.yaml')], env);

    expect(reapplied.code, describeResult(reapplied)).toBe(0);
    expect(reapplied.stderr).toContain('No changes: 5 definition(s) already match the server');

    // Drift on the server is repaired by applying the export, and the stored secret survives.
    const nightly = await pipelineNamed('nightly-backup');
    await api.expect(200, 'PATCH', `/api/pipelines/${nightly.id}`, { cron: '0 5 * * *', nodeIds: [] });
    const repaired = await runCli(['apply', '-f', join(work, 'export.yaml')], env);

    expect(repaired.code, describeResult(repaired)).toBe(0);
    expect(repaired.stdout).toContain(
      'pipeline/nightly-backup updated\n    cron: "0 5 * * *" → "45 3 * * *"\n    nodes: [] → ["cli-node-a"]\n',
    );
    expect(await storedEnv(nightly.id)).toContainEqual(expect.objectContaining({ value: 'first-secret' }));
    expect(repaired.stderr).toContain('0 created, 1 updated, 4 unchanged');
    const again = await runCli(['export', '--file', join(work, 'export-2.yaml')], env);
    expect(again.code, describeResult(again)).toBe(0);
    expect(readFileSync(join(work, 'export-2.yaml'), 'utf8')).toBe(exported.stdout);
  });

  it('keeps stored secrets when steps are masked', async () => {
    const nightly = await pipelineNamed('nightly-backup');
    const exported = await runCli(['export', 'nightly-backup', '--format', 'json'], env);

    expect(exported.code, describeResult(exported)).toBe(0);
    const definitions = JSON.parse(exported.stdout);

    expect(definitions.tasks.map((task: { name: string }) => task.name)).toEqual(['backup-db', 'notify-ops']);
    expect(definitions.pipelines[0].steps[0].env).toContainEqual({
      name: 'DB_PASSWORD',
      value: '********',
      secret: true,
    });
    expect(await storedEnv(nightly.id)).toContainEqual(
      expect.objectContaining({ name: 'DB_PASSWORD', value: 'first-secret' }),
    );
  });

  it('lists and describes what it applied', async () => {
    const pipelines = await runCli(['get', 'pipelines', '-o', 'json'], env);
    const tasks = await runCli(['get', 'tasks'], env);
    const nodes = await runCli(['get', 'nodes', 'cli-node-a', '-o', 'yaml'], env);
    const described = await runCli(['describe', 'pipeline', 'nightly-backup'], env);

    expect(pipelines.code, describeResult(pipelines)).toBe(0);
    expect(JSON.parse(pipelines.stdout).map((pipeline: { name: string }) => pipeline.name)).toEqual([
      'hourly-report',
      'nightly-backup',
    ]);
    expect(tasks.stdout.split('\n')[0]).toMatch(/^NAME\s+KIND\s+SUMMARY$/);
    expect(tasks.stdout).toMatch(/notify-ops\s+http\s+POST http:\/\/127\.0\.0\.1:9\/notify/);
    expect(nodes.stdout).toMatch(/^- id: /);
    expect(nodes.stdout).toContain('name: cli-node-a');
    expect(nodes.stdout).not.toContain('cli-node-b');
    expect(described.code, describeResult(described)).toBe(0);
    expect(described.stdout).toContain('Schedule:       45 3 * * * (At 03:45), time zone Europe/Berlin');
    expect(described.stdout).toContain('1. backup-db (shell): timeout 600 s, 2 retries every 5 s (fixed)');
    expect(described.stdout).toContain('DB_PASSWORD=********');
    expect(described.stdout).toMatch(/Next fires \(Europe\/Berlin\):\n {2}\d{4}-\d\d-\d\dT03:45:00\+0[12]:00\n/);
  });

  it('rejects invalid files before changing anything', async () => {
    writeFileSync(
      join(work, 'invalid.yaml'),
      'tasks:\n  - name: broken\n    kind: shel\n    config: {}\npipelines:\n  - name: p\n    cron: "61 * * * *"\n    stepz: []\n',
    );
    writeFileSync(
      join(work, 'dangling.yaml'),
      'pipelines:\n  - name: dangling\n    cron: "@daily"\n    nodes: [nowhere]\n    steps:\n      - task: missing-task\n',
    );

    const invalid = await runCli(['apply', '-f', join(work, 'invalid.yaml')], env);
    const dangling = await runCli(['apply', '-f', join(work, 'dangling.yaml')], env);

    expect(invalid.code, describeResult(invalid)).toBe(2);
    expect(invalid.stderr).toContain('tasks[0].kind: must be one of shell, http, mail, hook, got "shel"');
    expect(invalid.stderr).toMatch(/pipelines\[0\]\.cron: .*minute/);
    expect(invalid.stderr).toContain('pipelines[0].stepz: unknown field');
    expect(invalid.stderr).toContain('pipelines[0].steps: is required');
    expect(dangling.code, describeResult(dangling)).toBe(2);
    expect(dangling.stderr).toContain(
      'steps[0].task names task "missing-task", which neither the files nor the server define',
    );
    expect(dangling.stderr).toContain('node "nowhere" does not exist');
    expect((await api.expect<{ total: number }>(200, 'GET', '/api/pipelines?search=dangling')).total).toBe(0);
  });

  it('explains credential and permission failures', async () => {
    const readOnly = cliEnv(api, await createApiToken(api, 'cli-read', ['read']));
    const denied = await runCli(['apply', '-f', join(work, 'changed.yaml'), '--send-secrets'], readOnly);
    const badToken = await runCli(['get', 'pipelines'], { ...env, ECTS_TOKEN: 'ects_not-a-real-token' });
    const closedPort = await freePort();
    const noServer = await runCli(['get', 'pipelines'], { ...env, ECTS_SERVER: `http://127.0.0.1:${closedPort}` });

    expect(denied.code, describeResult(denied)).toBe(1);
    expect(denied.stderr).toContain('is not allowed for this token');
    expect(badToken.code, describeResult(badToken)).toBe(3);
    expect(badToken.stderr).toContain('The server rejected the API token from ECTS_TOKEN');
    expect(noServer.code, describeResult(noServer)).toBe(3);
    expect(noServer.stderr).toContain(`Cannot reach the ECTS server at http://127.0.0.1:${closedPort} (ECONNREFUSED)`);
  });

  it('stores the login in a file only its owner can read', async () => {
    const { ECTS_SERVER: _server, ECTS_TOKEN: token, ...withoutConnection } = env;
    const configHome = withoutConnection['XDG_CONFIG_HOME'];

    const login = await runCli(['login', '--server', api.url, '--token-stdin'], withoutConnection, `${token}\n`);
    const listed = await runCli(['get', 'nodes', '-o', 'json'], withoutConnection);

    expect(login.code, describeResult(login)).toBe(0);
    expect(login.stdout).toContain(`Logged in to ${api.url} as`);
    const path = join(configHome, 'ectsctl', 'config.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ server: api.url, token });
    expect(listed.code, describeResult(listed)).toBe(0);
    expect(JSON.parse(listed.stdout)).toHaveLength(2);
  });
});
