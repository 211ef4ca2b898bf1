import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEtcd, type EtcdServer } from '../../tools/test/etcd.mjs';
import { cliEnv, createApiToken, describeResult, runCli, startCli } from './support/cli';
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

const NODE = 'cli-run-node';

const DEFINITIONS = `
tasks:
  - name: say-hello
    kind: shell
    config: { command: 'echo "hello from $GREETING"; echo "to stderr" >&2' }
  - name: fail-three
    kind: shell
    config: { command: 'echo "about to fail"; exit 3' }
  - name: tick
    kind: shell
    config: { command: 'for i in 1 2 3 4; do echo "tick $i"; sleep 1; done' }
  - name: second-step
    kind: shell
    config: { command: 'echo second' }
  - name: sleep-long
    kind: shell
    config: { command: 'echo sleeping; sleep 120' }
pipelines:
  - { name: succeeds, cron: "@yearly", enabled: false, nodes: [${NODE}], steps: [{ task: say-hello, env: { GREETING: ci } }] }
  - { name: fails, cron: "@yearly", enabled: false, nodes: [${NODE}], steps: [{ task: fail-three }] }
  - { name: ticks, cron: "@yearly", enabled: false, nodes: [${NODE}], steps: [{ task: tick }, { task: second-step }] }
  - { name: sleeps, cron: "@yearly", enabled: false, nodes: [${NODE}], steps: [{ task: sleep-long }] }
`;

interface Run {
  id: string;
  status: string;
}

describe('ectsctl run, logs and kill', () => {
  let etcd: EtcdServer;
  let database: Database;
  let api: ApiProcess;
  let agent: AgentProcess;
  let env: Record<string, string>;
  let work: string;
  const namespace = randomNamespace();

  const runIdIn = (text: string): string => {
    const match = /Started run ([0-9a-f-]{36})/.exec(text);
    if (!match) {
      throw new Error(`no run id in ${JSON.stringify(text)}`);
    }

    return match[1];
  };

  beforeAll(async () => {
    etcd = await startEtcd();
    database = await createDatabase();
    api = await startApi({ databaseUrl: database.url, etcdEndpoints: etcd.endpoint, namespace });
    const enrollment = await api.expect<{ token: string }>(201, 'POST', '/api/enrollment-tokens', { name: 'cli' });
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

    env = cliEnv(api, await createApiToken(api, 'cli-run', ['write']));
    work = mkdtempSync(join(tmpdir(), 'ectsctl-run-'));
    writeFileSync(join(work, 'pipelines.yaml'), DEFINITIONS);
    const applied = await runCli(['apply', '-f', join(work, 'pipelines.yaml')], env);
    if (applied.code !== 0) {
      throw new Error(`apply failed: ${describeResult(applied)}`);
    }
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

  it('exits 0 when the run succeeds', async () => {
    const result = await runCli(['run', 'succeeds', '--wait', '--timeout', '60'], env);

    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stdout).toMatch(/^Started run [0-9a-f-]{36} of succeeds on node cli-run-node\n/);
    expect(result.stdout).toMatch(/Run [0-9a-f-]{36} of succeeds on node cli-run-node succeeded after /);
    const logs = await runCli(['logs', runIdIn(result.stdout)], env);
    expect(logs.code, describeResult(logs)).toBe(0);
    expect(logs.stdout).toBe('hello from ci\n');
    expect(logs.stderr).toContain('to stderr\n');
    expect(logs.stderr).toContain('==> step 1: say-hello');
  });

  it('exits 1 when the run fails', async () => {
    const result = await runCli(['run', 'fails', '--wait', '--timeout', '60'], env);

    expect(result.code, describeResult(result)).toBe(1);
    expect(result.stderr).toMatch(/ectsctl: Run [0-9a-f-]{36} of fails on node cli-run-node failed after/);
    const run = await api.expect<Run>(200, 'GET', `/api/runs/${runIdIn(result.stdout)}`);
    expect(run.status).toBe('failed');
  });

  it('streams output with run --follow', async () => {
    const result = await runCli(['run', 'succeeds', '--follow', '--timeout', '60'], env);

    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stdout).toBe('hello from ci\n');
    expect(result.stderr).toMatch(/^Started run [0-9a-f-]{36} of succeeds on node cli-run-node\n/);
    expect(result.stderr).toContain('to stderr');
    expect(result.stderr).toMatch(/succeeded after/);
  });

  it('shows live output with logs --follow', async () => {
    const started = await runCli(['run', 'ticks', '-q'], env);
    expect(started.code, describeResult(started)).toBe(0);
    const runId = started.stdout.trim();
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);

    const follower = startCli(['logs', runId, '--follow', '--timeout', '60'], env);
    await waitFor(
      'the first tick in the follower output',
      () => Promise.resolve(follower.stdout()),
      (output) => output.includes('tick 1\n'),
      20_000,
    );
    // The run is still going when its first line arrives, so the output is live, not read afterwards.
    const during = await api.expect<Run>(200, 'GET', `/api/runs/${runId}`);
    expect(during.status).toBe('running');
    expect(follower.stdout()).not.toContain('tick 4');

    const result = await follower.done;
    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stdout).toBe('tick 1\ntick 2\ntick 3\ntick 4\nsecond\n');
    expect(result.stderr).toContain('==> step 1: tick\n');
    expect(result.stderr).toContain('==> step 2: second-step\n');
    expect(result.stderr).toMatch(/of ticks on node cli-run-node succeeded after/);
  });

  it('kills a running run', async () => {
    const started = await runCli(['run', 'sleeps', '-q'], env);
    const runId = started.stdout.trim();
    await waitFor(
      'the sleeping step to print',
      async () => (await runCli(['logs', runId], env)).stdout,
      (output) => output.includes('sleeping'),
      20_000,
    );

    const killed = await runCli(['kill', runId, '--wait', '--timeout', '30'], env);

    expect(killed.code, describeResult(killed)).toBe(0);
    expect(killed.stdout).toContain(`Kill requested for run ${runId}`);
    expect(killed.stdout).toMatch(/ killed after /);
    const again = await runCli(['kill', runId], env);
    expect(again.code, describeResult(again)).toBe(1);
    expect(again.stderr).toContain('is killed, not running; there is nothing to kill');
  });

  it('reports an unknown pipeline or run', async () => {
    const pipeline = await runCli(['run', 'no-such-pipeline', '--wait'], env);
    const logs = await runCli(['logs', '01900000-0000-7000-8000-000000000000'], env);

    expect(pipeline.code, describeResult(pipeline)).toBe(1);
    expect(pipeline.stderr).toContain('No pipeline is named "no-such-pipeline"');
    expect(logs.code, describeResult(logs)).toBe(1);
    expect(logs.stderr).toContain('Run 01900000-0000-7000-8000-000000000000 not found');
  });
});
