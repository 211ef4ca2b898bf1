import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AgentWorld } from '../test/support/agent-harness';
import { finishedRuns, pipeline } from '../test/support/fixtures';

let world: AgentWorld;

beforeEach(() => {
  world = new AgentWorld();
});

afterEach(async () => {
  await world.cleanUp();
});

describe('execution mode', () => {
  it('one runs each fire on exactly one of three agents', async () => {
    const api = await world.startApi();
    const nodes = ['node-a', 'node-b', 'node-c'];
    for (const nodeId of nodes) {
      await world.startAgent(api.url, { nodeId });
    }
    const shared = pipeline(nodes, { mode: 'one' });

    for (const nodeId of nodes) {
      await world.assign(nodeId, shared);
    }
    await api.waitFor((events) => finishedRuns(events, shared.id).length >= 4, 8_000, 'four fires');
    for (const nodeId of nodes) {
      await world.assign(nodeId, { ...shared, enabled: false });
    }

    const fireTimes = finishedRuns(api.events(), shared.id)
      .map((run) => Date.parse(run.started?.scheduledAt ?? ''))
      .sort((a, b) => a - b);
    const gaps = fireTimes.slice(1).map((time, index) => time - fireTimes[index]);
    expect(new Set(fireTimes).size).toBe(fireTimes.length);
    expect(gaps.every((gap) => gap === 1_000)).toBe(true);
    expect(await world.admin.getPrefix(world.keys.locksPrefix(shared.id))).toEqual(
      expect.objectContaining({
        entries: expect.arrayContaining([expect.objectContaining({ leaseId: expect.any(String) })]),
      }),
    );
  });

  it('all runs each fire on every bound agent', async () => {
    const api = await world.startApi();
    const nodes = ['node-a', 'node-b', 'node-c'];
    for (const nodeId of nodes) {
      await world.startAgent(api.url, { nodeId });
    }
    const shared = pipeline(nodes, { mode: 'all' });

    for (const nodeId of nodes) {
      await world.assign(nodeId, shared);
    }
    await api.waitFor(
      (events) => nodes.every((nodeId) => finishedRuns(api.events(nodeId), shared.id).length >= 2) && events.length > 0,
      8_000,
      'two fires on every node',
    );

    const fireTimesOf = (nodeId: string): Set<string | undefined> =>
      new Set(finishedRuns(api.events(nodeId), shared.id).map((run) => run.started?.scheduledAt));
    const [a, b, c] = nodes.map(fireTimesOf);
    const ranEverywhere = [...a].filter((fireTime) => b.has(fireTime) && c.has(fireTime));
    expect(ranEverywhere.length).toBeGreaterThanOrEqual(1);
  });
});
