import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseCron, type PipelineSnapshot } from '@ects/domain';
import { afterEach, describe, expect, it } from 'vitest';

import { pipeline } from '../../test/support/fixtures';
import { TestLogger } from '../../test/support/test-logger';
import { delay, waitUntil } from '../../test/support/wait';
import type { Clock } from '../clock';
import { NO_RUNNER_METRICS } from '../metrics/runner-metrics';
import { FireRecords } from '../state/fire-records';
import { latestFireBetween } from './missed-fires';
import { Scheduler, type FireKind } from './scheduler';

const NODE = 'node-a';

interface Fire {
  pipelineId: string;
  fireTime: number;
  kind: FireKind;
  calledAt: number;
}

const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) {
    cleanup();
  }
});

function setUp(clock: Clock = { now: () => Date.now() }): {
  scheduler: Scheduler;
  fires: Fire[];
  records: FireRecords;
} {
  const stateDir = mkdtempSync(join(tmpdir(), 'ects-scheduler-'));
  const fires: Fire[] = [];
  const logger = new TestLogger();
  const records = new FireRecords(
    stateDir,
    logger,
    () => true,
    () => clock.now(),
  );
  const scheduler = new Scheduler({
    nodeId: NODE,
    clock,
    logger,
    metrics: NO_RUNNER_METRICS,
    fireRecords: records,
    onFire: (snapshot, fireTime, kind) => fires.push({ pipelineId: snapshot.id, fireTime, kind, calledAt: Date.now() }),
  });
  scheduler.start();

  cleanups.push(() => {
    scheduler.stop();
    records.cancel();
    rmSync(stateDir, { recursive: true, force: true });
  });

  return { scheduler, fires, records };
}

function firesOf(fires: Fire[], snapshot: PipelineSnapshot): Fire[] {
  return fires.filter((fire) => fire.pipelineId === snapshot.id);
}

