import { MemoryCoordination } from '@ects/etcd';
import type { NodeRegistration } from '@ects/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AgentWorld } from '../test/support/agent-harness';
import { finishedRuns, pipeline, runsOf } from '../test/support/fixtures';
import { TestLogger } from '../test/support/test-logger';
import { delay, waitUntil } from '../test/support/wait';
import { InvalidAgentOptionsError } from './errors';

let world: AgentWorld;

beforeEach(() => {
  world = new AgentWorld();
});

afterEach(async () => {
  await world.cleanUp();
});

describe('agent', () => {
  it('registers on start and deregisters on stop', async () => {
    const api = await world.startApi();
    const { agent, nodeId } = await world.startAgent(api.url, { nodeId: 'node-reg' });

    const entry = await world.admin.get(world.keys.node(nodeId));
    const registration = JSON.parse(entry?.value ?? '{}') as NodeRegistration;
    expect(agent.registered).toBe(true);
    expect(registration.name).toBe('node-reg-name');
    expect(registration.labels).toEqual({ env: 'test' });
    expect(entry?.leaseId).toEqual(expect.any(String));

    await agent.stop();

    expect(await world.admin.get(world.keys.node(nodeId))).toBeUndefined();
  });

  it('registers again after losing its lease', async () => {
    const api = await world.startApi();
    const { nodeId } = await world.startAgent(api.url);
    const first = await world.admin.get(world.keys.node(nodeId));

    world.store.expireLease(first?.leaseId ?? '');
    const second = await waitUntil(
      () => world.store.get(world.keys.node(nodeId)),
      3_000,
      'the registration to come back',
    );

    expect(second.leaseId).not.toBe(first?.leaseId);
  });

  it('fires and reports a scheduled run', async () => {
    const api = await world.startApi();
    const { nodeId } = await world.startAgent(api.url);
    const every = pipeline([nodeId], {}, ['echo "hello from $ECTS_PIPELINE_NAME"']);

    await world.assign(nodeId, every);
    await api.waitFor((events) => finishedRuns(events, every.id).length > 0, 5_000, 'a finished run');

    const [run] = finishedRuns(api.events(nodeId), every.id);
    expect(run.started?.trigger).toBe('schedule');
    expect(run.started?.triggeredBy).toBeNull();
    expect(Date.parse(run.started?.scheduledAt ?? '') % 1000).toBe(0);
    expect(run.steps.get(0)?.output).toBe('hello from test pipeline\n');
    expect(run.finished?.status).toBe('succeeded');
  });

  it('reschedules an edited pipeline', async () => {
    const api = await world.startApi();
    const { agent, nodeId } = await world.startAgent(api.url);
    const yearly = pipeline([nodeId], { cron: '0 0 1 1 *' });
    await world.assign(nodeId, yearly);
    await waitUntil(() => agent.nextFireTime(yearly.id), 2_000, 'the pipeline to be scheduled');

    await world.assign(nodeId, { ...yearly, cron: '* * * * * *', version: 2 });
    await api.waitFor((events) => finishedRuns(events, yearly.id).length > 0, 3_000, 'a run after the edit');

    expect(finishedRuns(api.events(nodeId), yearly.id)[0].started?.pipelineVersion).toBe(2);
  });

  it('stops firing a disabled or unassigned pipeline', async () => {
    const api = await world.startApi();
    const { agent, nodeId } = await world.startAgent(api.url);
    const disabled = pipeline([nodeId]);
    const removed = pipeline([nodeId]);
    await world.assign(nodeId, disabled);
    await world.assign(nodeId, removed);
    await api.waitFor(
      (events) => runsOf(events, disabled.id).size > 0 && runsOf(events, removed.id).size > 0,
      3_000,
      'first runs',
    );

    await world.assign(nodeId, { ...disabled, enabled: false });
    await world.unassign(nodeId, removed.id);
    await waitUntil(() => agent.activeRuns().length === 0, 3_000, 'active runs to end');
    const counts = [runsOf(api.events(nodeId), disabled.id).size, runsOf(api.events(nodeId), removed.id).size];
    await delay(1_500);

    expect(agent.nextFireTime(disabled.id)).toBeUndefined();
    expect(agent.nextFireTime(removed.id)).toBeUndefined();
    expect([runsOf(api.events(nodeId), disabled.id).size, runsOf(api.events(nodeId), removed.id).size]).toEqual(counts);
  });

  it('reads assignments again after a watch reset', async () => {
    await world.cleanUp();
    world = new AgentWorld(5);
    const api = await world.startApi();
    const { agent, nodeId, logger } = await world.startAgent(api.url);
    const pipelines = Array.from({ length: 20 }, () => pipeline([nodeId], { cron: '0 0 1 1 *' }));

    // Writes made in one tick outrun the watch, so the store compacts history it has not delivered.
    for (const snapshot of pipelines) {
      world.store.put(world.keys.assignment(nodeId, snapshot.id), JSON.stringify(snapshot), undefined);
    }
    await waitUntil(
      () => pipelines.every((snapshot) => agent.nextFireTime(snapshot.id) !== undefined),
      3_000,
      'all pipelines',
    );

    expect(logger.messages('WARN').some((line) => line.includes('was reset, reading it again'))).toBe(true);
  });

  it('fires from its cache while etcd is away', async () => {
    const api = await world.startApi();
    const first = await world.startAgent(api.url, { nodeId: 'node-cache' });
    const every = pipeline(['node-cache']);
    await world.assign('node-cache', every);
    await waitUntil(() => first.agent.nextFireTime(every.id), 2_000, 'the pipeline to be scheduled');
    await first.agent.stop();

    // A closed client rejects every call, as an unreachable etcd does after its retries.
    const unreachable = new MemoryCoordination({ store: world.store, keys: world.keys, logger: new TestLogger() });
    await unreachable.close();
    const second = await world.startAgent(api.url, {
      nodeId: 'node-cache',
      stateDir: first.stateDir,
      coordination: unreachable,
    });
    const startedAt = Date.now();
    await api.waitFor(
      (events) => finishedRuns(events, every.id).some((run) => Date.parse(run.started?.startedAt ?? '') >= startedAt),
      3_000,
      'a run from the cache',
    );

    expect(second.agent.registered).toBe(false);
    expect(
      second.logger.messages('WARN').some((line) => line.includes('Registering node node-cache in etcd failed')),
    ).toBe(true);
  });

  it('keeps at most maxConcurrentRuns runs executing', async () => {
    const api = await world.startApi();
    const { nodeId } = await world.startAgent(api.url, { maxConcurrentRuns: 1 });
    const first = pipeline([nodeId], {}, ['sleep 0.7']);
    const second = pipeline([nodeId], {}, ['sleep 0.7']);
    await world.assign(nodeId, first);
    await world.assign(nodeId, second);

    await api.waitFor(
      (events) => finishedRuns(events, first.id).length + finishedRuns(events, second.id).length >= 4,
      10_000,
      'four runs',
    );

    const runs = [...finishedRuns(api.events(nodeId), first.id), ...finishedRuns(api.events(nodeId), second.id)]
      .map((run) => ({
        start: Date.parse(run.started?.startedAt ?? ''),
        end: Date.parse(run.finished?.finishedAt ?? ''),
      }))
      .sort((a, b) => a.start - b.start);
    for (let index = 1; index < runs.length; index += 1) {
      expect(runs[index].start).toBeGreaterThanOrEqual(runs[index - 1].end);
    }
  });

  it('rejects invalid options with every problem', () => {
    expect(() => world.createAgent('not a url', { maxConcurrentRuns: 0, leaseTtlSeconds: 0.5 })).toThrow(
      InvalidAgentOptionsError,
    );

    try {
      world.createAgent('not a url', { maxConcurrentRuns: 0, leaseTtlSeconds: 0.5 });
    } catch (error: unknown) {
      expect((error as InvalidAgentOptionsError).problems).toEqual([
        'apiUrl must be an http or https URL, got "not a url"',
        'maxConcurrentRuns must be an integer of at least 1, got 0',
        'leaseTtlSeconds must be an integer of at least 1, got 0.5',
      ]);
    }
  });
});
