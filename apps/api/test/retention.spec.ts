import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PipelineEntity } from '../src/pipelines/entities/pipeline.entity';
import { RetentionService } from '../src/retention/retention.service';
import { RunEntity } from '../src/runs/entities/run.entity';
import { StepLogEntity } from '../src/runs/entities/step-log.entity';
import { StepRunEntity } from '../src/runs/entities/step-run.entity';
import { startTestApp, type TestApp } from './support/app';

const DAY_MS = 86_400_000;

describe('run retention', () => {
  let api: TestApp;
  const now = new Date();

  const seedPipeline = async (name: string): Promise<string> => {
    const pipeline = await api.dataSource.getRepository(PipelineEntity).save({
      id: uuidv7(),
      name,
      description: '',
      cron: '0 * * * *',
      timezone: 'UTC',
      enabled: true,
      mode: 'all',
      overlap: 'skip',
      misfire: 'skip',
      timeoutSeconds: 0,
      onSuccessTaskId: null,
      onFailureTaskId: null,
      nodeSelector: null,
      version: 1,
    });

    return pipeline.id;
  };

  const seedRun = async (
    pipelineId: string,
    ageDays: number,
    status: RunEntity['status'] = 'succeeded',
  ): Promise<string> => {
    const startedAt = new Date(now.getTime() - ageDays * DAY_MS);
    const run = await api.dataSource.getRepository(RunEntity).save({
      id: uuidv7(),
      pipelineId,
      pipelineName: 'seeded',
      pipelineVersion: 1,
      nodeId: null,
      nodeName: 'gone',
      trigger: 'schedule',
      triggeredBy: null,
      scheduledAt: startedAt,
      startedAt,
      finishedAt: status === 'running' ? null : startedAt,
      status,
      exitSummary: null,
    });
    const step = await api.dataSource.getRepository(StepRunEntity).save({
      id: uuidv7(),
      runId: run.id,
      position: 0,
      role: 'step',
      task: { id: uuidv7(), name: 'seeded', kind: 'shell', config: { command: 'true' } },
      attempts: 1,
      status: 'succeeded',
      exitCode: 0,
      httpStatus: null,
      errorMessage: null,
      startedAt,
      finishedAt: startedAt,
      outputBytes: 3,
      droppedBytes: 0,
      truncated: false,
    });
    await api.dataSource
      .getRepository(StepLogEntity)
      .save({ stepRunId: step.id, sequence: 0, stream: 'stdout', chunk: 'ok\n' });

    return run.id;
  };

  beforeAll(async () => {
    api = await startTestApp({
      env: { ECTS_RETENTION_DAYS: '30', ECTS_RETENTION_MAX_RUNS_PER_PIPELINE: '5', ECTS_RETENTION_BATCH_SIZE: '3' },
    });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('purges old and excess runs with their steps and output', async () => {
    const busy = await seedPipeline('busy');
    const quiet = await seedPipeline('quiet');
    const busyRecent: string[] = [];
    for (let day = 1; day <= 8; day++) {
      busyRecent.push(await seedRun(busy, day));
    }
    const quietOld = [await seedRun(quiet, 40), await seedRun(quiet, 50)];
    const quietRecent = await seedRun(quiet, 2);
    const stillRunning = await seedRun(quiet, 60, 'running');

    const report = await api.app.get(RetentionService).purge(now);

    const remaining = await api.dataSource.getRepository(RunEntity).find({ select: { id: true } });
    const ids = new Set(remaining.map((run) => run.id));
    expect(report.expired).toBe(2);
    expect(report.excess).toBe(3);
    expect(busyRecent.slice(0, 5).every((id) => ids.has(id))).toBe(true);
    expect(busyRecent.slice(5).some((id) => ids.has(id))).toBe(false);
    expect(quietOld.some((id) => ids.has(id))).toBe(false);
    expect(ids.has(quietRecent)).toBe(true);
    expect(ids.has(stillRunning)).toBe(true);
    expect(await api.dataSource.getRepository(StepRunEntity).count()).toBe(remaining.length);
    expect(await api.dataSource.getRepository(StepLogEntity).count()).toBe(remaining.length);
  });

  it('changes nothing when history is within bounds', async () => {
    const report = await api.app.get(RetentionService).purge(now);

    expect(report).toEqual({ expired: 0, excess: 0 });
  });
});
