import { createServer, type Server } from 'node:net';

import type { NodeHealth } from '@ects/domain';
import { afterEach, describe, expect, it } from 'vitest';

import type { AgentService } from '../agent.service';
import type { AgentSettings } from '../config/settings';
import { AgentMetrics } from './agent-metrics';
import { MetricsServer } from './metrics.server';

const servers: MetricsServer[] = [];
const blockers: Server[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const ready: NodeHealth = { status: 'ok', details: { engine: { status: 'up' } }, since: '2030-01-01T00:00:00.000Z' };
const notReady: NodeHealth = {
  status: 'error',
  details: { api: { status: 'down', message: 'the API is not connected' } },
  since: '2030-01-01T00:00:00.000Z',
};

async function serve(port: number): Promise<MetricsServer> {
  const settings = { metricsAddress: { host: '127.0.0.1', port }, metricsPipelineLabels: false } as AgentSettings;
  const agent = { liveness: () => ready, readiness: () => notReady } as unknown as AgentService;
  const server = new MetricsServer(settings, new AgentMetrics(settings), agent);
  servers.push(server);
  await server.onModuleInit();

  return server;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    await server.onApplicationShutdown();
  }
  for (const blocker of blockers.splice(0)) {
    blocker.close();
  }
});

describe('MetricsServer', () => {
  it('serves metrics and health', async () => {
    const port = await freePort();
    await serve(port);
    const base = `http://127.0.0.1:${port}`;

    const metrics = await fetch(`${base}/metrics`);
    const live = await fetch(`${base}/health`);
    const readiness = await fetch(`${base}/health/ready`);
    const missing = await fetch(`${base}/nothing`);

    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE ects_agent_runs_total counter');
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual(ready);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toEqual(notReady);
    expect(missing.status).toBe(404);
  });

  it('runs on without a free port', async () => {
    const port = await freePort();
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));

    await expect(serve(port)).resolves.toBeInstanceOf(MetricsServer);
  });
});
