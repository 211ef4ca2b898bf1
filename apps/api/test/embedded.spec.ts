import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApp, type TestApp } from './support/app';
import { eventually } from './support/eventually';

describe('embedded mode', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ database: 'sqlite', embeddedAgent: true });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('shows the embedded agent as the online node "local"', async () => {
    const nodes = await eventually(
      () => api.request('GET', '/api/nodes', { token: api.adminToken }),
      (response) =>
        response.body.items.some(
          (node: { name: string; status: string }) => node.name === 'local' && node.status === 'online',
        ),
    );

    expect(nodes.body.items.map((node: { name: string }) => node.name)).toEqual(['local']);
  });

  it('runs a pipeline on schedule without etcd or MySQL', async () => {
    const task = await api.request('POST', '/api/tasks', {
      token: api.adminToken,
      body: { name: 'embedded-echo', kind: 'shell', config: { command: 'echo embedded' } },
    });
    const pipeline = await api.request('POST', '/api/pipelines', {
      token: api.adminToken,
      body: { name: 'embedded-every-second', cron: '* * * * * *', steps: [{ taskId: task.body.id }] },
    });
    expect(pipeline.body.nodeIds).toHaveLength(1);

    const runs = await eventually(
      () => api.request('GET', `/api/runs?pipelineId=${pipeline.body.id}`, { token: api.adminToken }),
      (response) => response.body.items.some((run: { status: string }) => run.status === 'succeeded'),
    );
    await api.request('POST', `/api/pipelines/${pipeline.body.id}/disable`, { token: api.adminToken });
    const run = runs.body.items.find((candidate: { status: string }) => candidate.status === 'succeeded');
    const logs = await api.request('GET', `/api/runs/${run.id}/steps/0/logs`, { token: api.adminToken });

    expect(run.trigger).toBe('schedule');
    expect(new Date(run.scheduledAt).getMilliseconds()).toBe(0);
    expect(logs.body.chunks.map((chunk: { chunk: string }) => chunk.chunk).join('')).toBe('embedded\n');
  });
});
