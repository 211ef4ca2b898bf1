import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath, PartialType } from '@nestjs/swagger';
import { TASK_KINDS, type TaskKind } from '@ects/domain';
import { IsIn, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';

import { PageDto, PageQueryDto } from '../../infra/http/pagination';
import { HookTaskConfigDto, HttpTaskConfigDto, MailTaskConfigDto, ShellTaskConfigDto } from './task-config.dto';

const CONFIG_SCHEMA = {
  oneOf: [
    { $ref: getSchemaPath(ShellTaskConfigDto) },
    { $ref: getSchemaPath(HttpTaskConfigDto) },
    { $ref: getSchemaPath(MailTaskConfigDto) },
    { $ref: getSchemaPath(HookTaskConfigDto) },
  ],
  description: 'Settings of the kind: ShellTaskConfig, HttpTaskConfig, MailTaskConfig or HookTaskConfig',
};

@ApiExtraModels(ShellTaskConfigDto, HttpTaskConfigDto, MailTaskConfigDto, HookTaskConfigDto)
export class CreateTaskDto {
  @ApiProperty({ description: 'Unique name', maxLength: 120, example: 'nightly-backup' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(120)
  name!: string;

  @ApiPropertyOptional({ description: 'What the task does', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;

  @ApiProperty({ enum: TASK_KINDS, description: 'What the task runs' })
  @IsIn(TASK_KINDS)
  kind!: TaskKind;

  @ApiProperty(CONFIG_SCHEMA)
  @IsObject()
  config!: Record<string, unknown>;
}

export class UpdateTaskDto extends PartialType(CreateTaskDto) {}

export class TaskQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Matches names containing this text' })
  @IsOptional()
  @IsString()
  @MaxLength(120)
  search?: string;

  @ApiPropertyOptional({ enum: TASK_KINDS, description: 'Only tasks of this kind' })
  @IsOptional()
  @IsIn(TASK_KINDS)
  kind?: TaskKind;

  @ApiPropertyOptional({ enum: ['name', 'createdAt', 'updatedAt'], description: 'Sort key', default: 'name' })
  @IsOptional()
  @IsIn(['name', 'createdAt', 'updatedAt'])
  sort: 'name' | 'createdAt' | 'updatedAt' = 'name';
}

export class TaskDto {
  @ApiProperty({ format: 'uuid', description: 'Task id' })
  id!: string;

  @ApiProperty({ description: 'Unique name' })
  name!: string;

  @ApiProperty({ description: 'What the task does' })
  description!: string;

  @ApiProperty({ enum: TASK_KINDS, description: 'What the task runs' })
  kind!: TaskKind;

  @ApiProperty({ ...CONFIG_SCHEMA, description: 'Settings of the kind, with secrets masked as ********' })
  config!: Record<string, unknown>;

  @ApiProperty({ format: 'date-time', description: 'Creation time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', description: 'Last change' })
  updatedAt!: string;
}

export class TaskUsageDto {
  @ApiProperty({ format: 'uuid', description: 'Pipeline id' })
  id!: string;

  @ApiProperty({ description: 'Pipeline name' })
  name!: string;

  @ApiProperty({
    type: [String],
    description: 'How the pipeline uses the task: step positions, on_success, on_failure',
  })
  uses!: string[];
}

export class TaskPageDto extends PageDto(TaskDto, 'TaskPage') {}
