import type { AgentEventEnvelope, PipelineSnapshot } from '@ects/domain';
import { AGENT_EVENTS, AGENT_NAMESPACE, LIVE_EVENTS, LIVE_NAMESPACE } from '@ects/domain';
import { Etcd3Coordination, EtcdKeys } from '@ects/etcd';
import { io, type Socket } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Reconciler } from '../src/publishing/reconciler';
import { RunEntity } from '../src/runs/entities/run.entity';
import { StepLogEntity } from '../src/runs/entities/step-log.entity';
import { StepRunEntity } from '../src/runs/entities/step-run.entity';
import { startTestApp, type TestApp } from './support/app';
import { eventually } from './support/eventually';
import { sharedEtcd } from './support/etcd';

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('API coordination through etcd', () => {
  let api: TestApp;
  let etcd: { endpoint: string; close(): Promise<void> };
  let etcdClient: Etcd3Coordination;
  let keys: EtcdKeys;

  const readAssignment = async (nodeId: string, pipelineId: string): Promise<PipelineSnapshot | null> => {
    const entry = await etcdClient.get(keys.assignment(nodeId, pipelineId));

    return entry ? (JSON.parse(entry.value) as PipelineSnapshot) : null;
  };

  const createNode = async (name: string, labels: Record<string, string> = {}): Promise<string> => {
    const response = await api.request('POST', '/api/nodes', { token: api.adminToken, body: { name, labels } });
    expect(response.status).toBe(201);

    return response.body.id as string;
  };

  const createTask = async (name: string, command = 'echo hello'): Promise<string> => {
    const response = await api.request('POST', '/api/tasks', {
      token: api.adminToken,
      body: { name, kind: 'shell', config: { command } },
    });
    expect(response.status).toBe(201);

    return response.body.id as string;
  };

  beforeAll(async () => {
    etcd = await sharedEtcd();
    api = await startTestApp({ etcdEndpoint: etcd.endpoint, env: { ECTS_MAX_STEP_OUTPUT_BYTES: '2048' } });
    keys = new EtcdKeys(api.config.etcd.namespace);
    etcdClient = new Etcd3Coordination({ endpoints: etcd.endpoint, keys, logger: silent });
  });

  afterAll(async () => {
    await etcdClient?.deletePrefix(keys.root());
    await etcdClient?.close();
    await api?.close();
    await etcd?.close();
  });

  it('publishes a pipeline to its bound node and follows every edit', async () => {
    const nodeId = await createNode('publish-1');
    const taskId = await createTask('publish-task');
    const created = await api.request('POST', '/api/pipelines', {
      token: api.adminToken,
      body: { name: 'publish-pipeline', cron: '*/5 * * * * *', steps: [{ taskId }], nodeIds: [nodeId] },
    });
    expect(created.status).toBe(201);
    const pipelineId = created.body.id as string;

    const first = await eventually(
      () => readAssignment(nodeId, pipelineId),
      (value) => value !== null,
    );
    expect(first?.version).toBe(1);
    expect(first?.steps[0].task.config).toEqual({ command: 'echo hello' });
    expect(first?.nodeIds).toEqual([nodeId]);

    await api.request('PATCH', `/api/pipelines/${pipelineId}`, {
      token: api.adminToken,
      body: { cron: '*/7 * * * * *' },
    });
    const edited = await eventually(
      () => readAssignment(nodeId, pipelineId),
      (value) => value?.cron === '*/7 * * * * *',
    );
    expect(edited?.version).toBe(2);

    await api.request('PATCH', `/api/tasks/${taskId}`, {
      token: api.adminToken,
      body: { config: { command: 'echo changed' } },
    });
    const taskEdited = await eventually(
      () => readAssignment(nodeId, pipelineId),
      (value) => (value?.steps[0].task.config as { command: string }).command === 'echo changed',
    );
    expect(taskEdited?.version).toBe(3);

    await api.request('POST', `/api/pipelines/${pipelineId}/disable`, { token: api.adminToken });
    expect(
      await eventually(
        () => readAssignment(nodeId, pipelineId),
        (value) => value === null,
      ),
    ).toBeNull();

    await api.request('POST', `/api/pipelines/${pipelineId}/enable`, { token: api.adminToken });
    expect(
      await eventually(
        () => readAssignment(nodeId, pipelineId),
        (value) => value !== null,
      ),
    ).not.toBeNull();

    await api.request('DELETE', `/api/pipelines/${pipelineId}/nodes/${nodeId}`, { token: api.adminToken });
    expect(
      await eventually(
        () => readAssignment(nodeId, pipelineId),
        (value) => value === null,
      ),
    ).toBeNull();

    await api.request('PUT', `/api/pipelines/${pipelineId}/nodes/${nodeId}`, { token: api.adminToken });
    expect(
      await eventually(
        () => readAssignment(nodeId, pipelineId),
        (value) => value !== null,
      ),
    ).not.toBeNull();

    await api.request('DELETE', `/api/pipelines/${pipelineId}`, { token: api.adminToken });
    expect(
      await eventually(
        () => readAssignment(nodeId, pipelineId),
        (value) => value === null,
      ),
    ).toBeNull();
  });

  it('publishes by label selector and follows label changes', async () => {
    const nodeId = await createNode('selector-1', { role: 'db' });
    const otherId = await createNode('selector-2', { role: 'web' });
    const taskId = await createTask('selector-task');
    const created = await api.request('POST', '/api/pipelines', {
      token: api.adminToken,
      body: { name: 'selector-pipeline', cron: '0 * * * *', steps: [{ taskId }], nodeSelector: { role: 'db' } },
    });
    const pipelineId = created.body.id as string;

    expect(
      await eventually(
        () => readAssignment(nodeId, pipelineId),
        (value) => value !== null,
      ),
    ).not.toBeNull();
    expect(await readAssignment(otherId, pipelineId)).toBeNull();

    await api.request('PATCH', `/api/nodes/${otherId}`, { token: api.adminToken, body: { labels: { role: 'db' } } });
    const both = await eventually(
      () => readAssignment(otherId, pipelineId),
      (value) => value !== null,
    );
    expect(both?.nodeIds.sort()).toEqual([nodeId, otherId].sort());

    await api.request('PATCH', `/api/nodes/${nodeId}`, { token: api.adminToken, body: { labels: { role: 'cache' } } });
    expect(
      await eventually(
        () => readAssignment(nodeId, pipelineId),
        (value) => value === null,
      ),
    ).toBeNull();
  });

  it('reconcile repairs missing and stray assignments', async () => {
    const nodeId = await createNode('reconcile-1');
    const taskId = await createTask('reconcile-task');
    const created = await api.request('POST', '/api/pipelines', {
      token: api.adminToken,
      body: { name: 'reconcile-pipeline', cron: '0 * * * *', steps: [{ taskId }], nodeIds: [nodeId] },
    });
    const pipelineId = created.body.id as string;
    await eventually(
      () => readAssignment(nodeId, pipelineId),
      (value) => value !== null,
    );

    await etcdClient.delete(keys.assignment(nodeId, pipelineId));
    const strayKey = keys.assignment(nodeId, uuidv7());
    await etcdClient.put(strayKey, '{}');

    const report = await api.app.get(Reconciler).reconcile();

    expect(report?.written).toBeGreaterThanOrEqual(1);
    expect(report?.deleted).toBeGreaterThanOrEqual(1);
    expect(await readAssignment(nodeId, pipelineId)).not.toBeNull();
    expect(await etcdClient.get(strayKey)).toBeUndefined();
  });

  it('marks a node online while registered and its runs lost when it leaves', async () => {
    const nodeId = await createNode('presence-1');
    const lease = await etcdClient.grantLease(5);
    await etcdClient.put(
      keys.node(nodeId),
      JSON.stringify({
        nodeId,
        name: 'presence-1',
        host: 'host-a',
        labels: {},
        version: '9.9.9',
        os: 'linux',
        startedAt: new Date().toISOString(),
        maxConcurrentRuns: 4,
      }),
      { lease },
    );

    const online = await eventually(
      () => api.request('GET', `/api/nodes/${nodeId}`, { token: api.adminToken }),
      (response) => response.body.status === 'online',
    );
    expect(online.body.status).toBe('online');
    expect(online.body.version).toBe('9.9.9');

    const runId = uuidv7();
    await api.dataSource.getRepository(RunEntity).save({
      id: runId,
      pipelineId: null,
      pipelineName: 'gone',
      pipelineVersion: 1,
      nodeId,
      nodeName: 'presence-1',
      trigger: 'schedule',
      triggeredBy: null,
      scheduledAt: new Date(),
      startedAt: new Date(),
      finishedAt: null,
      status: 'running',
      exitSummary: null,
    });

    await lease.revoke();
    const offline = await eventually(
      () => api.request('GET', `/api/nodes/${nodeId}`, { token: api.adminToken }),
      (response) => response.body.status === 'offline',
    );
    expect(offline.body.status).toBe('offline');
    const run = await eventually(
      () => api.request('GET', `/api/runs/${runId}`, { token: api.adminToken }),
      (response) => response.body.status === 'lost',
    );
    expect(run.body.status).toBe('lost');
  });

  describe('agents', () => {
    let nodeId: string;
    let credential: string;
    let agent: Socket;

    const send = async (events: AgentEventEnvelope[]): Promise<{ ok: boolean; ackedSeq?: number; error?: string }> =>
      agent.timeout(5_000).emitWithAck(AGENT_EVENTS.events, { events });

    beforeAll(async () => {
      const token = await api.request('POST', '/api/enrollment-tokens', {
        token: api.adminToken,
        body: { name: 'test agents', labels: { zone: 'a' }, maxUses: 2 },
      });
      expect(token.status).toBe(201);
      expect(token.body.command).toContain(token.body.token);

      const enrolled = await api.request('POST', '/api/agents/enroll', {
        body: {
          token: token.body.token,
          name: 'agent-1',
          host: 'host-1',
          labels: { role: 'worker' },
          os: 'linux',
          version: '1.0.0',
        },
      });
      expect(enrolled.status).toBe(201);
      nodeId = enrolled.body.nodeId;
      credential = enrolled.body.credential;

      const again = await api.request('POST', '/api/agents/enroll', {
        body: { token: token.body.token, name: 'agent-1', host: 'host-1', labels: {}, os: 'linux', version: '1.0.0' },
      });
      expect(again.status).toBe(409);

      agent = io(`${api.baseUrl}${AGENT_NAMESPACE}`, {
        auth: { nodeId, credential },
        transports: ['websocket'],
        reconnection: false,
      });
      await new Promise<void>((resolve, reject) => {
        agent.on('connect', () => resolve());
        agent.on('connect_error', reject);
      });
    });

    afterAll(() => {
      agent?.disconnect();
    });

    it('gives the enrolled node the labels of token and agent', async () => {
      const node = await api.request('GET', `/api/nodes/${nodeId}`, { token: api.adminToken });

      expect(node.body.labels).toEqual({ zone: 'a', role: 'worker' });
      expect(node.body.enrolled).toBe(true);
    });

    it('rejects an agent with a wrong credential', async () => {
      const intruder = io(`${api.baseUrl}${AGENT_NAMESPACE}`, {
        auth: { nodeId, credential: 'ectsn_wrong' },
        transports: ['websocket'],
        reconnection: false,
      });
      const disconnected = await new Promise<boolean>((resolve) => {
        intruder.on('disconnect', () => resolve(true));
        setTimeout(() => resolve(intruder.connected === false), 3_000);
      });
      intruder.disconnect();

      expect(disconnected).toBe(true);
    });

    it('records a run from its events, once, even when replayed', async () => {
      const runId = uuidv7();
      const now = new Date().toISOString();
      const task = { id: uuidv7(), name: 'echo', kind: 'shell' as const, config: { command: 'echo hi' } };
      const envelopes: AgentEventEnvelope[] = [
        {
          seq: 1,
          event: {
            type: 'run.started',
            runId,
            pipelineId: uuidv7(),
            pipelineName: 'reported',
            pipelineVersion: 4,
            trigger: 'schedule',
            triggeredBy: null,
            scheduledAt: now,
            startedAt: now,
            steps: [{ position: 0, role: 'step', task }],
          },
        },
        { seq: 2, event: { type: 'step.started', runId, position: 0, attempt: 1, startedAt: now } },
        {
          seq: 3,
          event: {
            type: 'step.output',
            runId,
            position: 0,
            chunks: [
              { sequence: 0, stream: 'stdout', data: 'hello\n' },
              { sequence: 1, stream: 'stderr', data: 'warning\n' },
            ],
          },
        },
        {
          seq: 4,
          event: {
            type: 'step.finished',
            runId,
            position: 0,
            status: 'succeeded',
            attempts: 1,
            exitCode: 0,
            httpStatus: null,
            errorMessage: null,
            finishedAt: now,
            outputBytes: 14,
          },
        },
        { seq: 5, event: { type: 'run.finished', runId, status: 'succeeded', finishedAt: now, exitSummary: null } },
      ];

      expect(await send(envelopes)).toEqual({ ok: true, ackedSeq: 5 });
      expect(await send(envelopes)).toEqual({ ok: true, ackedSeq: 5 });

      const run = await api.request('GET', `/api/runs/${runId}`, { token: api.adminToken });
      expect(run.body.status).toBe('succeeded');
      expect(run.body.nodeId).toBe(nodeId);
      expect(run.body.pipelineId).toBeNull();
      expect(run.body.steps).toHaveLength(1);
      expect(run.body.steps[0].exitCode).toBe(0);

      const logs = await api.request('GET', `/api/runs/${runId}/steps/0/logs`, { token: api.adminToken });
      expect(logs.body.chunks.map((chunk: { chunk: string }) => chunk.chunk)).toEqual(['hello\n', 'warning\n']);
      expect(await api.dataSource.getRepository(StepRunEntity).countBy({ runId })).toBe(1);
      expect(await api.dataSource.getRepository(RunEntity).countBy({ id: runId })).toBe(1);
    });

    it('bounds stored output and marks what was dropped', async () => {
      const runId = uuidv7();
      const now = new Date().toISOString();
      const task = { id: uuidv7(), name: 'noisy', kind: 'shell' as const, config: { command: 'yes' } };
      const line = 'x'.repeat(1023) + '\n';
      const chunks = Array.from({ length: 4 }, (_, sequence) => ({ sequence, stream: 'stdout' as const, data: line }));

      const ack = await send([
        {
          seq: 10,
          event: {
            type: 'run.started',
            runId,
            pipelineId: uuidv7(),
            pipelineName: 'noisy',
            pipelineVersion: 1,
            trigger: 'schedule',
            triggeredBy: null,
            scheduledAt: now,
            startedAt: now,
            steps: [{ position: 0, role: 'step', task }],
          },
        },
        { seq: 11, event: { type: 'step.output', runId, position: 0, chunks } },
        {
          seq: 12,
          event: {
            type: 'step.finished',
            runId,
            position: 0,
            status: 'succeeded',
            attempts: 1,
            exitCode: 0,
            httpStatus: null,
            errorMessage: null,
            finishedAt: now,
            outputBytes: 4096,
          },
        },
      ]);
      expect(ack.ok).toBe(true);

      const run = await api.request('GET', `/api/runs/${runId}`, { token: api.adminToken });
      expect(run.body.steps[0].truncated).toBe(true);
      expect(run.body.steps[0].droppedBytes).toBe(2048);
      const stored = await api.dataSource.getRepository(StepLogEntity).findBy({ stepRunId: run.body.steps[0].id });
      expect(stored.filter((row) => row.stream === 'stdout')).toHaveLength(2);
      expect(stored.find((row) => row.stream === 'system')?.chunk).toMatch(/2048 bytes dropped/);
    });

    it('accepts a batch of several megabytes of output', async () => {
      const runId = uuidv7();
      const now = new Date().toISOString();
      const task = { id: uuidv7(), name: 'big', kind: 'shell' as const, config: { command: 'yes' } };
      const chunk = 'y\n'.repeat(8_000);
      const chunks = Array.from({ length: 200 }, (_, sequence) => ({
        sequence,
        stream: 'stdout' as const,
        data: chunk,
      }));

      const ack = await send([
        {
          seq: 30,
          event: {
            type: 'run.started',
            runId,
            pipelineId: uuidv7(),
            pipelineName: 'big',
            pipelineVersion: 1,
            trigger: 'schedule',
            triggeredBy: null,
            scheduledAt: now,
            startedAt: now,
            steps: [{ position: 0, role: 'step', task }],
          },
        },
        { seq: 31, event: { type: 'step.output', runId, position: 0, chunks } },
      ]);

      expect(ack).toEqual({ ok: true, ackedSeq: 31 });
    });

    it('streams output to a browser following the run', async () => {
      const runId = uuidv7();
      const now = new Date().toISOString();
      const browser = io(`${api.baseUrl}${LIVE_NAMESPACE}`, {
        auth: { token: api.adminToken },
        transports: ['websocket'],
        reconnection: false,
      });
      await new Promise<void>((resolve) => browser.on('connect', () => resolve()));
      const joined = await browser.timeout(5_000).emitWithAck(LIVE_EVENTS.join, { room: `run:${runId}` });
      expect(joined).toEqual({ ok: true });

      const received = new Promise<{ runId: string; chunks: { data: string }[] }>((resolve) =>
        browser.on(LIVE_EVENTS.output, resolve),
      );
      const task = { id: uuidv7(), name: 'live', kind: 'shell' as const, config: { command: 'echo live' } };
      await send([
        {
          seq: 20,
          event: {
            type: 'run.started',
            runId,
            pipelineId: uuidv7(),
            pipelineName: 'live',
            pipelineVersion: 1,
            trigger: 'schedule',
            triggeredBy: null,
            scheduledAt: now,
            startedAt: now,
            steps: [{ position: 0, role: 'step', task }],
          },
        },
        {
          seq: 21,
          event: {
            type: 'step.output',
            runId,
            position: 0,
            chunks: [{ sequence: 0, stream: 'stdout', data: 'live line\n' }],
          },
        },
      ]);

      const output = await received;
      browser.disconnect();

      expect(output.runId).toBe(runId);
      expect(output.chunks[0].data).toBe('live line\n');
    });

    it('rejects a browser without a valid token', async () => {
      const browser = io(`${api.baseUrl}${LIVE_NAMESPACE}`, {
        auth: { token: 'not-a-jwt' },
        transports: ['websocket'],
        reconnection: false,
      });
      const disconnected = await new Promise<boolean>((resolve) => {
        browser.on('disconnect', () => resolve(true));
        setTimeout(() => resolve(false), 3_000);
      });
      browser.disconnect();

      expect(disconnected).toBe(true);
    });

    it('sends run-now and kill as commands to the node', async () => {
      const lease = await etcdClient.grantLease(10);
      await etcdClient.put(
        keys.node(nodeId),
        JSON.stringify({
          nodeId,
          name: 'agent-1',
          host: 'host-1',
          labels: {},
          version: '1.0.0',
          os: 'linux',
          startedAt: new Date().toISOString(),
          maxConcurrentRuns: 4,
        }),
        { lease },
      );
      await eventually(
        () => api.request('GET', `/api/nodes/${nodeId}`, { token: api.adminToken }),
        (response) => response.body.status === 'online',
      );
      const taskId = await createTask('run-now-task');
      const pipeline = await api.request('POST', '/api/pipelines', {
        token: api.adminToken,
        body: { name: 'run-now-pipeline', cron: '0 0 1 1 *', enabled: false, steps: [{ taskId }], nodeIds: [nodeId] },
      });

      const started = await api.request('POST', `/api/pipelines/${pipeline.body.id}/runs`, {
        token: api.adminToken,
        body: {},
      });
      expect(started.status).toBe(201);
      expect(started.body.runs).toHaveLength(1);
      const runId = started.body.runs[0].runId as string;

      const commands = await etcdClient.getPrefix(keys.commandsPrefix(nodeId));
      const runCommand = commands.entries
        .map((entry) => JSON.parse(entry.value))
        .find((command) => command.runId === runId);
      expect(runCommand.type).toBe('run');
      expect(runCommand.pipeline.id).toBe(pipeline.body.id);
      expect(runCommand.trigger).toBe('manual');

      const run = await api.request('GET', `/api/runs/${runId}`, { token: api.adminToken });
      expect(run.body.status).toBe('running');

      const kill = await api.request('POST', `/api/runs/${runId}/kill`, { token: api.adminToken });
      expect(kill.status).toBe(202);
      const afterKill = await etcdClient.getPrefix(keys.commandsPrefix(nodeId));
      expect(
        afterKill.entries
          .map((entry) => JSON.parse(entry.value))
          .some((command) => command.type === 'kill' && command.runId === runId),
      ).toBe(true);

      const unbound = await api.request('POST', `/api/pipelines/${pipeline.body.id}/runs`, {
        token: api.adminToken,
        body: { nodeId: uuidv7() },
      });
      expect(unbound.status).toBe(400);
      expect(unbound.body.errors[0].field).toBe('nodeId');

      await lease.revoke();
    });
  });
});
