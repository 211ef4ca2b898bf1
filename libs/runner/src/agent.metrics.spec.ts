import type { OverlapPolicy, RunStatus, StepRunStatus, TaskKind } from '@ects/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AgentWorld } from '../test/support/agent-harness';
import { finishedRuns, pipeline } from '../test/support/fixtures';
import { delay, waitUntil } from '../test/support/wait';
import type { FireLockResult, RunnerMetrics } from './metrics/runner-metrics';

/** Keeps every measurement the engine reports, so tests can compare it with the runs it reported. */
class RecordedMetrics implements RunnerMetrics {
  readonly lateness: number[] = [];
  readonly overlapSkips: OverlapPolicy[] = [];
  readonly misfires: string[] = [];
  readonly fireLocks: FireLockResult[] = [];
  readonly runs: { pipelineId: string; status: RunStatus; durationMs: number }[] = [];
  readonly steps: { kind: TaskKind; status: StepRunStatus; durationMs: number }[] = [];
  leaseLosses = 0;
  registrations = 0;

  fireLateness(lateMs: number): void {
    this.lateness.push(lateMs);
  }

  overlapSkipped(policy: OverlapPolicy): void {
    this.overlapSkips.push(policy);
  }

  misfire(policy: 'skip' | 'run_once'): void {
    this.misfires.push(policy);
  }

  fireLock(result: FireLockResult): void {
    this.fireLocks.push(result);
  }

  runFinished(run: { pipelineId: string; status: RunStatus; durationMs: number }): void {
    this.runs.push(run);
  }

  stepFinished(step: { kind: TaskKind; status: StepRunStatus; durationMs: number }): void {
    this.steps.push(step);
  }

  leaseLost(): void {
    this.leaseLosses += 1;
  }

  registered(): void {
    this.registrations += 1;
  }
}

let world: AgentWorld;

beforeEach(() => {
  world = new AgentWorld();
});

afterEach(async () => {
  await world.cleanUp();
});

