import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEtcd, type EtcdServer } from '../../tools/test/etcd.mjs';
import {
  createDatabase,
  listRuns,
  randomNamespace,
  startAgent,
  startApi,
  waitFor,
  type AgentProcess,
  type ApiProcess,
  type Database,
  type RunSummary,
} from './support/processes';

const LEASE_TTL_SECONDS = 5;

describe('mode one across three agents', () => {
  let etcd: EtcdServer;
  let database: Database;
  let api: ApiProcess;
  const agents = new Map<string, AgentProcess>();
  const namespace = randomNamespace();

  const runsOf = (pipelineId: string): Promise<RunSummary[]> => listRuns(api, pipelineId);

  beforeAll(async () => {
    etcd = await startEtcd();
    database = await createDatabase();
    api = await startApi({ databaseUrl: database.url, etcdEndpoints: etcd.endpoint, namespace });
    const token = await api.expect(201, 'POST', '/api/enrollment-tokens', {
      name: 'mode-one',
      labels: { pool: 'one' },
    });
    for (const name of ['one-a', 'one-b', 'one-c']) {
      agents.set(
        name,
        startAgent({
          apiUrl: api.url,
          etcdEndpoints: etcd.endpoint,
          namespace,
          name,
          enrollToken: token.token,
          env: { ECTS_LEASE_TTL_SECONDS: String(LEASE_TTL_SECONDS) },
        }),
      );
    }
    await waitFor(
      'three agents online',
      async () => (await api.expect<{ items: { status: string }[] }>(200, 'GET', '/api/nodes?label=pool=one')).items,
      (nodes) => nodes.length === 3 && nodes.every((node) => node.status === 'online'),
      40_000,
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...agents.values()].map((agent) => agent.stop()));
    await api?.process.stop();
    await database?.drop();
    await etcd?.destroy();
  });

  it('runs each fire exactly once, and carries on when the winner is killed', async () => {
    const task = await api.expect(201, 'POST', '/api/tasks', {
      name: 'one-task',
      kind: 'shell',
      config: { command: 'echo one' },
    });
    const pipeline = await api.expect(201, 'POST', '/api/pipelines', {
      name: 'one-pipeline',
      cron: '* * * * * *',
      mode: 'one',
      nodeSelector: { pool: 'one' },
      steps: [{ taskId: task.id }],
    });
    const nodes = (await api.expect<{ items: { id: string; name: string }[] }>(200, 'GET', '/api/nodes?label=pool=one'))
      .items;
    const nameOf = new Map(nodes.map((node) => [node.id, node.name]));

    const firstFire = await waitFor(
      'the first run',
      () => runsOf(pipeline.id),
      (runs) => runs.length > 0,
      15_000,
    );
    const start = new Date(firstFire[0].scheduledAt).getTime();
    const windowEnd = start + 60_000;
    await waitFor(
      '60 fires',
      () => runsOf(pipeline.id),
      (runs) => runs.some((run) => new Date(run.scheduledAt).getTime() >= windowEnd),
      90_000,
    );

    // Kill the agent that ran the latest fire, and see the others carry on.
    const before = await runsOf(pipeline.id);
    const winner = before[before.length - 1].nodeId;
    const killedAt = Date.now();
    await agents.get(nameOf.get(winner)!)!.kill();
    const carriedOn = await waitFor(
      'a run on another node after the kill',
      () => runsOf(pipeline.id),
      (runs) => runs.some((run) => run.nodeId !== winner && new Date(run.scheduledAt).getTime() > killedAt),
      (LEASE_TTL_SECONDS + 5) * 1000,
    );
    const resumed = carriedOn.find((run) => run.nodeId !== winner && new Date(run.scheduledAt).getTime() > killedAt)!;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await api.expect(200, 'POST', `/api/pipelines/${pipeline.id}/disable`);

    const runs = await runsOf(pipeline.id);
    const inWindow = runs.filter((run) => {
      const at = new Date(run.scheduledAt).getTime();

      return at >= start && at < windowEnd;
    });
    const fireTimes = runs.map((run) => run.scheduledAt);

    expect(inWindow).toHaveLength(60);
    expect(new Set(fireTimes).size).toBe(fireTimes.length);
    expect(new Date(resumed.scheduledAt).getTime() - killedAt).toBeLessThan((LEASE_TTL_SECONDS + 1) * 1000);
  });
});
