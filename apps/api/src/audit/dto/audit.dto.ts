import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ACTOR_KINDS, type ActorKind } from '@ects/domain';
import { Type } from 'class-transformer';
import { IsDate, IsOptional, IsString, MaxLength } from 'class-validator';

import { PageDto, PageQueryDto } from '../../infra/http/pagination';

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Actor name: a user e-mail, a token name or "system"' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  actor?: string;

  @ApiPropertyOptional({ description: 'Action, e.g. pipeline.update' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  action?: string;

  @ApiPropertyOptional({ description: 'Entity type, e.g. pipeline' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  entityType?: string;

  @ApiPropertyOptional({ description: 'Entity id' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  entityId?: string;

  @ApiPropertyOptional({ description: 'Events at or after this instant (ISO 8601)', type: String, format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({
    description: 'Events at or before this instant (ISO 8601)',
    type: String,
    format: 'date-time',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;
}

export class AuditEventDto {
  @ApiProperty({ description: 'Event id (UUIDv7, ordered by time)' })
  id!: string;

  @ApiProperty({ enum: ACTOR_KINDS, description: 'Kind of actor' })
  actorKind!: ActorKind;

  @ApiProperty({ type: String, nullable: true, description: 'User, token or node id; null for the system' })
  actorId!: string | null;

  @ApiProperty({ description: 'User e-mail, token name, node name or "system"' })
  actorName!: string;

  @ApiProperty({ description: 'What was done, e.g. pipeline.update' })
  action!: string;

  @ApiProperty({ description: 'Kind of entity changed' })
  entityType!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Id of the entity changed' })
  entityId!: string | null;

  @ApiProperty({ type: Object, nullable: true, description: 'State before the change, secrets masked' })
  before!: unknown;

  @ApiProperty({ type: Object, nullable: true, description: 'State after the change, secrets masked' })
  after!: unknown;

  @ApiProperty({ type: String, nullable: true, description: 'Client IP address' })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Client user agent' })
  userAgent!: string | null;

  @ApiProperty({ description: 'When it happened', format: 'date-time' })
  createdAt!: string;
}

export class AuditEventPageDto extends PageDto(AuditEventDto, 'AuditEventPage') {}