describe('engine metrics', () => {
  it('measures lateness, runs and steps', async () => {
    const api = await world.startApi();
    const metrics = new RecordedMetrics();
    const { nodeId } = await world.startAgent(api.url, { metrics });
    const everySecond = pipeline([nodeId], {}, ['sleep 0.2', 'exit 3']);

    await world.assign(nodeId, everySecond);
    await api.waitFor((events) => finishedRuns(events, everySecond.id).length >= 2, 5_000, 'two finished runs');
    await world.assign(nodeId, { ...everySecond, enabled: false });
    await waitUntil(() => metrics.runs.length >= 2, 2_000, 'two recorded runs');

    expect(metrics.lateness.length).toBeGreaterThanOrEqual(2);
    expect(Math.min(...metrics.lateness)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...metrics.lateness)).toBeLessThan(1_000);
    expect(metrics.runs[0]).toEqual(expect.objectContaining({ pipelineId: everySecond.id, status: 'failed' }));
    expect(metrics.runs[0].durationMs).toBeGreaterThanOrEqual(200);
    expect(metrics.steps[0]).toEqual(expect.objectContaining({ kind: 'shell', status: 'succeeded' }));
    expect(metrics.steps[0].durationMs).toBeGreaterThanOrEqual(200);
    expect(metrics.steps[1]).toEqual(expect.objectContaining({ kind: 'shell', status: 'failed' }));
  });

  it('counts overlap skips', async () => {
    const api = await world.startApi();
    const metrics = new RecordedMetrics();
    const { nodeId } = await world.startAgent(api.url, { metrics });
    const slow = pipeline([nodeId], { overlap: 'skip' }, ['sleep 1.5']);

    await world.assign(nodeId, slow);
    await api.waitFor(
      (events) => finishedRuns(events, slow.id).filter((run) => run.finished?.status === 'skipped').length >= 2,
      6_000,
      'two skipped fires',
    );
    await world.assign(nodeId, { ...slow, enabled: false });

    const skipped = finishedRuns(api.events(nodeId), slow.id).filter((run) => run.finished?.status === 'skipped');
    expect(metrics.overlapSkips.length).toBeGreaterThanOrEqual(skipped.length);
    expect(new Set(metrics.overlapSkips)).toEqual(new Set(['skip']));
    expect(metrics.runs.filter((run) => run.status === 'skipped').length).toBe(metrics.overlapSkips.length);
  });

  it('counts fire lock wins and losses', async () => {
    const api = await world.startApi();
    const first = new RecordedMetrics();
    const second = new RecordedMetrics();
    await world.startAgent(api.url, { nodeId: 'node-a', metrics: first });
    await world.startAgent(api.url, { nodeId: 'node-b', metrics: second });
    const shared = pipeline(['node-a', 'node-b'], { mode: 'one' });

    await world.assign('node-a', shared);
    await world.assign('node-b', shared);
    await api.waitFor((events) => finishedRuns(events, shared.id).length >= 3, 6_000, 'three fires');
    await world.assign('node-a', { ...shared, enabled: false });
    await world.assign('node-b', { ...shared, enabled: false });

    const results = [...first.fireLocks, ...second.fireLocks];
    const won = results.filter((result) => result === 'won').length;
    const lost = results.filter((result) => result === 'lost').length;
    expect(won).toBeGreaterThanOrEqual(3);
    expect(lost).toBe(won);
    expect(results).not.toContain('error');
  });

  it('counts lease losses and registrations', async () => {
    const api = await world.startApi();
    const metrics = new RecordedMetrics();
    const { agent, nodeId } = await world.startAgent(api.url, { metrics });
    await waitUntil(() => agent.registered, 2_000, 'the first registration');
    const registration = await world.admin.get(world.keys.node(nodeId));

    world.store.expireLease(registration?.leaseId ?? '');
    await waitUntil(() => metrics.registrations >= 2 && agent.registered, 5_000, 'the second registration');

    expect(metrics.leaseLosses).toBe(1);
    expect(metrics.registrations).toBe(2);
  });

  it('reports spool depth and age while the API is away', async () => {
    const api = await world.startApi();
    const { agent, nodeId } = await world.startAgent(api.url);
    await waitUntil(() => agent.status().apiConnected, 2_000, 'the API connection');
    await api.close();
    await waitUntil(() => !agent.status().apiConnected, 2_000, 'the API to be gone');
    const everySecond = pipeline([nodeId]);

    await world.assign(nodeId, everySecond);
    await waitUntil(() => agent.status().spool.events >= 4, 3_000, 'spooled events');
    const early = agent.status();
    await waitUntil(
      () => agent.status().spool.oldestEventAgeMs >= early.spool.oldestEventAgeMs + 1_000,
      3_000,
      'an older spool',
    );

    expect(early.assignments).toBe(1);
    expect(agent.status().spool.events).toBeGreaterThan(early.spool.events);
    expect(agent.readiness().status).toBe('error');
    expect(agent.readiness().details['api']?.status).toBe('down');
    expect(agent.readiness().details['etcd']?.status).toBe('up');
  });

  it('writes readiness into its registration', async () => {
    const api = await world.startApi();
    const { agent, nodeId } = await world.startAgent(api.url);
    await waitUntil(() => agent.status().apiConnected, 2_000, 'the API connection');

    let registered: { status: string } | undefined;
    const deadline = Date.now() + 7_000;
    while (registered?.status !== 'ok' && Date.now() < deadline) {
      const entry = await world.admin.get(world.keys.node(nodeId));
      registered =
        entry === undefined ? undefined : (JSON.parse(entry.value) as { health?: { status: string } }).health;
      await delay(100);
    }

    expect(registered).toEqual(expect.objectContaining({ status: 'ok' }));
    expect(agent.liveness().status).toBe('ok');
  });
});
