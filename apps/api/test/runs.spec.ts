import { randomUUID } from 'node:crypto';

import type { RunStatus, RunTrigger } from '@ects/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RunEntity } from '../src/runs/entities/run.entity';
import { StepLogEntity } from '../src/runs/entities/step-log.entity';
import { StepRunEntity } from '../src/runs/entities/step-run.entity';
import { startTestApp, type TestApp } from './support/app';

interface Run {
  id: string;
  pipelineId: string | null;
  pipelineName: string;
  nodeId: string | null;
  nodeName: string;
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

const HOUR_MS = 3_600_000;
/** Runs are seeded at fixed instants, one hour apart from this one, so every expectation is exact. */
const BASE = Date.parse('2026-03-01T00:00:00.000Z');

interface Seed {
  pipeline: 'first' | 'second';
  node: 'a' | 'b';
  status: RunStatus;
  trigger: RunTrigger;
}

const SEEDS: Seed[] = [
  { pipeline: 'first', node: 'a', status: 'succeeded', trigger: 'schedule' },
  { pipeline: 'first', node: 'b', status: 'failed', trigger: 'schedule' },
  { pipeline: 'second', node: 'a', status: 'succeeded', trigger: 'manual' },
  { pipeline: 'first', node: 'a', status: 'timed_out', trigger: 'retry' },
  { pipeline: 'second', node: 'b', status: 'succeeded', trigger: 'api' },
  { pipeline: 'first', node: 'a', status: 'succeeded', trigger: 'schedule' },
  { pipeline: 'second', node: 'a', status: 'running', trigger: 'schedule' },
];

describe('runs', () => {
  let api: TestApp;
  let viewer: string;
  const pipelines: Record<string, string> = {};
  const nodes: Record<string, string> = {};
  /** Run ids in the order of SEEDS, so the run at index i started at BASE + i hours. */
  const runIds: string[] = [];
  let stepRunId: string;

  const list = async (query: string): Promise<{ items: Run[]; total: number }> => {
    const response = await api.request<{ items: Run[]; total: number }>('GET', `/api/runs?${query}`, { token: viewer });
    if (response.status !== 200) {
      throw new Error(`Listing runs failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }

    return response.body;
  };

  const indexes = (runs: Run[]): number[] => runs.map((run) => runIds.indexOf(run.id));

  beforeAll(async () => {
    api = await startTestApp();
    viewer = (await api.userWithRole('viewer')).token;

    const task = await api.request('POST', '/api/tasks', {
      token: api.adminToken,
      body: { name: 'work', kind: 'shell', config: { command: 'work.sh' } },
    });
    for (const name of ['first', 'second']) {
      const created = await api.request('POST', '/api/pipelines', {
        token: api.adminToken,
        body: { name, cron: '0 * * * *', steps: [{ taskId: task.body.id }] },
      });
      pipelines[name] = created.body.id;
    }
    for (const name of ['a', 'b']) {
      nodes[name] = (
        await api.request('POST', '/api/nodes', { token: api.adminToken, body: { name: `node-${name}` } })
      ).body.id;
    }

    const runs = api.dataSource.getRepository(RunEntity);
    for (const [index, seed] of SEEDS.entries()) {
      const id = randomUUID();
      runIds.push(id);
      const startedAt = new Date(BASE + index * HOUR_MS);
      await runs.insert({
        id,
        pipelineId: pipelines[seed.pipeline],
        pipelineName: seed.pipeline,
        pipelineVersion: 1,
        nodeId: nodes[seed.node],
        nodeName: `node-${seed.node}`,
        trigger: seed.trigger,
        triggeredBy: seed.trigger === 'manual' ? 'admin@example.com' : null,
        scheduledAt: startedAt,
        startedAt,
        finishedAt: seed.status === 'running' ? null : new Date(startedAt.getTime() + (index + 1) * 1000),
        status: seed.status,
        exitSummary: seed.status === 'failed' ? 'step 1 (work) exited with code 2' : null,
      });
    }

    const stepRuns = api.dataSource.getRepository(StepRunEntity);
    const failedRun = runIds[1];
    const snapshot = {
      id: task.body.id as string,
      name: 'work',
      kind: 'shell' as const,
      config: { command: 'work.sh' },
    };
    stepRunId = randomUUID();
    await stepRuns.insert([
      {
        id: randomUUID(),
        runId: failedRun,
        position: 1,
        role: 'on_failure',
        task: {
          ...snapshot,
          name: 'notify',
          kind: 'mail',
          config: { to: ['ops@example.com'], subject: 's', body: 'b' },
        },
        attempts: 1,
        status: 'succeeded',
      },
      {
        id: stepRunId,
        runId: failedRun,
        position: 0,
        role: 'step',
        task: snapshot,
        attempts: 3,
        status: 'failed',
        exitCode: 2,
        errorMessage: 'exited with code 2',
        startedAt: new Date(BASE + HOUR_MS),
        finishedAt: new Date(BASE + HOUR_MS + 1500),
        outputBytes: 4096,
        droppedBytes: 10,
        truncated: true,
      },
    ]);

    const logs = api.dataSource.getRepository(StepLogEntity);
    await logs.insert(
      Array.from({ length: 7 }, (_, sequence) => ({
        stepRunId,
        sequence,
        stream: sequence === 6 ? ('system' as const) : ('stdout' as const),
        chunk: `line ${sequence}\n`,
      })),
    );
  });

  afterAll(async () => {
    await api.close();
  });

  it('lists newest first by default', async () => {
    const page = await list('');

    expect(page.total).toBe(SEEDS.length);
    expect(indexes(page.items)).toEqual([6, 5, 4, 3, 2, 1, 0]);
  });

  it('lists oldest first on request', async () => {
    expect(indexes((await list('order=asc')).items)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('filters by pipeline', async () => {
    const page = await list(`pipelineId=${pipelines['second']}`);

    expect(indexes(page.items)).toEqual([6, 4, 2]);
    expect(page.total).toBe(3);
  });

  it('filters by node', async () => {
    expect(indexes((await list(`nodeId=${nodes['b']}`)).items)).toEqual([4, 1]);
  });

  it('filters by status', async () => {
    expect(indexes((await list('status=succeeded')).items)).toEqual([5, 4, 2, 0]);
    expect(indexes((await list('status=running')).items)).toEqual([6]);
  });

  it('filters by trigger', async () => {
    expect(indexes((await list('trigger=schedule')).items)).toEqual([6, 5, 1, 0]);
    expect(indexes((await list('trigger=retry')).items)).toEqual([3]);
  });

  it('filters by start time', async () => {
    const from = new Date(BASE + 2 * HOUR_MS).toISOString();
    const to = new Date(BASE + 5 * HOUR_MS).toISOString();

    expect(indexes((await list(`from=${from}`)).items)).toEqual([6, 5, 4, 3, 2]);
    expect(indexes((await list(`to=${to}`)).items)).toEqual([4, 3, 2, 1, 0]);
    expect(indexes((await list(`from=${from}&to=${to}`)).items)).toEqual([4, 3, 2]);
  });

  it('combines filters', async () => {
    expect(
      indexes((await list(`pipelineId=${pipelines['first']}&nodeId=${nodes['a']}&status=succeeded`)).items),
    ).toEqual([5, 0]);
  });

  it('pages through runs', async () => {
    const page = await list('pageSize=3&page=2');

    expect(page.total).toBe(SEEDS.length);
    expect(indexes(page.items)).toEqual([3, 2, 1]);
    expect(indexes((await list('pageSize=3&page=3')).items)).toEqual([0]);
    expect((await list('pageSize=3&page=4')).items).toEqual([]);
  });

  it('rejects invalid filters', async () => {
    expect((await api.request('GET', '/api/runs?status=exploded', { token: viewer })).status).toBe(400);
    expect((await api.request('GET', '/api/runs?from=yesterday', { token: viewer })).status).toBe(400);
    expect((await api.request('GET', '/api/runs?pipelineId=42', { token: viewer })).status).toBe(400);
  });

  it('maps run fields', async () => {
    const [run] = (await list(`status=failed`)).items;

    expect(run).toMatchObject({
      pipelineId: pipelines['first'],
      pipelineName: 'first',
      nodeId: nodes['b'],
      nodeName: 'node-b',
      trigger: 'schedule',
      startedAt: new Date(BASE + HOUR_MS).toISOString(),
      finishedAt: new Date(BASE + HOUR_MS + 2000).toISOString(),
      durationMs: 2000,
      exitSummary: 'step 1 (work) exited with code 2',
    });
    expect((await list('status=running')).items[0].durationMs).toBeNull();
  });

  it('returns a run with its steps', async () => {
    const response = await api.request('GET', `/api/runs/${runIds[1]}`, { token: viewer });

    expect(response.status).toBe(200);
    expect(response.body.id).toBe(runIds[1]);
    expect(response.body.steps.map((step: { position: number; role: string }) => [step.position, step.role])).toEqual([
      [0, 'step'],
      [1, 'on_failure'],
    ]);
    expect(response.body.steps[0]).toMatchObject({
      id: stepRunId,
      taskName: 'work',
      taskKind: 'shell',
      taskConfig: { command: 'work.sh' },
      attempts: 3,
      status: 'failed',
      exitCode: 2,
      httpStatus: null,
      errorMessage: 'exited with code 2',
      outputBytes: 4096,
      droppedBytes: 10,
      truncated: true,
    });
    expect(response.body.steps[1].taskName).toBe('notify');
  });

  it('pages through step logs', async () => {
    const first = await api.request('GET', `/api/runs/${runIds[1]}/steps/0/logs?limit=3`, { token: viewer });
    expect(first.status).toBe(200);
    expect(first.body.chunks.map((chunk: { sequence: number }) => chunk.sequence)).toEqual([0, 1, 2]);
    expect(first.body.chunks[0]).toEqual({ sequence: 0, stream: 'stdout', chunk: 'line 0\n' });
    expect(first.body.more).toBe(true);

    const second = await api.request('GET', `/api/runs/${runIds[1]}/steps/0/logs?limit=3&afterSequence=2`, {
      token: viewer,
    });
    expect(second.body.chunks.map((chunk: { sequence: number }) => chunk.sequence)).toEqual([3, 4, 5]);
    expect(second.body.more).toBe(true);

    const last = await api.request('GET', `/api/runs/${runIds[1]}/steps/0/logs?limit=3&afterSequence=5`, {
      token: viewer,
    });
    expect(last.body.chunks).toEqual([{ sequence: 6, stream: 'system', chunk: 'line 6\n' }]);
    expect(last.body.more).toBe(false);

    const all = await api.request('GET', `/api/runs/${runIds[1]}/steps/0/logs`, { token: viewer });
    expect(all.body.chunks).toHaveLength(7);
    expect(all.body.more).toBe(false);
  });

  it('returns no logs for a quiet step', async () => {
    const response = await api.request('GET', `/api/runs/${runIds[1]}/steps/1/logs`, { token: viewer });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ chunks: [], more: false });
  });

  it('returns 404 for unknown runs and steps', async () => {
    const unknown = randomUUID();
    const run = await api.request('GET', `/api/runs/${unknown}`, { token: viewer });
    expect(run.status).toBe(404);
    expect(run.body.message).toContain(unknown);

    const step = await api.request('GET', `/api/runs/${runIds[1]}/steps/9/logs`, { token: viewer });
    expect(step.status).toBe(404);
    expect(step.body.message).toContain('position 9');

    expect((await api.request('GET', `/api/runs/${unknown}/steps/0/logs`, { token: viewer })).status).toBe(404);
  });

  it('rejects bad ids and positions', async () => {
    expect((await api.request('GET', '/api/runs/not-a-uuid', { token: viewer })).status).toBe(400);
    expect((await api.request('GET', `/api/runs/${runIds[1]}/steps/first/logs`, { token: viewer })).status).toBe(400);
    expect((await api.request('GET', `/api/runs/${runIds[1]}/steps/0/logs?limit=0`, { token: viewer })).status).toBe(
      400,
    );
  });

  it('keeps runs of a deleted pipeline', async () => {
    const task = await api.request('POST', '/api/tasks', {
      token: api.adminToken,
      body: { name: 'short-lived', kind: 'shell', config: { command: 'true' } },
    });
    const pipeline = await api.request('POST', '/api/pipelines', {
      token: api.adminToken,
      body: { name: 'short-lived', cron: '0 * * * *', steps: [{ taskId: task.body.id }] },
    });
    const id = randomUUID();
    await api.dataSource.getRepository(RunEntity).insert({
      id,
      pipelineId: pipeline.body.id,
      pipelineName: 'short-lived',
      pipelineVersion: 1,
      nodeId: null,
      nodeName: 'gone',
      trigger: 'manual',
      triggeredBy: null,
      scheduledAt: new Date(BASE - HOUR_MS),
      startedAt: new Date(BASE - HOUR_MS),
      finishedAt: null,
      status: 'lost',
      exitSummary: null,
    });

    await api.request('DELETE', `/api/pipelines/${pipeline.body.id}`, { token: api.adminToken });
    const run = await api.request('GET', `/api/runs/${id}`, { token: viewer });

    expect(run.status).toBe(200);
    expect(run.body.pipelineId).toBeNull();
    expect(run.body.pipelineName).toBe('short-lived');
  });
});
