import { randomUUID } from 'node:crypto';

import type { RunStatus } from '@ects/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NodeEntity } from '../src/nodes/entities/node.entity';
import { RunEntity } from '../src/runs/entities/run.entity';
import { startTestApp, type TestApp } from './support/app';

interface Summary {
  nodes: { online: number; offline: number; draining: number };
  pipelines: { enabled: number; total: number };
  runningRuns: number;
  runsPerHour: { hour: string; counts: Partial<Record<RunStatus, number>> }[];
  successRate: number | null;
  p50DurationMs: number | null;
  p95DurationMs: number | null;
  nextFires: { pipelineId: string; pipelineName: string; at: string }[];
  latestFailures: { id: string; status: string }[];
}

const HOUR_MS = 3_600_000;

/** One seeded run: how long before the request it started, its status, and how long it took. */
interface SeedRun {
  agoMs: number;
  status: RunStatus;
  durationMs: number | null;
}

/**
 * Seven finished runs in the last 24 hours, plus runs that some figures must leave out. With seven
 * values the p50 and p95 ranks are not whole numbers, so every nearest-rank definition picks the same run.
 */
const SEEDS: SeedRun[] = [
  { agoMs: 10 * 60_000, status: 'succeeded', durationMs: 1_000 },
  { agoMs: 20 * 60_000, status: 'succeeded', durationMs: 3_000 },
  { agoMs: 2 * HOUR_MS + 60_000, status: 'failed', durationMs: 7_000 },
  { agoMs: 2 * HOUR_MS + 120_000, status: 'succeeded', durationMs: 2_000 },
  { agoMs: 5 * HOUR_MS, status: 'timed_out', durationMs: 60_000 },
  { agoMs: 12 * HOUR_MS, status: 'succeeded', durationMs: 5_000 },
  { agoMs: 23 * HOUR_MS - 30 * 60_000, status: 'succeeded', durationMs: 4_000 },
  { agoMs: 30 * 60_000, status: 'running', durationMs: null },
  { agoMs: 3 * HOUR_MS, status: 'skipped', durationMs: 0 },
  { agoMs: 26 * HOUR_MS, status: 'succeeded', durationMs: 90_000 },
  { agoMs: 30 * HOUR_MS, status: 'lost', durationMs: 1_000 },
];

