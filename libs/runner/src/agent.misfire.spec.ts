import type { MisfirePolicy } from '@ects/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AgentWorld } from '../test/support/agent-harness';
import { pipeline, runsOf } from '../test/support/fixtures';
import { delay, waitUntil } from '../test/support/wait';

const HOUR_MS = 3_600_000;

let world: AgentWorld;

beforeEach(() => {
  world = new AgentWorld();
});

afterEach(async () => {
  await world.cleanUp();
});

/**
 * Schedules an hourly pipeline on one agent, stops it, and starts a second agent on the same state
 * directory with a clock three hours ahead, as if the node had been down for three hours.
 */
async function restartAfterDowntime(misfire: MisfirePolicy) {
  const api = await world.startApi();
  const first = await world.startAgent(api.url, { nodeId: 'node-misfire' });
  const hourly = pipeline(['node-misfire'], { cron: '0 * * * *', misfire }, ['echo caught up']);
  await world.assign('node-misfire', hourly);
  await waitUntil(() => first.agent.nextFireTime(hourly.id), 2_000, 'the pipeline to be scheduled');
  await first.agent.stop();

  const offset = 3 * HOUR_MS;
  const restartedAt = Date.now() + offset;
  await world.startAgent(api.url, {
    nodeId: 'node-misfire',
    stateDir: first.stateDir,
    clock: { now: () => Date.now() + offset },
  });

  return { api, hourly, restartedAt };
}

describe('misfire policy', () => {
  it('run_once runs the latest missed fire after a restart', async () => {
    const { api, hourly, restartedAt } = await restartAfterDowntime('run_once');

    await api.waitFor(
      (events) => [...runsOf(events, hourly.id).values()].some((run) => run.finished),
      3_000,
      'the catch-up run',
    );
    await delay(500);

    const runs = [...runsOf(api.events('node-misfire'), hourly.id).values()];
    expect(runs).toHaveLength(1);
    expect(runs[0].started?.trigger).toBe('schedule');
    expect(Date.parse(runs[0].started?.scheduledAt ?? '')).toBe(Math.floor(restartedAt / HOUR_MS) * HOUR_MS);
    expect(runs[0].steps.get(0)?.output).toBe('caught up\n');
  });

  it('skip runs nothing for missed fires', async () => {
    const { api, hourly } = await restartAfterDowntime('skip');

    await delay(1_500);

    expect(runsOf(api.events('node-misfire'), hourly.id).size).toBe(0);
  });
});
