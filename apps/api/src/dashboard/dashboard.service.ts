import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { NodeStatus, RunStatus } from '@ects/domain';
import { DataSource, In, MoreThanOrEqual, Not, IsNull } from 'typeorm';

import { NodeEntity } from '../nodes/entities/node.entity';
import { PipelineEntity } from '../pipelines/entities/pipeline.entity';
import { compileSchedule } from '../pipelines/schedule';
import { RunEntity } from '../runs/entities/run.entity';
import { toRunDto } from '../runs/runs.mapper';
import { DashboardSummaryDto, HourlyRunsDto, UpcomingFireDto } from './dto/dashboard.dto';

const HOUR_MS = 3_600_000;
const UPCOMING_FIRES = 10;
const LATEST_FAILURES = 10;
const FAILED_STATUSES: RunStatus[] = ['failed', 'timed_out', 'killed', 'lost'];

@Injectable()
export class DashboardService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async summary(now = new Date()): Promise<DashboardSummaryDto> {
    const firstHour = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - 23 * HOUR_MS);
    const dayAgo = new Date(now.getTime() - 24 * HOUR_MS);

    const [nodes, pipelines, runningRuns, runsPerHour, durations, latestFailures] = await Promise.all([
      this.nodeCounts(),
      this.dataSource
        .getRepository(PipelineEntity)
        .find({ select: { id: true, name: true, cron: true, timezone: true, enabled: true } }),
      this.dataSource.getRepository(RunEntity).countBy({ status: 'running' }),
      this.runsPerHour(firstHour),
      this.durationStats(dayAgo),
      this.dataSource.getRepository(RunEntity).find({
        where: { status: In(FAILED_STATUSES) },
        order: { startedAt: 'DESC' },
        take: LATEST_FAILURES,
      }),
    ]);

    return {
      nodes,
      pipelines: { enabled: pipelines.filter((pipeline) => pipeline.enabled).length, total: pipelines.length },
      runningRuns,
      runsPerHour,
      ...durations,
      nextFires: upcomingFires(pipelines, now),
      latestFailures: latestFailures.map(toRunDto),
    };
  }

  private async nodeCounts(): Promise<Record<NodeStatus, number>> {
    const rows = await this.dataSource
      .getRepository(NodeEntity)
      .createQueryBuilder('node')
      .select('node.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .groupBy('node.status')
      .getRawMany<{ status: NodeStatus; count: string | number }>();
    const counts: Record<NodeStatus, number> = { online: 0, offline: 0, draining: 0 };
    for (const row of rows) {
      counts[row.status] = Number(row.count);
    }

    return counts;
  }

  private async runsPerHour(firstHour: Date): Promise<HourlyRunsDto[]> {
    const bucket =
      this.dataSource.options.type !== 'better-sqlite3'
        ? "DATE_FORMAT(run.started_at, '%Y-%m-%dT%H:00:00.000Z')"
        : "strftime('%Y-%m-%dT%H:00:00.000Z', run.started_at)";
    const rows = await this.dataSource
      .getRepository(RunEntity)
      .createQueryBuilder('run')
      .select(bucket, 'hour')
      .addSelect('run.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .where('run.started_at >= :firstHour', { firstHour })
      .groupBy('hour')
      .addGroupBy('run.status')
      .getRawMany<{ hour: string; status: RunStatus; count: string | number }>();

    const hours: HourlyRunsDto[] = [];
    const byHour = new Map<string, HourlyRunsDto>();
    for (let index = 0; index < 24; index++) {
      const hour = new Date(firstHour.getTime() + index * HOUR_MS).toISOString();
      const entry = { hour, counts: {} };
      hours.push(entry);
      byHour.set(hour, entry);
    }
    for (const row of rows) {
      const entry = byHour.get(row.hour);
      if (entry) {
        entry.counts[row.status] = Number(row.count);
      }
    }

    return hours;
  }

  /** Success rate and duration percentiles of the runs finished since `since`, computed in the database. */
  private async durationStats(
    since: Date,
  ): Promise<Pick<DashboardSummaryDto, 'successRate' | 'p50DurationMs' | 'p95DurationMs'>> {
    const runs = this.dataSource.getRepository(RunEntity);
    const finished = {
      finishedAt: Not(IsNull()),
      startedAt: MoreThanOrEqual(since),
      status: Not(In(['running', 'skipped'])),
    };
    const total = await runs.countBy(finished);
    if (total === 0) {
      return { successRate: null, p50DurationMs: null, p95DurationMs: null };
    }

    const succeeded = await runs.countBy({ ...finished, status: 'succeeded' });
    const duration =
      this.dataSource.options.type !== 'better-sqlite3'
        ? 'TIMESTAMPDIFF(MICROSECOND, run.started_at, run.finished_at) / 1000'
        : '(julianday(run.finished_at) - julianday(run.started_at)) * 86400000';
    const percentile = async (fraction: number): Promise<number> => {
      const row = await runs
        .createQueryBuilder('run')
        .select(duration, 'duration')
        .where('run.finished_at IS NOT NULL')
        .andWhere('run.started_at >= :since', { since })
        .andWhere("run.status NOT IN ('running', 'skipped')")
        .orderBy('duration', 'ASC')
        .offset(Math.min(total - 1, Math.floor(fraction * total)))
        .limit(1)
        .getRawOne<{ duration: string | number }>();

      return Math.round(Number(row?.duration ?? 0));
    };

    return {
      successRate: succeeded / total,
      p50DurationMs: await percentile(0.5),
      p95DurationMs: await percentile(0.95),
    };
  }
}

function upcomingFires(pipelines: PipelineEntity[], now: Date): UpcomingFireDto[] {
  const fires: UpcomingFireDto[] = [];
  for (const pipeline of pipelines) {
    if (!pipeline.enabled) {
      continue;
    }
    const at = compileSchedule(pipeline.cron, pipeline.timezone).next(now);
    if (at) {
      fires.push({ pipelineId: pipeline.id, pipelineName: pipeline.name, at: at.toISOString() });
    }
  }

  return fires.sort((a, b) => a.at.localeCompare(b.at)).slice(0, UPCOMING_FIRES);
}
