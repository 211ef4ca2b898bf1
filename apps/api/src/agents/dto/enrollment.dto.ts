import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDate,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinDate,
} from 'class-validator';

import { PageDto, PageQueryDto } from '../../infra/http/pagination';
import { IsStringMap } from '../../infra/http/string-map.validator';
import { LABEL_KEY_PATTERN } from '../../nodes/dto/node.dto';

const LABELS_OPTIONS = {
  keyPattern: LABEL_KEY_PATTERN,
  keyHint: 'letters, digits, . _ / - (at most 63), starting and ending with a letter or digit',
  maxEntries: 50,
  maxValueLength: 63,
};

export class CreateEnrollmentTokenDto {
  @ApiProperty({ description: 'What the token is for, e.g. "web servers"', maxLength: 120 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(120)
  name!: string;

  @ApiPropertyOptional({
    description: 'Labels every node joining with the token gets',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOptional()
  @IsObject()
  @IsStringMap(LABELS_OPTIONS)
  labels?: Record<string, string>;

  @ApiPropertyOptional({
    description: 'How many agents may join with it; omit for no limit',
    minimum: 1,
    maximum: 100_000,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxUses?: number;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Expiry; omit for a token that does not expire',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  @MinDate(() => new Date(), { message: 'expiresAt must be in the future' })
  expiresAt?: Date;
}

export class EnrollmentTokenDto {
  @ApiProperty({ format: 'uuid', description: 'Token id' })
  id!: string;

  @ApiProperty({ description: 'Name' })
  name!: string;

  @ApiProperty({ description: 'First characters of the secret' })
  prefix!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Labels given to joining nodes',
  })
  labels!: Record<string, string>;

  @ApiProperty({ type: Number, nullable: true, description: 'Most agents that may join with it' })
  maxUses!: number | null;

  @ApiProperty({ description: 'Agents that joined with it' })
  uses!: number;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'Expiry' })
  expiresAt!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'When it was revoked' })
  revokedAt!: string | null;

  @ApiProperty({ format: 'date-time', description: 'Creation time' })
  createdAt!: string;
}

export class CreatedEnrollmentTokenDto extends EnrollmentTokenDto {
  @ApiProperty({ description: 'The secret; shown only in this response' })
  token!: string;

  @ApiProperty({ description: 'Command that starts an agent on a host and joins it with this token' })
  command!: string;
}

export class EnrollmentTokenPageDto extends PageDto(EnrollmentTokenDto, 'EnrollmentTokenPage') {}

export class EnrollmentTokenQueryDto extends PageQueryDto {}

export class EnrollDto {
  @ApiProperty({ description: 'Enrollment token created by an admin' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  token!: string;

  @ApiProperty({
    description: 'Node name, usually the host name; an offline pre-registered node of that name is claimed',
  })
  @IsString()
  @Matches(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,118}[A-Za-z0-9])?$/, {
    message: 'name must be letters, digits, . _ - (at most 120), starting and ending with a letter or digit',
  })
  name!: string;

  @ApiProperty({ description: 'Host name or address' })
  @IsString()
  @MaxLength(255)
  host!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: "Labels of the node, added to the token's",
  })
  @IsObject()
  @IsStringMap(LABELS_OPTIONS)
  labels!: Record<string, string>;

  @ApiProperty({ description: 'Operating system' })
  @IsString()
  @MaxLength(120)
  os!: string;

  @ApiProperty({ description: 'Agent version' })
  @IsString()
  @MaxLength(40)
  version!: string;
}

export class EnrolledDto {
  @ApiProperty({ format: 'uuid', description: 'Id of the node the agent now is' })
  nodeId!: string;

  @ApiProperty({ description: 'Node name' })
  name!: string;

  @ApiProperty({ description: 'Credential the agent presents from now on; shown only in this response' })
  credential!: string;
}
