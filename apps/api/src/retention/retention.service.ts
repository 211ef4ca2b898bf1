import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThan, Not } from 'typeorm';

import { APP_CONFIG, type AppConfig } from '../infra/config/config';
import { LeadershipService, type LeaderDuty } from '../infra/coordination/leadership.service';
import { RunEntity } from '../runs/entities/run.entity';

export interface RetentionReport {
  /** Runs purged because they were older than the retention age. */
  expired: number;
  /** Runs purged because their pipeline had more than the allowed number. */
  excess: number;
}

/**
 * Purges old run history on the leader: runs older than the retention age, and the oldest runs of
 * any pipeline beyond the per-pipeline limit. Deletes go in small batches (step runs and their
 * output follow through ON DELETE CASCADE), and running runs are never touched.
 */
@Injectable()
export class RetentionService implements LeaderDuty, OnModuleInit {
  readonly name = 'run retention';
  private readonly logger = new Logger(RetentionService.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetentionReport> | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly leadership: LeadershipService,
  ) {}

  onModuleInit(): void {
    this.leadership.register(this);
  }

  start(): Promise<void> {
    this.timer = setInterval(() => void this.purge(), this.config.retention.intervalSeconds * 1000);
    void this.purge();

    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }

    return Promise.resolve();
  }

  /** Runs one purge, or joins the one in progress. */
  purge(now = new Date()): Promise<RetentionReport> {
    this.running ??= this.run(now)
      .catch((error: unknown) => {
        this.logger.warn(
          `Purging old runs failed: ${error instanceof Error ? error.message : String(error)}; the next purge retries`,
        );

        return { expired: 0, excess: 0 };
      })
      .finally(() => {
        this.running = null;
      });

    return this.running;
  }

  private async run(now: Date): Promise<RetentionReport> {
    const { days, maxRunsPerPipeline } = this.config.retention;
    const report: RetentionReport = { expired: 0, excess: 0 };

    if (days > 0) {
      const cutoff = new Date(now.getTime() - days * 86_400_000);
      report.expired = await this.deleteInBatches({ startedAt: LessThan(cutoff) });
    }
    if (maxRunsPerPipeline > 0) {
      report.excess = await this.trimPipelines(maxRunsPerPipeline);
    }

    if (report.expired > 0 || report.excess > 0) {
      this.logger.log(
        `Purged ${report.expired} runs older than ${days} days and ${report.excess} beyond ${maxRunsPerPipeline} per pipeline`,
      );
    }

    return report;
  }

  private async trimPipelines(limit: number): Promise<number> {
    const crowded = await this.dataSource
      .getRepository(RunEntity)
      .createQueryBuilder('run')
      .select('run.pipeline_id', 'pipelineId')
      .where('run.pipeline_id IS NOT NULL')
      .groupBy('run.pipeline_id')
      .having('COUNT(*) > :limit', { limit })
      .getRawMany<{ pipelineId: string }>();

    let deleted = 0;
    for (const { pipelineId } of crowded) {
      // The start time of the limit-th newest run: everything that started before it goes.
      const boundary = await this.dataSource.getRepository(RunEntity).find({
        select: { id: true, startedAt: true },
        where: { pipelineId },
        order: { startedAt: 'DESC', id: 'DESC' },
        skip: limit - 1,
        take: 1,
      });
      if (boundary.length > 0) {
        deleted += await this.deleteInBatches({ pipelineId, startedAt: LessThan(boundary[0].startedAt) });
      }
    }

    return deleted;
  }

  private async deleteInBatches(where: {
    startedAt: ReturnType<typeof LessThan<Date>>;
    pipelineId?: string;
  }): Promise<number> {
    const runs = this.dataSource.getRepository(RunEntity);
    let deleted = 0;

    for (;;) {
      const batch = await runs.find({
        select: { id: true },
        where: { ...where, status: Not('running') },
        order: { startedAt: 'ASC' },
        take: this.config.retention.batchSize,
      });
      if (batch.length === 0) {
        return deleted;
      }
      await runs.delete({ id: In(batch.map((run) => run.id)) });
      deleted += batch.length;
    }
  }
}
