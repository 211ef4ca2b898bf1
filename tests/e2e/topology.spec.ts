import { LIVE_EVENTS, LIVE_NAMESPACE } from '@ects/domain';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEtcdCluster, type EtcdCluster } from '../../tools/test/etcd.mjs';
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
import { TcpFailoverProxy } from './support/tcp-proxy';

const LEASE_TTL_SECONDS = 5;
/** TTL of the API election campaign, the adapter's default. */
const ELECTION_TTL_SECONDS = 10;

describe('two API replicas on a three-member etcd cluster', () => {
  let cluster: EtcdCluster;
  let database: Database;
  let proxy: TcpFailoverProxy;
  const apis: ApiProcess[] = [];
  const agents = new Map<string, AgentProcess>();
  const namespace = randomNamespace();

  const anyApi = (): ApiProcess => apis.find((api) => api.process.running)!;
  const portOf = (api: ApiProcess): number => Number(new URL(api.url).port);
  /** The replica whose `ects_api_leader` gauge is 1, read from its /metrics (loopback scrapes are allowed). */
  const leader = async (): Promise<ApiProcess | undefined> => {
    for (const api of apis.filter((candidate) => candidate.process.running)) {
      const metrics = await fetch(`${api.url}/metrics`)
        .then((response) => response.text())
        .catch(() => '');
      if (/^ects_api_leader 1$/m.test(metrics)) {
        return api;
      }
    }

    return undefined;
  };

  const runsOf = (pipelineId: string): Promise<RunSummary[]> => listRuns(anyApi(), pipelineId);

  const nodeNamed = async (name: string): Promise<{ id: string; status: string }> =>
    (
      await anyApi().expect<{ items: { id: string; name: string; status: string }[] }>(
        200,
        'GET',
        `/api/nodes?search=${name}`,
      )
    ).items.find((node) => node.name === name)!;

  beforeAll(async () => {
    cluster = await startEtcdCluster(3);
    database = await createDatabase();
    const env = { ECTS_REDIS_URL: 'redis://127.0.0.1:6379' };
    apis.push(
      await startApi({ databaseUrl: database.url, etcdEndpoints: cluster.endpoints.join(','), namespace, env }),
    );
    apis.push(
      await startApi({ databaseUrl: database.url, etcdEndpoints: cluster.endpoints.join(','), namespace, env }),
    );

    // Agents 1 and 2 reach the API through a failover proxy that prefers replica A; agent 3 talks to B.
    proxy = new TcpFailoverProxy([portOf(apis[0]), portOf(apis[1])]);
    const proxyUrl = `http://127.0.0.1:${await proxy.listen()}`;
    const token = await apis[0].expect(201, 'POST', '/api/enrollment-tokens', {
      name: 'topology',
      labels: { pool: 'topology' },
    });
    const agentEnv = { ECTS_LEASE_TTL_SECONDS: String(LEASE_TTL_SECONDS) };
    for (const [name, apiUrl] of [
      ['topo-1', proxyUrl],
      ['topo-2', proxyUrl],
      ['topo-3', apis[1].url],
    ]) {
      agents.set(
        name,
        startAgent({
          apiUrl,
          etcdEndpoints: cluster.endpoints.join(','),
          namespace,
          name,
          enrollToken: token.token,
          env: agentEnv,
        }),
      );
    }

    await waitFor(
      'three agents online',
      async () =>
        (await apis[0].expect<{ items: { status: string }[] }>(200, 'GET', '/api/nodes?label=pool=topology')).items,
      (nodes) => nodes.length === 3 && nodes.every((node) => node.status === 'online'),
      40_000,
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all([...agents.values()].map((agent) => agent.stop()));
    await Promise.all(apis.map((api) => api.process.stop()));
    await proxy?.close();
    await database?.drop();
    await cluster?.destroy();
  });

  it('relays live output from an agent on replica B to a browser on replica A', async () => {
    const api = apis[0];
    const task = await api.expect(201, 'POST', '/api/tasks', {
      name: 'relay-task',
      kind: 'shell',
      config: { command: 'sleep 1; echo relayed-line' },
    });
    const agentOnB = await nodeNamed('topo-3');
    const browser = io(`${api.url}${LIVE_NAMESPACE}`, {
      auth: { token: api.adminToken },
      transports: ['websocket'],
      reconnection: false,
    });
    await new Promise<void>((resolve) => browser.on('connect', () => resolve()));
    await browser.timeout(5_000).emitWithAck(LIVE_EVENTS.join, { room: 'dashboard' });

    let pipelineId = '';
    const relayed = new Promise<string>((resolve) => {
      browser.on(LIVE_EVENTS.run, (run: RunSummary) => {
        if (run.pipelineId === pipelineId && run.status === 'running') {
          void browser.timeout(5_000).emitWithAck(LIVE_EVENTS.join, { room: `run:${run.id}` });
        }
      });
      browser.on(LIVE_EVENTS.output, (output: { chunks: { data: string }[] }) => {
        const text = output.chunks.map((chunk) => chunk.data).join('');
        if (text.includes('relayed-line')) {
          resolve(text);
        }
      });
    });
    const pipeline = await api.expect(201, 'POST', '/api/pipelines', {
      name: 'relay-pipeline',
      cron: '*/3 * * * * *',
      nodeIds: [agentOnB.id],
      steps: [{ taskId: task.id }],
    });
    pipelineId = pipeline.id;

    const text = await Promise.race([
      relayed,
      new Promise<string>((_resolve, reject) =>
        setTimeout(() => reject(new Error('no relayed output within 20 s')), 20_000),
      ),
    ]);
    browser.disconnect();
    await api.expect(200, 'POST', `/api/pipelines/${pipeline.id}/disable`);

    expect(text).toContain('relayed-line');
  });

  it('loses and doubles no run through an etcd member outage and a leader failover', async () => {
    const task = await anyApi().expect(201, 'POST', '/api/tasks', {
      name: 'failover-task',
      kind: 'shell',
      config: { command: 'echo beat' },
    });
    const pipeline = await anyApi().expect(201, 'POST', '/api/pipelines', {
      name: 'failover-pipeline',
      cron: '* * * * * *',
      mode: 'one',
      nodeSelector: { pool: 'topology' },
      steps: [{ taskId: task.id }],
    });
    await waitFor(
      'first runs',
      () => runsOf(pipeline.id),
      (runs) => runs.length >= 3,
      15_000,
    );

    // One etcd member down and back: the other two keep quorum.
    const member = cluster.members[0];
    await member.stop();
    const afterStop = (await runsOf(pipeline.id)).length;
    await waitFor(
      'runs while a member is down',
      () => runsOf(pipeline.id),
      (runs) => runs.length >= afterStop + 4,
      20_000,
    );
    await member.start();
    const afterStart = (await runsOf(pipeline.id)).length;
    await waitFor(
      'runs after the member returned',
      () => runsOf(pipeline.id),
      (runs) => runs.length >= afterStart + 3,
      20_000,
    );

    // Kill the leader API: the other replica takes over within the election TTL.
    const oldLeader = await waitFor('a leader', leader, (found) => found !== undefined, 15_000);
    const killedAt = Date.now();
    await oldLeader!.process.kill();
    const newLeader = await waitFor(
      'a new leader',
      leader,
      (found) => found !== undefined && found !== oldLeader,
      (ELECTION_TTL_SECONDS + 5) * 1000,
    );
    expect(Date.now() - killedAt).toBeLessThan((ELECTION_TTL_SECONDS + 2) * 1000);
    expect(newLeader).not.toBe(oldLeader);

    // The new leader watches nodes: an agent killed now is seen going offline.
    await agents.get('topo-2')!.kill();
    const offline = await waitFor(
      'topo-2 offline',
      () => nodeNamed('topo-2'),
      (node) => node.status === 'offline',
      (LEASE_TTL_SECONDS + 15) * 1000,
    );
    expect(offline.status).toBe('offline');

    const beforeEnd = (await runsOf(pipeline.id)).length;
    await waitFor(
      'runs after the failover',
      () => runsOf(pipeline.id),
      (runs) => runs.length >= beforeEnd + 3,
      20_000,
    );
    await anyApi().expect(200, 'POST', `/api/pipelines/${pipeline.id}/disable`);
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const runs = await runsOf(pipeline.id);
    const fireTimes = runs.map((run) => new Date(run.scheduledAt).getTime()).sort((a, b) => a - b);
    const expected = (fireTimes[fireTimes.length - 1] - fireTimes[0]) / 1000 + 1;
    const missing = expected - new Set(fireTimes).size;

    expect(new Set(fireTimes).size).toBe(fireTimes.length);
    expect(missing).toBe(0);
  });
});