// The hourly buckets and durations are computed in SQL that differs between MariaDB and SQLite.
describe.each(['mariadb', 'sqlite'] as const)('dashboard summary on %s', (database) => {
  let api: TestApp;
  let summary: Summary;
  let requestedAt: number;
  const runs: { id: string; startedAt: number; status: RunStatus }[] = [];
  const pipelineIds: Record<string, string> = {};

  beforeAll(async () => {
    api = await startTestApp({ database });
    const admin = api.adminToken;

    const nodeIds: string[] = [];
    for (const name of ['n-online', 'n-offline-1', 'n-offline-2', 'n-draining']) {
      nodeIds.push((await api.request('POST', '/api/nodes', { token: admin, body: { name } })).body.id);
    }
    await api.dataSource
      .getRepository(NodeEntity)
      .update({ id: nodeIds[0] }, { status: 'online', lastSeenAt: new Date() });
    await api.request('POST', `/api/nodes/${nodeIds[3]}/drain`, { token: admin });

    const task = await api.request('POST', '/api/tasks', {
      token: admin,
      body: { name: 'work', kind: 'shell', config: { command: 'true' } },
    });
    const pipelines: [string, string, boolean][] = [
      ['every-minute', '* * * * *', true],
      ['yearly', '0 0 1 1 *', true],
      ['hourly', '0 * * * *', true],
      ['paused', '* * * * *', false],
    ];
    for (const [name, cron, enabled] of pipelines) {
      const created = await api.request('POST', '/api/pipelines', {
        token: admin,
        body: { name, cron, enabled, steps: [{ taskId: task.body.id }] },
      });
      pipelineIds[name] = created.body.id;
    }

    const now = Date.now();
    for (const seed of SEEDS) {
      const id = randomUUID();
      const startedAt = now - seed.agoMs;
      runs.push({ id, startedAt, status: seed.status });
      await api.dataSource.getRepository(RunEntity).insert({
        id,
        pipelineId: pipelineIds['every-minute'],
        pipelineName: 'every-minute',
        pipelineVersion: 1,
        nodeId: nodeIds[0],
        nodeName: 'n-online',
        trigger: 'schedule',
        triggeredBy: null,
        scheduledAt: new Date(startedAt),
        startedAt: new Date(startedAt),
        finishedAt: seed.durationMs === null ? null : new Date(startedAt + seed.durationMs),
        status: seed.status,
        exitSummary: null,
      });
    }

    requestedAt = Date.now();
    const response = await api.request<Summary>('GET', '/api/dashboard/summary', {
      token: (await api.userWithRole('viewer')).token,
    });
    if (response.status !== 200) {
      throw new Error(`Dashboard summary failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }
    summary = response.body;
  });

  afterAll(async () => {
    await api.close();
  });

  it('counts nodes by status', () => {
    expect(summary.nodes).toEqual({ online: 1, offline: 2, draining: 1 });
  });

  it('counts enabled pipelines', () => {
    expect(summary.pipelines).toEqual({ enabled: 3, total: 4 });
  });

  it('counts running runs', () => {
    expect(summary.runningRuns).toBe(1);
  });

  it('has 24 consecutive hours', () => {
    const hours = summary.runsPerHour.map((entry) => Date.parse(entry.hour));

    expect(hours).toHaveLength(24);
    expect(hours.every((hour, index) => index === 0 || hour - hours[index - 1] === HOUR_MS)).toBe(true);
    expect(hours.every((hour) => hour % HOUR_MS === 0)).toBe(true);
    // The last entry is the hour of the request, which began at or before it.
    expect(hours[23]).toBeLessThanOrEqual(requestedAt + 5_000);
    expect(hours[23] + HOUR_MS).toBeGreaterThan(requestedAt);
  });

  it('counts runs in their hours', () => {
    const first = Date.parse(summary.runsPerHour[0].hour);
    const expected = summary.runsPerHour.map((): Partial<Record<RunStatus, number>> => ({}));
    for (const run of runs) {
      const index = Math.floor((run.startedAt - first) / HOUR_MS);
      if (index >= 0 && index < 24) {
        expected[index][run.status] = (expected[index][run.status] ?? 0) + 1;
      }
    }

    expect(summary.runsPerHour.map((entry) => entry.counts)).toEqual(expected);
    expect(expected.reduce((sum, counts) => sum + Object.values(counts).reduce((a, b) => a + b, 0), 0)).toBe(9);
  });

  it('computes the success rate', () => {
    expect(summary.successRate).toBeCloseTo(5 / 7, 10);
  });

  it('computes p50 and p95 durations', () => {
    // Durations of the seven finished runs, sorted: 1, 2, 3, 4, 5, 7, 60 seconds.
    expect(summary.p50DurationMs).toBe(4_000);
    expect(summary.p95DurationMs).toBe(60_000);
  });

  it('sorts next fires of enabled pipelines', () => {
    const names = summary.nextFires.map((fire) => fire.pipelineName);
    const instants = summary.nextFires.map((fire) => Date.parse(fire.at));

    expect(names).toEqual(['every-minute', 'hourly', 'yearly']);
    expect(instants).toEqual([...instants].sort((a, b) => a - b));
    expect(instants[0]).toBeGreaterThan(requestedAt - 1_000);
    expect(instants[0]).toBeLessThanOrEqual(requestedAt + 65_000);
    expect(new Date(instants[2]).toISOString()).toMatch(/-01-01T00:00:00\.000Z$/);
    expect(summary.nextFires[0].pipelineId).toBe(pipelineIds['every-minute']);
  });

  it('lists latest failures newest first', () => {
    const failures = runs
      .filter((run) => ['failed', 'timed_out', 'killed', 'lost'].includes(run.status))
      .sort((a, b) => b.startedAt - a.startedAt);

    expect(summary.latestFailures.map((run) => run.id)).toEqual(failures.map((run) => run.id));
    expect(summary.latestFailures.map((run) => run.status)).toEqual(['failed', 'timed_out', 'lost']);
  });
});

describe('dashboard summary when empty', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ database: 'sqlite' });
  });

  afterAll(async () => {
    await api.close();
  });

  it('has no rates without runs', async () => {
    const response = await api.request<Summary>('GET', '/api/dashboard/summary', { token: api.adminToken });

    expect(response.status).toBe(200);
    expect(response.body.successRate).toBeNull();
    expect(response.body.p50DurationMs).toBeNull();
    expect(response.body.p95DurationMs).toBeNull();
    expect(response.body.runsPerHour).toHaveLength(24);
    expect(response.body.runsPerHour.every((entry) => Object.keys(entry.counts).length === 0)).toBe(true);
    expect(response.body.nextFires).toEqual([]);
  });
});
