import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AgentWorld } from '../test/support/agent-harness';
import { finishedRuns, pipeline, runsOf } from '../test/support/fixtures';
import { waitUntil } from '../test/support/wait';

let world: AgentWorld;

beforeEach(() => {
  world = new AgentWorld();
});

afterEach(async () => {
  await world.cleanUp();
});

describe('commands', () => {
  it('run-now runs a disabled pipeline', async () => {
    const api = await world.startApi();
    const { nodeId } = await world.startAgent(api.url);
    const manual = pipeline([nodeId], { enabled: false, cron: '0 0 1 1 *' }, ['echo manual']);

    const key = await world.command(nodeId, {
      type: 'run',
      commandId: 'command-run-1',
      runId: 'run-now-1',
      pipeline: manual,
      trigger: 'manual',
      triggeredBy: 'alice',
      requestedAt: new Date().toISOString(),
    });
    await api.waitFor((events) => runsOf(events).get('run-now-1')?.finished !== undefined, 5_000, 'the run-now run');

    const run = runsOf(api.events(nodeId)).get('run-now-1');
    expect(run?.started?.trigger).toBe('manual');
    expect(run?.started?.triggeredBy).toBe('alice');
    expect(run?.steps.get(0)?.output).toBe('manual\n');
    expect(run?.finished?.status).toBe('succeeded');
    await waitUntil(() => world.store.get(key) === undefined, 2_000, 'the command key to be deleted');
  });

  it('kill ends a run within a second', async () => {
    const api = await world.startApi();
    const { nodeId } = await world.startAgent(api.url);
    const slow = pipeline([nodeId], { overlap: 'skip' }, ['sleep 30']);
    await world.assign(nodeId, slow);
    const started = await api.waitFor((events) => runsOf(events, slow.id).size > 0, 3_000, 'a started run');
    const [runId] = runsOf(started, slow.id).keys();

    const requestedAt = Date.now();
    const key = await world.command(nodeId, {
      type: 'kill',
      commandId: 'command-kill-1',
      runId,
      requestedBy: 'bob',
      requestedAt: new Date().toISOString(),
    });
    await api.waitFor((events) => runsOf(events).get(runId)?.finished !== undefined, 5_000, 'the killed run');

    const run = runsOf(api.events(nodeId)).get(runId);
    expect(run?.finished?.status).toBe('killed');
    expect(run?.finished?.exitSummary).toBe('killed by bob during step 1 "step-0"');
    expect(Date.parse(run?.finished?.finishedAt ?? '') - requestedAt).toBeLessThan(1_000);
    await waitUntil(() => world.store.get(key) === undefined, 2_000, 'the command key to be deleted');
  });

  it('ignores a kill for an unknown run', async () => {
    const api = await world.startApi();
    const { nodeId, logger } = await world.startAgent(api.url);

    const key = await world.command(nodeId, {
      type: 'kill',
      commandId: 'command-kill-2',
      runId: 'no-such-run',
      requestedBy: 'bob',
      requestedAt: new Date().toISOString(),
    });

    await waitUntil(() => world.store.get(key) === undefined, 2_000, 'the command key to be deleted');
    expect(logger.messages('WARN')).toContain(
      'WARN Ignoring kill command command-kill-2: run no-such-run is not active on this node',
    );
  });

  it('acts once on a command seen again after a restart', async () => {
    const api = await world.startApi();
    const first = await world.startAgent(api.url, { nodeId: 'node-once' });
    const manual = pipeline(['node-once'], { enabled: false }, ['echo once']);
    const command = {
      type: 'run' as const,
      commandId: 'command-run-once',
      runId: 'run-once-1',
      pipeline: manual,
      trigger: 'api' as const,
      triggeredBy: 'ci',
      requestedAt: new Date().toISOString(),
    };
    await world.command('node-once', command);
    await api.waitFor((events) => finishedRuns(events, manual.id).length === 1, 5_000, 'the first run');
    await first.agent.stop();

    // The key is written again, as if its deletion had been lost in an outage.
    await world.command('node-once', command);
    const second = await world.startAgent(api.url, { nodeId: 'node-once', stateDir: first.stateDir });
    await waitUntil(
      () => world.store.get(world.keys.command('node-once', command.commandId)) === undefined,
      2_000,
      'deletion',
    );

    expect(second.agent.activeRuns()).toEqual([]);
    expect(finishedRuns(api.events('node-once'), manual.id)).toHaveLength(1);
  });

  it('skips run-now for a pipeline of other nodes', async () => {
    const api = await world.startApi();
    const { nodeId } = await world.startAgent(api.url);

    await world.command(nodeId, {
      type: 'run',
      commandId: 'command-run-other',
      runId: 'run-other-1',
      pipeline: pipeline(['someone-else']),
      trigger: 'manual',
      triggeredBy: 'alice',
      requestedAt: new Date().toISOString(),
    });
    await api.waitFor((events) => runsOf(events).get('run-other-1')?.finished !== undefined, 3_000, 'the skipped run');

    const run = runsOf(api.events(nodeId)).get('run-other-1');
    expect(run?.finished?.status).toBe('skipped');
    expect(run?.finished?.exitSummary).toBe(`skipped: node ${nodeId} is not among the pipeline's nodes`);
  });
});
