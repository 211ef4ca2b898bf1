import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { NODE_STATUSES, type NodeStatus } from '@ects/domain';
import { IsIn, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

import { PageDto, PageQueryDto } from '../../infra/http/pagination';
import { IsStringMap } from '../../infra/http/string-map.validator';

export const LABEL_KEY_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/;
const LABELS_OPTIONS = {
  keyPattern: LABEL_KEY_PATTERN,
  keyHint: 'letters, digits, . _ / - (at most 63), starting and ending with a letter or digit',
  maxEntries: 50,
  maxValueLength: 63,
};

export class CreateNodeDto {
  @ApiProperty({ description: 'Unique node name, usually the host name', example: 'db-1', maxLength: 120 })
  @IsString()
  @IsNotEmpty()
  @Matches(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,118}[A-Za-z0-9])?$/, {
    message: 'name must be letters, digits, . _ - (at most 120), starting and ending with a letter or digit',
  })
  name!: string;

  @ApiPropertyOptional({ description: 'Host name or address, for display', maxLength: 255 })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  host?: string;

  @ApiPropertyOptional({
    description: 'Labels that label selectors of pipelines match',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { role: 'db' },
  })
  @IsOptional()
  @IsObject()
  @IsStringMap(LABELS_OPTIONS)
  labels?: Record<string, string>;
}

export class UpdateNodeDto extends PartialType(CreateNodeDto) {}

export class NodeQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Matches names containing this text' })
  @IsOptional()
  @IsString()
  @MaxLength(120)
  search?: string;

  @ApiPropertyOptional({ enum: NODE_STATUSES, description: 'Only nodes with this status' })
  @IsOptional()
  @IsIn(NODE_STATUSES)
  status?: NodeStatus;

  @ApiPropertyOptional({ description: 'Only nodes with this label, written key=value', example: 'role=db' })
  @IsOptional()
  @IsString()
  @Matches(/^[^=]+=.*$/, { message: 'label must be written key=value' })
  label?: string;
}

export class NodeDto {
  @ApiProperty({ format: 'uuid', description: 'Node id' })
  id!: string;

  @ApiProperty({ description: 'Unique name' })
  name!: string;

  @ApiProperty({ description: 'Host name or address' })
  host!: string;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Labels' })
  labels!: Record<string, string>;

  @ApiProperty({ description: 'Agent version last reported' })
  version!: string;

  @ApiProperty({ description: 'Operating system last reported' })
  os!: string;

  @ApiProperty({ enum: NODE_STATUSES, description: 'online, offline, or draining (online but taking no new runs)' })
  status!: NodeStatus;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'Last time the node was seen alive' })
  lastSeenAt!: string | null;

  @ApiProperty({ description: 'Whether an agent has enrolled as this node' })
  enrolled!: boolean;

  @ApiProperty({ description: 'Runs of the node still running' })
  runningRuns!: number;

  @ApiProperty({ format: 'date-time', description: 'Creation time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', description: 'Last change' })
  updatedAt!: string;
}

export class NodePageDto extends PageDto(NodeDto, 'NodePage') {}
