import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import {
  EXECUTION_MODES,
  MISFIRE_POLICIES,
  OVERLAP_POLICIES,
  RETRY_BACKOFFS,
  STEP_FAILURE_RULES,
  TASK_KINDS,
  type ExecutionMode,
  type MisfirePolicy,
  type OverlapPolicy,
  type RetryBackoff,
  type StepFailureRule,
  type TaskKind,
} from '@ects/domain';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

import { PageDto, PageQueryDto } from '../../infra/http/pagination';
import { IsStringMap } from '../../infra/http/string-map.validator';

export const MAX_STEPS = 100;
const ONE_WEEK_SECONDS = 7 * 86_400;
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/;

export class StepEnvVarDto {
  @ApiProperty({ description: 'Variable name', example: 'BACKUP_TARGET' })
  @IsString()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'name must be letters, digits and _, not starting with a digit' })
  @MaxLength(128)
  name!: string;

  @ApiProperty({ description: 'Value; a secret value reads back as ******** and sending that back keeps it' })
  @IsString()
  @MaxLength(10_000)
  value!: string;

  @ApiPropertyOptional({ description: 'Mask the value in every response, log and audit event', default: false })
  @IsOptional()
  @IsBoolean()
  secret?: boolean;
}

export class StepInputDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Id of an existing step, to keep its secret values when they come back masked',
  })
  @IsOptional()
  @IsUUID()
  id?: string;

  @ApiProperty({ format: 'uuid', description: 'Task the step runs' })
  @IsUUID()
  taskId!: string;

  @ApiPropertyOptional({
    description: 'Seconds before the step is killed; 0 leaves only the pipeline timeout',
    default: 0,
    minimum: 0,
    maximum: ONE_WEEK_SECONDS,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(ONE_WEEK_SECONDS)
  timeoutSeconds?: number;

  @ApiPropertyOptional({ description: 'Extra attempts after a failure', default: 0, minimum: 0, maximum: 20 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(20)
  retries?: number;

  @ApiPropertyOptional({ description: 'Seconds before the first retry', default: 0, minimum: 0, maximum: 86_400 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86_400)
  retryIntervalSeconds?: number;

  @ApiPropertyOptional({
    enum: RETRY_BACKOFFS,
    description: 'fixed waits the interval each time; exponential doubles it per retry',
    default: 'fixed',
  })
  @IsOptional()
  @IsIn(RETRY_BACKOFFS)
  retryBackoff?: RetryBackoff;

  @ApiPropertyOptional({
    enum: STEP_FAILURE_RULES,
    description: 'After the last failed attempt: stop the run (failed) or go on to the next step',
    default: 'stop',
  })
  @IsOptional()
  @IsIn(STEP_FAILURE_RULES)
  onFailure?: StepFailureRule;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Unix user a shell step runs as; the agent must run as root to switch',
    example: 'backup',
  })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsString()
  @Matches(/^[a-z_][a-z0-9_-]{0,31}\$?$/, { message: 'runAsUser must be a Unix user name such as backup' })
  runAsUser?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Absolute working directory of a shell step',
    example: '/srv/app',
  })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsString()
  @Matches(/^\//, { message: 'workingDirectory must be an absolute path starting with /' })
  @MaxLength(1024)
  workingDirectory?: string | null;

  @ApiPropertyOptional({ type: [StepEnvVarDto], description: "Environment variables of the step, added to the task's" })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => StepEnvVarDto)
  env?: StepEnvVarDto[];
}

