import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  FINAL_RUN_STATUSES,
  type AgentEventEnvelope,
  type OutputChunk,
  type RunFinishedEvent,
  type RunStartedEvent,
  type StepFinishedEvent,
  type StepOutputEvent,
  type StepStartedEvent,
} from '@ects/domain';
import { v7 as uuidv7 } from 'uuid';
import { DataSource, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

import { APP_CONFIG, type AppConfig } from '../infra/config/config';
import { LiveEvents } from '../live/live.events';
import type { NodeEntity } from '../nodes/entities/node.entity';
import { PipelineEntity } from '../pipelines/entities/pipeline.entity';
import { RunEntity } from '../runs/entities/run.entity';
import { StepLogEntity } from '../runs/entities/step-log.entity';
import { StepRunEntity } from '../runs/entities/step-run.entity';
import { toStepRunDto } from '../runs/runs.mapper';

/** Sequence of the marker line saying how much output was dropped; above any sequence an agent sends. */
const DROPPED_MARKER_SEQUENCE = 2_147_483_647;
/** Characters per stored chunk, so a row stays well inside a TEXT column even in 4-byte UTF-8. */
const MAX_CHUNK_CHARS = 16_000;

interface LiveUpdate {
  runs: Map<string, RunEntity>;
  steps: Map<string, StepRunEntity>;
  output: { runId: string; position: number; chunks: OutputChunk[] }[];
}

/**
 * Applies the events agents report to the runs, step runs and step logs tables. Each batch is one
 * transaction, and every event is idempotent, so a batch replayed from an agent's spool after a lost
 * acknowledgement changes nothing the second time.
 */
@Injectable()
export class RunRecorder {
  private readonly logger = new Logger(RunRecorder.name);
  /** Bytes stored per step run, to enforce the output bound without a query per chunk. */
  private readonly storedBytes = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly live: LiveEvents,
  ) {}

  async apply(node: NodeEntity, envelopes: AgentEventEnvelope[]): Promise<void> {
    const update: LiveUpdate = { runs: new Map(), steps: new Map(), output: [] };

    await this.dataSource.transaction(async (manager) => {
      for (const { event } of envelopes) {
        switch (event.type) {
          case 'run.started':
            await this.runStarted(manager, node, event, update);
            break;
          case 'step.started':
            await this.stepStarted(manager, event, update);
            break;
          case 'step.output':
            await this.stepOutput(manager, event, update);
            break;
          case 'step.finished':
            await this.stepFinished(manager, event, update);
            break;
          case 'run.finished':
            await this.runFinished(manager, event, update);
            break;
        }
      }
    });

    for (const run of update.runs.values()) {
      this.live.run(run);
    }
    for (const step of update.steps.values()) {
      this.live.step(step.runId, toStepRunDto(step));
    }
    for (const output of update.output) {
      this.live.output(output.runId, output.position, output.chunks);
    }
  }

  private async runStarted(
    manager: EntityManager,
    node: NodeEntity,
    event: RunStartedEvent,
    update: LiveUpdate,
  ): Promise<void> {
    const existing = await manager.findOneBy(RunEntity, { id: event.runId });
    const pipelineExists = await manager.existsBy(PipelineEntity, { id: event.pipelineId });
    const run =
      existing ??
      manager.create(RunEntity, {
        id: event.runId,
        trigger: event.trigger,
        triggeredBy: event.triggeredBy,
        status: 'running',
        finishedAt: null,
        exitSummary: null,
      });

    // A run-now request inserts the run before the agent starts it; the agent's facts win.
    Object.assign(run, {
      pipelineId: pipelineExists ? event.pipelineId : null,
      pipelineName: event.pipelineName,
      pipelineVersion: event.pipelineVersion,
      nodeId: node.id,
      nodeName: node.name,
      scheduledAt: new Date(event.scheduledAt),
      startedAt: new Date(event.startedAt),
    });
    await manager.save(run);

    for (const plan of event.steps) {
      await this.ensureStepRun(manager, event.runId, plan.position, plan.role, plan.task);
    }
    update.runs.set(run.id, run);
  }

  private async stepStarted(manager: EntityManager, event: StepStartedEvent, update: LiveUpdate): Promise<void> {
    if (event.plan) {
      await this.ensureStepRun(manager, event.runId, event.plan.position, event.plan.role, event.plan.task);
    }

    const step = await manager.findOneBy(StepRunEntity, { runId: event.runId, position: event.position });
    if (!step) {
      this.logger.warn(`step.started for unknown step ${event.position} of run ${event.runId}; ignored`);

      return;
    }
    if (step.status === 'pending' || step.status === 'running') {
      step.status = 'running';
      step.attempts = Math.max(step.attempts, event.attempt);
      step.startedAt ??= new Date(event.startedAt);
      await manager.save(step);
    }
    update.steps.set(step.id, step);
  }

  private async stepOutput(manager: EntityManager, event: StepOutputEvent, update: LiveUpdate): Promise<void> {
    const step = await manager.findOneBy(StepRunEntity, { runId: event.runId, position: event.position });
    if (!step) {
      this.logger.warn(`step.output for unknown step ${event.position} of run ${event.runId}; ignored`);

      return;
    }

    let stored = await this.storedBytesOf(manager, step.id);
    const kept: OutputChunk[] = [];
    let dropped = 0;
    for (const chunk of event.chunks) {
      const size = Buffer.byteLength(chunk.data);
      if (stored + size > this.config.maxStepOutputBytes) {
        dropped += size;
        continue;
      }
      stored += size;
      kept.push(chunk);
    }

    if (kept.length > 0) {
      const rows = kept.map((chunk) => ({
        stepRunId: step.id,
        sequence: chunk.sequence,
        stream: chunk.stream,
        chunk: chunk.data.slice(0, MAX_CHUNK_CHARS),
      }));
      await manager.createQueryBuilder().insert().into(StepLogEntity).values(rows).orIgnore().execute();
    }
    this.storedBytes.set(step.id, stored);

    const received = kept.reduce((sum, chunk) => sum + Buffer.byteLength(chunk.data), 0) + dropped;
    step.outputBytes += received;
    if (dropped > 0) {
      step.droppedBytes += dropped;
      step.truncated = true;
    }
    await manager.update(
      StepRunEntity,
      { id: step.id },
      { outputBytes: step.outputBytes, droppedBytes: step.droppedBytes, truncated: step.truncated },
    );
    update.output.push({ runId: event.runId, position: event.position, chunks: kept });
  }

  private async stepFinished(manager: EntityManager, event: StepFinishedEvent, update: LiveUpdate): Promise<void> {
    const step = await manager.findOneBy(StepRunEntity, { runId: event.runId, position: event.position });
    if (!step) {
      this.logger.warn(`step.finished for unknown step ${event.position} of run ${event.runId}; ignored`);

      return;
    }

    const stored = await this.storedBytesOf(manager, step.id);
    Object.assign(step, {
      status: event.status,
      attempts: event.attempts,
      exitCode: event.exitCode,
      httpStatus: event.httpStatus,
      errorMessage: event.errorMessage?.slice(0, 1000) ?? null,
      finishedAt: new Date(event.finishedAt),
      outputBytes: Math.max(step.outputBytes, event.outputBytes),
    });
    step.droppedBytes = Math.max(0, step.outputBytes - stored);
    step.truncated = step.droppedBytes > 0;
    await manager.save(step);

    if (step.truncated) {
      const marker = `[ECTS] Output over the stored bound of ${this.config.maxStepOutputBytes} bytes: ${step.droppedBytes} bytes dropped\n`;
      await manager
        .createQueryBuilder()
        .insert()
        .into(StepLogEntity)
        .values({ stepRunId: step.id, sequence: DROPPED_MARKER_SEQUENCE, stream: 'system', chunk: marker })
        .orUpdate(['chunk'], ['step_run_id', 'sequence'])
        .execute();
    }
    this.storedBytes.delete(step.id);
    update.steps.set(step.id, step);
  }

  private async runFinished(manager: EntityManager, event: RunFinishedEvent, update: LiveUpdate): Promise<void> {
    const run = await manager.findOneBy(RunEntity, { id: event.runId });
    if (!run) {
      this.logger.warn(`run.finished for unknown run ${event.runId}; ignored`);

      return;
    }

    // `lost` was only the API's guess while the node was away; the agent's report is the truth.
    if (!FINAL_RUN_STATUSES.includes(run.status) || run.status === 'lost') {
      run.status = event.status;
      run.finishedAt = new Date(event.finishedAt);
      run.exitSummary = event.exitSummary?.slice(0, 1000) ?? null;
      await manager.save(run);
    }
    await manager.update(StepRunEntity, { runId: run.id, status: 'pending' }, { status: 'skipped' });
    update.runs.set(run.id, run);
  }

  private async ensureStepRun(
    manager: EntityManager,
    runId: string,
    position: number,
    role: StepRunEntity['role'],
    task: StepRunEntity['task'],
  ): Promise<void> {
    const row = {
      id: uuidv7(),
      runId,
      position,
      role,
      task,
      status: 'pending',
      attempts: 0,
      outputBytes: 0,
      droppedBytes: 0,
      truncated: false,
    };
    // The task snapshot is free-form JSON, which TypeORM's insert typing cannot express.
    await manager
      .createQueryBuilder()
      .insert()
      .into(StepRunEntity)
      .values(row as unknown as QueryDeepPartialEntity<StepRunEntity>)
      .orIgnore()
      .execute();
  }

  private async storedBytesOf(manager: EntityManager, stepRunId: string): Promise<number> {
    const cached = this.storedBytes.get(stepRunId);
    if (cached !== undefined) {
      return cached;
    }

    const row = await manager
      .createQueryBuilder(StepLogEntity, 'log')
      .select('COALESCE(SUM(LENGTH(log.chunk)), 0)', 'bytes')
      .where('log.step_run_id = :stepRunId AND log.sequence < :marker', { stepRunId, marker: DROPPED_MARKER_SEQUENCE })
      .getRawOne<{ bytes: string | number }>();

    return Number(row?.bytes ?? 0);
  }
}
