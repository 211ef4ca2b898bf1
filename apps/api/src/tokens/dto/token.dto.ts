import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TOKEN_SCOPES, type TokenScope } from '@ects/domain';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsDate,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinDate,
} from 'class-validator';

import { PageDto, PageQueryDto } from '../../infra/http/pagination';

export class CreateTokenDto {
  @ApiProperty({ description: 'Name that says what uses the token, e.g. "ci-deploy"', maxLength: 120 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(120)
  name!: string;

  @ApiProperty({
    enum: TOKEN_SCOPES,
    isArray: true,
    description: "read acts as a viewer, write as an operator, admin as an admin; never beyond the owner's role",
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(TOKEN_SCOPES, { each: true })
  scopes!: TokenScope[];

  @ApiPropertyOptional({
    description: 'Expiry instant (ISO 8601); omit for a token that does not expire',
    type: String,
    format: 'date-time',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  @MinDate(() => new Date(), { message: 'expiresAt must be in the future' })
  expiresAt?: Date;

  @ApiPropertyOptional({ description: 'User the token acts for; defaults to the admin creating it', format: 'uuid' })
  @IsOptional()
  @IsUUID()
  userId?: string;
}

export class TokenQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only tokens of this user', format: 'uuid' })
  @IsOptional()
  @IsUUID()
  userId?: string;
}

export class TokenDto {
  @ApiProperty({ description: 'Token id', format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'Token name' })
  name!: string;

  @ApiProperty({ description: 'User the token acts for', format: 'uuid' })
  userId!: string;

  @ApiProperty({ description: 'First characters of the secret, to recognise it' })
  prefix!: string;

  @ApiProperty({ enum: TOKEN_SCOPES, isArray: true, description: 'Scopes granted' })
  scopes!: TokenScope[];

  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'Expiry, or null' })
  expiresAt!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'Last successful use, to the minute' })
  lastUsedAt!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'When it was revoked, or null' })
  revokedAt!: string | null;

  @ApiProperty({ format: 'date-time', description: 'Creation time' })
  createdAt!: string;
}

export class CreatedTokenDto extends TokenDto {
  @ApiProperty({ description: 'The secret; shown only in this response, store it now' })
  secret!: string;
}

export class TokenPageDto extends PageDto(TokenDto, 'TokenPage') {}
