import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EtcdKeys, Etcd3Coordination } from '@ects/etcd';
import type { PipelineSnapshot, RunFinishedEvent, StepOutputEvent } from '@ects/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEtcd, type EtcdServer } from '../../../tools/test/etcd.mjs';
import { FakeApi } from './support/fake-api';

const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'apps', 'agent', 'dist', 'main.js');
const TOKEN = 'ectse_e2e_token';
const NODE_ID = 'node-e2e';
const CREDENTIAL = 'ectsn_e2e_credential';
const keys = new EtcdKeys('/ects-e2e');
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

let etcd: EtcdServer;
let api: FakeApi;
let admin: Etcd3Coordination;
const directories: string[] = [];

interface AgentProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function startAgentProcess(args: string[], env: Record<string, string> = {}): AgentProcess {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return { child, output: () => output, exited };
}

function stateDir(): string {
  const directory = mkdtempSync(join(tmpdir(), 'ects-agent-e2e-'));
  directories.push(directory);

  return directory;
}

async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Builds an every-second pipeline of one shell step, bound to the test node. */
function everySecond(id: string, command: string, mode: PipelineSnapshot['mode']): PipelineSnapshot {
  return {
    id,
    name: id,
    version: 1,
    cron: '* * * * * *',
    timezone: 'UTC',
    enabled: true,
    mode,
    overlap: 'skip',
    misfire: 'skip',
    timeoutSeconds: 0,
    steps: [
      {
        position: 0,
        task: { id: `task-${id}`, name: 'shell', kind: 'shell', config: { command } },
        timeoutSeconds: 10,
        retries: 0,
        retryIntervalSeconds: 0,
        retryBackoff: 'fixed',
        onFailure: 'stop',
        runAsUser: null,
        workingDirectory: null,
        env: {},
        secretEnvNames: [],
      },
    ],
    onSuccessTask: null,
    onFailureTask: null,
    nodeIds: [NODE_ID],
  };
}

/** Number of finished runs of a pipeline the fake API has stored. */
function finishedRuns(pipelineId: string): number {
  const runIds = new Set(
    api.events
      .filter((event) => event.type === 'run.started' && event.pipelineId === pipelineId)
      .map((event) => event.runId),
  );

  return api.events.filter((event) => event.type === 'run.finished' && runIds.has(event.runId)).length;
}

beforeAll(async () => {
  // The test runs the built agent, as `ects agent` and the container image do.
  execFileSync('npx', ['nx', 'run', '@ects/agent:build', '--output-style=static'], { cwd: ROOT, stdio: 'ignore' });
  etcd = await startEtcd({ name: 'agent-e2e' });
  api = await FakeApi.start(TOKEN, { nodeId: NODE_ID, name: 'e2e-1', credential: CREDENTIAL });
  admin = new Etcd3Coordination({ endpoints: etcd.endpoint, keys, logger: quiet });
});

afterAll(async () => {
  await admin.close();
  await api.close();
  await etcd.destroy();
  for (const directory of directories) {
    rmSync(directory, { recursive: true, force: true });
  }
});

