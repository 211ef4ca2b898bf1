import { ApiProperty } from '@nestjs/swagger';
import { RUN_STATUSES, type RunStatus } from '@ects/domain';

import { RunDto } from '../../runs/dto/run.dto';

export class NodeCountsDto {
  @ApiProperty({ description: 'Nodes online' })
  online!: number;

  @ApiProperty({ description: 'Nodes offline' })
  offline!: number;

  @ApiProperty({ description: 'Nodes draining' })
  draining!: number;
}

export class PipelineCountsDto {
  @ApiProperty({ description: 'Enabled pipelines' })
  enabled!: number;

  @ApiProperty({ description: 'All pipelines' })
  total!: number;
}

export class HourlyRunsDto {
  @ApiProperty({ format: 'date-time', description: 'Start of the hour, UTC' })
  hour!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: `Runs started in the hour, by status (${RUN_STATUSES.join(', ')})`,
  })
  counts!: Partial<Record<RunStatus, number>>;
}

export class UpcomingFireDto {
  @ApiProperty({ format: 'uuid', description: 'Pipeline id' })
  pipelineId!: string;

  @ApiProperty({ description: 'Pipeline name' })
  pipelineName!: string;

  @ApiProperty({ format: 'date-time', description: 'Next fire time' })
  at!: string;
}

export class DashboardSummaryDto {
  @ApiProperty({ type: NodeCountsDto, description: 'Nodes by status' })
  nodes!: NodeCountsDto;

  @ApiProperty({ type: PipelineCountsDto, description: 'Pipelines' })
  pipelines!: PipelineCountsDto;

  @ApiProperty({ description: 'Runs going right now' })
  runningRuns!: number;

  @ApiProperty({ type: [HourlyRunsDto], description: 'The last 24 hours, oldest first, one entry per hour' })
  runsPerHour!: HourlyRunsDto[];

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Succeeded share of the runs finished in the last 24 h, 0 to 1; null when none finished',
  })
  successRate!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Median duration in ms of runs finished in the last 24 h' })
  p50DurationMs!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: '95th percentile duration in ms of runs finished in the last 24 h',
  })
  p95DurationMs!: number | null;

  @ApiProperty({ type: [UpcomingFireDto], description: 'The next fires of enabled pipelines, earliest first' })
  nextFires!: UpcomingFireDto[];

  @ApiProperty({ type: [RunDto], description: 'The latest failed, timed-out, killed or lost runs' })
  latestFailures!: RunDto[];
}