describe('Scheduler', () => {
  it('fires on the next second boundary', async () => {
    const { scheduler, fires } = setUp();
    const every = pipeline([NODE], { cron: '* * * * * *' });

    scheduler.upsert(every);
    const [first] = await waitUntil(() => firesOf(fires, every).length > 0 && firesOf(fires, every), 2_000, 'a fire');

    expect(first.fireTime % 1000).toBe(0);
    expect(first.kind).toBe('scheduled');
    expect(first.calledAt).toBeGreaterThanOrEqual(first.fireTime);
    expect(first.calledAt - first.fireTime).toBeLessThan(200);
  });

  it('reschedules an edited cron at once', async () => {
    const { scheduler, fires } = setUp();
    const yearly = pipeline([NODE], { cron: '0 0 1 1 *' });
    scheduler.upsert(yearly);
    const before = scheduler.nextFireTime(yearly.id) ?? 0;

    scheduler.upsert({ ...yearly, cron: '* * * * * *', version: 2 });
    await waitUntil(() => firesOf(fires, yearly).length > 0, 2_000, 'a fire after the edit');

    expect(before - Date.now()).toBeGreaterThan(60_000);
    expect(firesOf(fires, yearly)[0].fireTime - Date.now()).toBeLessThan(1_000);
  });

  it('keeps the next fire when only steps change', () => {
    const { scheduler } = setUp();
    const hourly = pipeline([NODE], { cron: '0 * * * *' });
    scheduler.upsert(hourly);
    const before = scheduler.nextFireTime(hourly.id);

    scheduler.upsert({ ...hourly, version: 2, steps: [] });

    expect(scheduler.nextFireTime(hourly.id)).toBe(before);
  });

  it('stops firing a disabled pipeline', async () => {
    const { scheduler, fires } = setUp();
    const every = pipeline([NODE]);
    scheduler.upsert(every);
    await waitUntil(() => firesOf(fires, every).length > 0, 2_000, 'a first fire');

    scheduler.upsert({ ...every, enabled: false });
    const count = firesOf(fires, every).length;
    await delay(1_500);

    expect(scheduler.isScheduled(every.id)).toBe(false);
    expect(firesOf(fires, every)).toHaveLength(count);
  });

  it('stops firing a removed pipeline', async () => {
    const { scheduler, fires } = setUp();
    const every = pipeline([NODE]);
    scheduler.upsert(every);

    scheduler.remove(every.id);
    await delay(1_500);

    expect(firesOf(fires, every)).toHaveLength(0);
  });

  it('ignores pipelines of other nodes', () => {
    const { scheduler } = setUp();

    scheduler.upsert(pipeline(['node-b']));

    expect(scheduler.size).toBe(0);
  });

  it('ignores an invalid cron', () => {
    const { scheduler } = setUp();

    scheduler.upsert(pipeline([NODE], { cron: '61 * * * *' }));

    expect(scheduler.size).toBe(0);
  });

  it('runs a missed fire once under run_once', () => {
    const { scheduler, fires, records } = setUp();
    const hourly = pipeline([NODE], { cron: '0 * * * *', misfire: 'run_once' });
    const now = Date.now();
    records.set(hourly.id, now - 3 * 3_600_000);

    scheduler.upsert(hourly);

    const latestHour = Math.floor(now / 3_600_000) * 3_600_000;
    expect(firesOf(fires, hourly)).toEqual([expect.objectContaining({ fireTime: latestHour, kind: 'misfire' })]);
    expect(records.get(hourly.id)).toBe(latestHour);
  });

  it('skips missed fires under skip', () => {
    const { scheduler, fires, records } = setUp();
    const hourly = pipeline([NODE], { cron: '0 * * * *', misfire: 'skip' });
    const now = Date.now();
    records.set(hourly.id, now - 3 * 3_600_000);

    scheduler.upsert(hourly);

    expect(firesOf(fires, hourly)).toHaveLength(0);
    expect(records.get(hourly.id)).toBe(Math.floor(now / 3_600_000) * 3_600_000);
  });

  it('treats a very late timer as a misfire', async () => {
    let offset = 0;
    const { scheduler, fires } = setUp({ now: () => Date.now() + offset });
    const everySecond = pipeline([NODE], { cron: '* * * * * *', misfire: 'run_once' });
    scheduler.upsert(everySecond);

    // The host "sleeps" through ten minutes: the clock jumps while the timer is armed.
    offset = 10 * 60_000;
    const jumpedTo = Date.now() + offset;
    await waitUntil(() => firesOf(fires, everySecond).length > 0, 2_000, 'the late fire');

    // The misfire is the latest fire due at the jump, not the first one missed ten minutes earlier;
    // the bound leaves room for a slow machine between the jump and the check.
    const [fire] = firesOf(fires, everySecond);
    expect(fire.kind).toBe('misfire');
    expect(fire.fireTime).toBeGreaterThan(jumpedTo - 2_000);
    expect(firesOf(fires, everySecond)).toHaveLength(1);
  });

  it('schedules 10,000 pipelines cheaply', async () => {
    const { scheduler } = setUp();
    const snapshots = Array.from({ length: 10_000 }, (_, index) =>
      pipeline([NODE], {
        cron: `${index % 60} ${index % 24} * * *`,
        timezone: index % 2 === 0 ? 'UTC' : 'Europe/Berlin',
      }),
    );

    const started = performance.now();
    for (const snapshot of snapshots) {
      scheduler.upsert(snapshot);
    }
    const upsertMs = performance.now() - started;
    // Lets the debounced save of the fire records and the garbage collection of the setup pass.
    await delay(1_500);

    const cpuBefore = process.cpuUsage();
    await delay(2_000);
    const idle = process.cpuUsage(cpuBefore);
    const idleCpuMs = (idle.user + idle.system) / 1000;

    console.log(
      `10,000 pipelines: scheduled in ${Math.round(upsertMs)} ms, ${idleCpuMs.toFixed(1)} ms CPU over 2 s idle`,
    );
    expect(scheduler.size).toBe(10_000);
    expect(upsertMs).toBeLessThan(5_000);
    expect(idleCpuMs).toBeLessThan(50);
  });
});

describe('latestFireBetween', () => {
  it('finds the latest fire in the range', () => {
    const schedule = parseCron('*/15 * * * *');
    const at = Date.parse('2030-01-01T10:40:00Z');

    expect(latestFireBetween(schedule, Date.parse('2030-01-01T09:00:00Z'), at)).toBe(
      Date.parse('2030-01-01T10:30:00Z'),
    );
  });

  it('includes a fire at the upper bound', () => {
    const schedule = parseCron('0 * * * *');

    expect(latestFireBetween(schedule, Date.parse('2030-01-01T09:30:00Z'), Date.parse('2030-01-01T10:00:00Z'))).toBe(
      Date.parse('2030-01-01T10:00:00Z'),
    );
  });

  it('returns undefined without a fire in the range', () => {
    const schedule = parseCron('0 3 * * *');

    expect(
      latestFireBetween(schedule, Date.parse('2030-01-01T04:00:00Z'), Date.parse('2030-01-01T20:00:00Z')),
    ).toBeUndefined();
  });

  it('handles long gaps of frequent schedules quickly', () => {
    const schedule = parseCron('* * * * * *');
    const after = Date.parse('2029-01-01T00:00:00Z');
    const at = Date.parse('2030-01-01T00:00:00.500Z');

    const started = performance.now();
    const latest = latestFireBetween(schedule, after, at);

    expect(latest).toBe(Date.parse('2030-01-01T00:00:00Z'));
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('finds a sparse fire far back', () => {
    const schedule = parseCron('0 0 29 2 *');

    expect(latestFireBetween(schedule, Date.parse('2020-01-01T00:00:00Z'), Date.parse('2030-01-01T00:00:00Z'))).toBe(
      Date.parse('2028-02-29T00:00:00Z'),
    );
  });
});