export class CreatePipelineDto {
  @ApiProperty({ description: 'Unique name', maxLength: 120, example: 'nightly-backup' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(120)
  name!: string;

  @ApiPropertyOptional({ description: 'What the pipeline is for', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;

  @ApiProperty({
    description: 'Cron expression: 5 fields, or 6 with leading seconds; names, L, W, # and @daily-style macros',
    example: '0 30 2 * * *',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  cron!: string;

  @ApiPropertyOptional({
    description: 'IANA time zone the expression is read in',
    default: 'UTC',
    example: 'Europe/Berlin',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string;

  @ApiPropertyOptional({ description: 'Whether the pipeline fires on its schedule', default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    enum: EXECUTION_MODES,
    description: 'all: every bound node runs each fire; one: exactly one live bound node does',
    default: 'all',
  })
  @IsOptional()
  @IsIn(EXECUTION_MODES)
  mode?: ExecutionMode;

  @ApiPropertyOptional({
    enum: OVERLAP_POLICIES,
    description:
      'What a fire does while the previous run is going: skip it, queue it, replace the old run, or allow both',
    default: 'skip',
  })
  @IsOptional()
  @IsIn(OVERLAP_POLICIES)
  overlap?: OverlapPolicy;

  @ApiPropertyOptional({
    enum: MISFIRE_POLICIES,
    description: 'Fires missed while the agent or etcd was down: skip them, or run once on return',
    default: 'skip',
  })
  @IsOptional()
  @IsIn(MISFIRE_POLICIES)
  misfire?: MisfirePolicy;

  @ApiPropertyOptional({
    description: 'Seconds a whole run may take before it is killed; 0 means no limit',
    default: 0,
    minimum: 0,
    maximum: ONE_WEEK_SECONDS,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(ONE_WEEK_SECONDS)
  timeoutSeconds?: number;

  @ApiPropertyOptional({ type: String, nullable: true, format: 'uuid', description: 'Task run after a successful run' })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsUUID()
  onSuccessTaskId?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    format: 'uuid',
    description: 'Task run after a failed, timed-out or killed run',
  })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsUUID()
  onFailureTaskId?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    nullable: true,
    description: 'Label selector: nodes whose labels contain every pair run the pipeline too',
    example: { role: 'db' },
  })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsObject()
  @IsStringMap({
    keyPattern: LABEL_KEY,
    keyHint: 'letters, digits, . _ / - (at most 63), starting and ending with a letter or digit',
    maxEntries: 20,
    maxValueLength: 63,
  })
  nodeSelector?: Record<string, string> | null;

  @ApiPropertyOptional({ type: [String], description: 'Nodes the pipeline is bound to', example: [] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  nodeIds?: string[];

  @ApiProperty({ type: [StepInputDto], description: `Steps in the order they run, at most ${MAX_STEPS}` })
  @IsArray()
  @ArrayMaxSize(MAX_STEPS)
  @ValidateNested({ each: true })
  @Type(() => StepInputDto)
  steps!: StepInputDto[];
}

export class UpdatePipelineDto extends PartialType(CreatePipelineDto) {}

export class ReorderStepsDto {
  @ApiProperty({ type: [String], description: 'Every step id of the pipeline, in the new order' })
  @IsArray()
  @ArrayUnique()
  @IsUUID('all', { each: true })
  stepIds!: string[];
}

export class PipelineQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Matches names containing this text' })
  @IsOptional()
  @IsString()
  @MaxLength(120)
  search?: string;

  @ApiPropertyOptional({ description: 'Only enabled (true) or disabled (false) pipelines', enum: ['true', 'false'] })
  @IsOptional()
  @IsIn(['true', 'false'])
  enabled?: 'true' | 'false';

  @ApiPropertyOptional({ format: 'uuid', description: 'Only pipelines bound explicitly to this node' })
  @IsOptional()
  @IsUUID()
  nodeId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only pipelines that use this task' })
  @IsOptional()
  @IsUUID()
  taskId?: string;

  @ApiPropertyOptional({ enum: ['name', 'createdAt', 'updatedAt'], default: 'name', description: 'Sort key' })
  @IsOptional()
  @IsIn(['name', 'createdAt', 'updatedAt'])
  sort: 'name' | 'createdAt' | 'updatedAt' = 'name';
}

export class ScheduleQueryDto {
  @ApiPropertyOptional({ description: 'How many fire times to return', default: 10, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  count: number = 10;
}

export class SchedulePreviewDto extends ScheduleQueryDto {
  @ApiProperty({ description: 'Cron expression to preview', example: '*/15 * * * *' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  cron!: string;

  @ApiPropertyOptional({ description: 'IANA time zone', default: 'UTC' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string;
}

export class FireTimeDto {
  @ApiProperty({ format: 'date-time', description: 'Fire instant in UTC' })
  at!: string;

  @ApiProperty({
    description: 'The same instant on the wall clock of the zone, with its UTC offset',
    example: '2026-03-29T03:00:00+02:00',
  })
  local!: string;

  @ApiProperty({ description: "True when the zone's UTC offset differs from the previous fire's (a DST change)" })
  offsetChanged!: boolean;
}

export class ScheduleDto {
  @ApiProperty({ description: 'The expression' })
  cron!: string;

  @ApiProperty({ description: 'Zone the fire times are computed in' })
  timezone!: string;

  @ApiProperty({ description: 'The expression in words' })
  description!: string;

  @ApiProperty({ type: [FireTimeDto], description: 'Next fire times, earliest first' })
  fires!: FireTimeDto[];
}

export class StepDto {
  @ApiProperty({ format: 'uuid', description: 'Step id' })
  id!: string;

  @ApiProperty({ description: 'Zero-based position in the pipeline' })
  position!: number;

  @ApiProperty({ format: 'uuid', description: 'Task the step runs' })
  taskId!: string;

  @ApiProperty({ description: 'Name of the task' })
  taskName!: string;

  @ApiProperty({ enum: TASK_KINDS, description: 'Kind of the task' })
  taskKind!: TaskKind;

  @ApiProperty({ description: 'Step timeout in seconds; 0 leaves only the pipeline timeout' })
  timeoutSeconds!: number;

  @ApiProperty({ description: 'Extra attempts after a failure' })
  retries!: number;

  @ApiProperty({ description: 'Seconds before the first retry' })
  retryIntervalSeconds!: number;

  @ApiProperty({ enum: RETRY_BACKOFFS, description: 'Retry backoff' })
  retryBackoff!: RetryBackoff;

  @ApiProperty({ enum: STEP_FAILURE_RULES, description: 'What a failure of this step does to the run' })
  onFailure!: StepFailureRule;

  @ApiProperty({ type: String, nullable: true, description: 'Unix user a shell step runs as' })
  runAsUser!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Working directory of a shell step' })
  workingDirectory!: string | null;

  @ApiProperty({ type: [StepEnvVarDto], description: 'Environment variables, secret values masked' })
  env!: StepEnvVarDto[];
}

export class PipelineDto {
  @ApiProperty({ format: 'uuid', description: 'Pipeline id' })
  id!: string;

  @ApiProperty({ description: 'Unique name' })
  name!: string;

  @ApiProperty({ description: 'What the pipeline is for' })
  description!: string;

  @ApiProperty({ description: 'Cron expression' })
  cron!: string;

  @ApiProperty({ description: 'IANA time zone' })
  timezone!: string;

  @ApiProperty({ description: 'Whether it fires on schedule' })
  enabled!: boolean;

  @ApiProperty({ enum: EXECUTION_MODES, description: 'Execution mode' })
  mode!: ExecutionMode;

  @ApiProperty({ enum: OVERLAP_POLICIES, description: 'Overlap policy' })
  overlap!: OverlapPolicy;

  @ApiProperty({ enum: MISFIRE_POLICIES, description: 'Misfire policy' })
  misfire!: MisfirePolicy;

  @ApiProperty({ description: 'Run timeout in seconds; 0 means none' })
  timeoutSeconds!: number;

  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'Task run after success' })
  onSuccessTaskId!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'Task run after failure' })
  onFailureTaskId!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    nullable: true,
    description: 'Label selector',
  })
  nodeSelector!: Record<string, string> | null;

  @ApiProperty({ type: [String], description: 'Nodes bound explicitly' })
  nodeIds!: string[];

  @ApiProperty({ type: [StepDto], description: 'Steps in order' })
  steps!: StepDto[];

  @ApiProperty({ description: 'Bumped on every change to the pipeline, its steps, bindings or tasks' })
  version!: number;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'Next fire time, or null when disabled',
  })
  nextFireAt!: string | null;

  @ApiProperty({ format: 'date-time', description: 'Creation time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', description: 'Last change' })
  updatedAt!: string;
}

export class PipelinePageDto extends PageDto(PipelineDto, 'PipelinePage') {}