describe('agent process', () => {
  it('enrolls, runs a pipeline and stops on SIGTERM', async () => {
    const directory = stateDir();
    const agent = startAgentProcess(
      [
        '--api-url',
        api.url,
        '--etcd-endpoints',
        etcd.endpoint,
        '--etcd-namespace',
        '/ects-e2e',
        '--state-dir',
        directory,
        '--name',
        'e2e-1',
      ],
      { ECTS_ENROLL_TOKEN: TOKEN, ECTS_LEASE_TTL_SECONDS: '3', ECTS_SHUTDOWN_GRACE_SECONDS: '5' },
    );

    const registration = await waitFor(
      () => admin.get(keys.node(NODE_ID)),
      20_000,
      `the registration; output: ${agent.output()}`,
    );
    const identityPath = join(directory, 'identity.json');
    expect(JSON.parse(registration.value)).toEqual(expect.objectContaining({ nodeId: NODE_ID, name: 'e2e-1' }));
    expect(JSON.parse(readFileSync(identityPath, 'utf8'))).toEqual({
      nodeId: NODE_ID,
      credential: CREDENTIAL,
      apiUrl: api.url,
    });
    expect(statSync(identityPath).mode & 0o777).toBe(0o600);
    expect(api.enrollments).toHaveLength(1);

    const snapshot = everySecond('pipeline-e2e', 'echo "token=${ECTS_ENROLL_TOKEN:-unset}"', 'one');
    await admin.put(keys.assignment(NODE_ID, snapshot.id), JSON.stringify(snapshot));
    const finished = await waitFor(
      () => api.events.find((event): event is RunFinishedEvent => event.type === 'run.finished'),
      10_000,
      `a finished run; output: ${agent.output()}`,
    );
    const output = api.events.find(
      (event): event is StepOutputEvent => event.type === 'step.output' && event.runId === finished.runId,
    );

    expect(finished.status).toBe('succeeded');
    expect(output?.chunks.map((chunk) => chunk.data).join('')).toBe('token=unset\n');

    await admin.delete(keys.assignment(NODE_ID, snapshot.id));
    const stoppedAt = Date.now();
    agent.child.kill('SIGTERM');
    const code = await agent.exited;

    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(await admin.get(keys.node(NODE_ID))).toBeUndefined();
    expect(agent.output()).toContain('Received SIGTERM; stopping the agent');
    expect(agent.output()).not.toContain(CREDENTIAL);
  });

  it('keeps firing through an etcd outage', async () => {
    const agent = startAgentProcess(
      [
        '--api-url',
        api.url,
        '--etcd-endpoints',
        etcd.endpoint,
        '--etcd-namespace',
        '/ects-e2e',
        '--state-dir',
        stateDir(),
      ],
      { ECTS_ENROLL_TOKEN: TOKEN, ECTS_LEASE_TTL_SECONDS: '2', ECTS_SHUTDOWN_GRACE_SECONDS: '1' },
    );
    const first = await waitFor(
      () => admin.get(keys.node(NODE_ID)),
      20_000,
      `the registration; output: ${agent.output()}`,
    );
    // Mode all: a `one` mode fire needs its etcd lock, so those fires are skipped while etcd is away.
    const snapshot = everySecond('pipeline-outage', 'true', 'all');
    await admin.put(keys.assignment(NODE_ID, snapshot.id), JSON.stringify(snapshot));
    await waitFor(() => finishedRuns(snapshot.id) > 0 || undefined, 10_000, 'a first run');

    await etcd.stop();
    const during = finishedRuns(snapshot.id);
    // Longer than the lease TTL, so the registration lease is lost.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const afterOutage = finishedRuns(snapshot.id);
    await etcd.start();
    const second = await waitFor(
      async () => {
        const entry = await admin.get(keys.node(NODE_ID)).catch(() => undefined);
        return entry !== undefined && entry.leaseId !== first.leaseId ? entry : undefined;
      },
      20_000,
      `the registration after the outage; output: ${agent.output()}`,
    );

    expect(afterOutage - during).toBeGreaterThanOrEqual(2);
    expect(second.leaseId).not.toBe(first.leaseId);

    await admin.delete(keys.assignment(NODE_ID, snapshot.id));
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  }, 60_000);

  it('exits 2 listing invalid settings', async () => {
    const agent = startAgentProcess(['--max-concurrent-runs', '0'], { ECTS_API_URL: 'localhost' });

    expect(await agent.exited).toBe(2);
    expect(agent.output()).toContain('ECTS_API_URL: expected an http or https URL, got "localhost"');
    expect(agent.output()).toContain('--etcd-endpoints / ECTS_ETCD_ENDPOINTS: missing');
    expect(agent.output()).toContain('--max-concurrent-runs: expected a whole number of runs of at least 1, got "0"');
  });

  it('exits 1 without identity or token', async () => {
    const directory = stateDir();
    const agent = startAgentProcess([
      '--api-url',
      api.url,
      '--etcd-endpoints',
      etcd.endpoint,
      '--state-dir',
      directory,
    ]);

    expect(await agent.exited).toBe(1);
    expect(agent.output()).toContain(`No node identity in ${join(directory, 'identity.json')} and no enrollment token`);
  });

  it('exits 1 when the API rejects the token', async () => {
    const agent = startAgentProcess([
      '--api-url',
      api.url,
      '--etcd-endpoints',
      etcd.endpoint,
      '--state-dir',
      stateDir(),
      '--enroll-token',
      'ectse_wrong',
    ]);

    expect(await agent.exited).toBe(1);
    expect(agent.output()).toContain('The API rejected the enrollment (HTTP 401): Enrollment token is not valid');
  });
});
