import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  OUTPUT_STREAMS,
  RUN_STATUSES,
  RUN_TRIGGERS,
  STEP_RUN_STATUSES,
  type OutputStream,
  type RunStatus,
  type RunTrigger,
  type StepRunStatus,
} from '@ects/domain';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

import { PageDto, PageQueryDto } from '../../infra/http/pagination';
import { STEP_RUN_ROLES, type StepRunRole } from '../entities/step-run.entity';

export class RunQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only runs of this pipeline' })
  @IsOptional()
  @IsUUID()
  pipelineId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only runs on this node' })
  @IsOptional()
  @IsUUID()
  nodeId?: string;

  @ApiPropertyOptional({ enum: RUN_STATUSES, description: 'Only runs with this status' })
  @IsOptional()
  @IsIn(RUN_STATUSES)
  status?: RunStatus;

  @ApiPropertyOptional({ enum: RUN_TRIGGERS, description: 'Only runs started this way' })
  @IsOptional()
  @IsIn(RUN_TRIGGERS)
  trigger?: RunTrigger;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Runs started at or after this instant' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Runs started before this instant' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;
}

export class RunDto {
  @ApiProperty({ format: 'uuid', description: 'Run id (UUIDv7, made by the agent)' })
  id!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'uuid',
    description: 'Pipeline id; null once the pipeline is deleted',
  })
  pipelineId!: string | null;

  @ApiProperty({ description: 'Pipeline name when the run started' })
  pipelineName!: string;

  @ApiProperty({ description: 'Pipeline version the run used' })
  pipelineVersion!: number;

  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'Node id; null once the node is deleted' })
  nodeId!: string | null;

  @ApiProperty({ description: 'Node name when the run started' })
  nodeName!: string;

  @ApiProperty({ enum: RUN_TRIGGERS, description: 'How the run started' })
  trigger!: RunTrigger;

  @ApiProperty({ type: String, nullable: true, description: 'Who asked for a manual or API run' })
  triggeredBy!: string | null;

  @ApiProperty({ format: 'date-time', description: 'Nominal fire time, or request time for manual runs' })
  scheduledAt!: string;

  @ApiProperty({ format: 'date-time', description: 'When the run started' })
  startedAt!: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'When the run finished' })
  finishedAt!: string | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Milliseconds from start to finish' })
  durationMs!: number | null;

  @ApiProperty({ enum: RUN_STATUSES, description: 'Status' })
  status!: RunStatus;

  @ApiProperty({ type: String, nullable: true, description: 'Short outcome, e.g. which step failed and how' })
  exitSummary!: string | null;
}

export class StepRunDto {
  @ApiProperty({ format: 'uuid', description: 'Step run id' })
  id!: string;

  @ApiProperty({ description: 'Position; pipeline steps first, then the on-success or on-failure task' })
  position!: number;

  @ApiProperty({ enum: STEP_RUN_ROLES, description: 'Pipeline step, or the task run after success or failure' })
  role!: StepRunRole;

  @ApiProperty({ description: 'Task name when it ran' })
  taskName!: string;

  @ApiProperty({ description: 'Task kind' })
  taskKind!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Task config as it ran, secrets masked' })
  taskConfig!: Record<string, unknown>;

  @ApiProperty({ description: 'Attempts made, retries included' })
  attempts!: number;

  @ApiProperty({ enum: STEP_RUN_STATUSES, description: 'Status' })
  status!: StepRunStatus;

  @ApiProperty({ type: Number, nullable: true, description: 'Exit code of a shell step' })
  exitCode!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Response status of an HTTP or hook step' })
  httpStatus!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the step failed, when it did' })
  errorMessage!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'Start of the first attempt' })
  startedAt!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'End of the last attempt' })
  finishedAt!: string | null;

  @ApiProperty({ description: 'Bytes of output produced' })
  outputBytes!: number;

  @ApiProperty({ description: 'Bytes of output not stored because the step reached its output bound' })
  droppedBytes!: number;

  @ApiProperty({ description: 'Whether stored output was cut at the bound' })
  truncated!: boolean;
}

export class RunDetailDto extends RunDto {
  @ApiProperty({ type: [StepRunDto], description: 'Steps in order' })
  steps!: StepRunDto[];
}

export class StepLogQueryDto {
  @ApiPropertyOptional({ description: 'Only chunks with a higher sequence number, for following output', default: -1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(-1)
  afterSequence: number = -1;

  @ApiPropertyOptional({ description: 'Most chunks to return', default: 500, minimum: 1, maximum: 5000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5000)
  limit: number = 500;
}

export class StepLogChunkDto {
  @ApiProperty({ description: 'Sequence number within the step, from 0' })
  sequence!: number;

  @ApiProperty({ enum: OUTPUT_STREAMS, description: 'Stream the chunk came from; system lines come from ECTS' })
  stream!: OutputStream;

  @ApiProperty({ description: 'Text of the chunk' })
  chunk!: string;
}

export class StepLogDto {
  @ApiProperty({ type: [StepLogChunkDto], description: 'Chunks in order' })
  chunks!: StepLogChunkDto[];

  @ApiProperty({ description: 'Whether more chunks follow this page' })
  more!: boolean;
}

export class RunPageDto extends PageDto(RunDto, 'RunPage') {}
