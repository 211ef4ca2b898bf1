import { execFileSync } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEtcd, type EtcdServer } from '../../tools/test/etcd.mjs';
import {
  createDatabase,
  randomNamespace,
  restartApi,
  startAgent,
  startApi,
  waitFor,
  type AgentProcess,
  type ApiProcess,
  type Database,
} from './support/processes';

interface Run {
  id: string;
  status: string;
  nodeId: string;
  scheduledAt: string;
  startedAt: string;
  trigger: string;
}

/** Processes whose command line contains the marker, other than the pgrep itself. */
function processesWith(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe('agents run pipelines through etcd', () => {
  let etcd: EtcdServer;
  let database: Database;
  let api: ApiProcess;
  let agent: AgentProcess;
  let nodeId: string;
  let enrollToken: string;
  const namespace = randomNamespace();

  const createShellPipeline = async (
    name: string,
    command: string,
    options: {
      cron?: string;
      timeoutSeconds?: number;
      stepTimeoutSeconds?: number;
      nodeIds?: string[];
      mode?: string;
      enabled?: boolean;
    } = {},
  ): Promise<{ pipelineId: string; taskId: string }> => {
    const task = await api.expect(201, 'POST', '/api/tasks', {
      name: `${name}-task`,
      kind: 'shell',
      config: { command },
    });
    const pipeline = await api.expect(201, 'POST', '/api/pipelines', {
      name,
      cron: options.cron ?? '0 0 1 1 *',
      enabled: options.enabled ?? true,
      mode: options.mode ?? 'all',
      timeoutSeconds: options.timeoutSeconds ?? 0,
      nodeIds: options.nodeIds ?? [nodeId],
      steps: [{ taskId: task.id, timeoutSeconds: options.stepTimeoutSeconds ?? 0 }],
    });

    return { pipelineId: pipeline.id, taskId: task.id };
  };

  const runsOf = async (pipelineId: string): Promise<Run[]> =>
    (await api.expect<{ items: Run[] }>(200, 'GET', `/api/runs?pipelineId=${pipelineId}&pageSize=200&order=asc`)).items;

  const outputOf = async (runId: string, position = 0): Promise<string> => {
    const logs = await api.expect<{ chunks: { chunk: string }[] }>(
      200,
      'GET',
      `/api/runs/${runId}/steps/${position}/logs?limit=5000`,
    );

    return logs.chunks.map((chunk) => chunk.chunk).join('');
  };

  beforeAll(async () => {
    etcd = await startEtcd();
    database = await createDatabase();
    api = await startApi({ databaseUrl: database.url, etcdEndpoints: etcd.endpoint, namespace });
    const token = await api.expect(201, 'POST', '/api/enrollment-tokens', { name: 'e2e' });
    enrollToken = token.token;
    agent = startAgent({ apiUrl: api.url, etcdEndpoints: etcd.endpoint, namespace, name: 'e2e-node-1', enrollToken });

    const node = await waitFor(
      'the agent to come online',
      async () =>
        (await api.expect<{ items: { id: string; status: string }[] }>(200, 'GET', '/api/nodes?search=e2e-node-1'))
          .items[0],
      (found) => found?.status === 'online',
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nagent output:\n${agent.logs()}\nAPI output:\n${api.process.logs()}`);
    });
    nodeId = node.id;
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await api?.process.stop();
    await database?.drop();
    await etcd?.destroy();
  });

  it('fires on the next second boundary and records the output', async () => {
    const { pipelineId } = await createShellPipeline('every-second', 'echo "fired at $(date +%s)"', {
      cron: '* * * * * *',
    });

    const runs = await waitFor(
      'two finished runs',
      () => runsOf(pipelineId),
      (found) => found.filter((run) => run.status === 'succeeded').length >= 2,
      15_000,
    );
    await api.expect(200, 'POST', `/api/pipelines/${pipelineId}/disable`);
    const run = runs.find((candidate) => candidate.status === 'succeeded')!;

    expect(new Date(run.scheduledAt).getMilliseconds()).toBe(0);
    expect(new Date(run.startedAt).getTime() - new Date(run.scheduledAt).getTime()).toBeLessThan(1_000);
    expect(run.trigger).toBe('schedule');
    expect(run.nodeId).toBe(nodeId);
    expect(await outputOf(run.id)).toMatch(/^fired at \d+\n$/);
  });

  it('applies an edit without restarting the agent', async () => {
    const { pipelineId, taskId } = await createShellPipeline('edited', 'echo before', { cron: '* * * * * *' });
    await waitFor(
      'a run of the first version',
      () => runsOf(pipelineId),
      (found) => found.some((run) => run.status === 'succeeded'),
    );

    await api.expect(200, 'PATCH', `/api/tasks/${taskId}`, { config: { command: 'echo after' } });
    const editedAt = Date.now();
    const runs = await waitFor(
      'a run of the edited version',
      () => runsOf(pipelineId),
      (found) =>
        found.some((run) => run.status === 'succeeded' && new Date(run.scheduledAt).getTime() > editedAt + 1_000),
    );
    await api.expect(200, 'POST', `/api/pipelines/${pipelineId}/disable`);
    const later = runs.filter(
      (run) => run.status === 'succeeded' && new Date(run.scheduledAt).getTime() > editedAt + 1_000,
    );

    expect(await outputOf(later[0].id)).toBe('after\n');
  });

  it('leaves no process behind after a step timeout', async () => {
    const marker = `sleep 3${Math.floor(Math.random() * 1000)}`;
    const { pipelineId } = await createShellPipeline('forking', `${marker}1 & ${marker}2`, {
      stepTimeoutSeconds: 1,
      enabled: false,
    });

    const started = await api.expect<{ runs: { runId: string }[] }>(
      201,
      'POST',
      `/api/pipelines/${pipelineId}/runs`,
      {},
    );
    const runId = started.runs[0].runId;
    const run = await waitFor(
      'the run to time out',
      () => api.expect<Run>(200, 'GET', `/api/runs/${runId}`),
      (found) => found.status !== 'running',
      20_000,
    );

    expect(run.status).toMatch(/failed|timed_out/);
    await waitFor(
      'the forked children to be gone',
      () => Promise.resolve(processesWith(marker)),
      (pids) => pids.length === 0,
      10_000,
    );
    expect(processesWith(marker)).toEqual([]);
  });

  it('kills a running run within a second or two', async () => {
    const { pipelineId } = await createShellPipeline('long', 'echo started; sleep 120', { enabled: false });
    const started = await api.expect<{ runs: { runId: string }[] }>(
      201,
      'POST',
      `/api/pipelines/${pipelineId}/runs`,
      {},
    );
    const runId = started.runs[0].runId;
    await waitFor(
      'the output of the long run',
      () => outputOf(runId).catch(() => ''),
      (output) => output.includes('started'),
    );

    const killedAt = Date.now();
    await api.expect(202, 'POST', `/api/runs/${runId}/kill`);
    const run = await waitFor(
      'the run to be killed',
      () => api.expect<Run>(200, 'GET', `/api/runs/${runId}`),
      (found) => found.status === 'killed',
      10_000,
    );

    expect(run.status).toBe('killed');
    expect(Date.now() - killedAt).toBeLessThan(5_000);
  });

  it('keeps firing while the API is down and records every run afterwards', async () => {
    const { pipelineId } = await createShellPipeline('through-outage', 'echo tick', { cron: '* * * * * *' });
    await waitFor(
      'a first run',
      () => runsOf(pipelineId),
      (found) => found.length > 0,
    );

    await api.process.stop();
    const downFrom = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    api = await restartApi(api);
    const downTo = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await api.expect(200, 'POST', `/api/pipelines/${pipelineId}/disable`);

    const runs = await waitFor(
      'the runs of the outage to be reported',
      () => runsOf(pipelineId),
      (found) =>
        found.filter(
          (run) =>
            new Date(run.scheduledAt).getTime() > downFrom + 1_000 &&
            new Date(run.scheduledAt).getTime() < downTo - 1_000,
        ).length >= 27,
      30_000,
    );
    const seconds = runs.map((run) => new Date(run.scheduledAt).getTime());
    const duringOutage = runs.filter(
      (run) =>
        new Date(run.scheduledAt).getTime() > downFrom + 1_000 && new Date(run.scheduledAt).getTime() < downTo - 1_000,
    );

    const expected = (Math.max(...seconds) - Math.min(...seconds)) / 1000 + 1;

    expect(new Set(seconds).size).toBe(seconds.length);
    expect(seconds.length).toBe(expected);
    expect(duringOutage.every((run) => run.status === 'succeeded')).toBe(true);
    expect(await outputOf(duringOutage[0].id)).toBe('tick\n');
  });

  it('keeps firing while etcd restarts', async () => {
    const { pipelineId } = await createShellPipeline('through-etcd-restart', 'echo tock', { cron: '* * * * * *' });
    await waitFor(
      'a first run',
      () => runsOf(pipelineId),
      (found) => found.length > 0,
    );

    await etcd.stop();
    const downFrom = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await etcd.start();
    const downTo = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await api.expect(200, 'POST', `/api/pipelines/${pipelineId}/disable`);

    const runs = await waitFor(
      'the runs of the etcd outage',
      () => runsOf(pipelineId),
      (found) =>
        found.filter(
          (run) => new Date(run.scheduledAt).getTime() > downFrom && new Date(run.scheduledAt).getTime() < downTo,
        ).length >= 4,
    );
    const seconds = runs.map((run) => new Date(run.scheduledAt).getTime());

    expect(new Set(seconds).size).toBe(seconds.length);
    await waitFor(
      'the node to be online again',
      () => api.expect(200, 'GET', `/api/nodes/${nodeId}`),
      (node: { status: string }) => node.status === 'online',
      30_000,
    );
  });
});
