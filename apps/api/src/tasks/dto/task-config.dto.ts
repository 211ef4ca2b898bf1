import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HTTP_METHODS, type HttpMethod } from '@ects/domain';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

import { IsStringMap } from '../../infra/http/string-map.validator';

/** Largest command, body or mail text stored with a task, in characters. */
export const MAX_TASK_TEXT = 60_000;

export class ShellTaskConfigDto {
  @ApiProperty({
    description: 'Command line run with /bin/sh -c',
    maxLength: MAX_TASK_TEXT,
    example: 'backup.sh --full',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TASK_TEXT)
  command!: string;

  @ApiPropertyOptional({
    description: "Absolute working directory; a step's own directory takes precedence",
    example: '/srv/app',
  })
  @IsOptional()
  @IsString()
  @Matches(/^\//, { message: 'cwd must be an absolute path starting with /' })
  @MaxLength(1024)
  cwd?: string;

  @ApiPropertyOptional({
    description: 'Environment variables added to the process',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOptional()
  @IsObject()
  @IsStringMap({ keyPattern: /^[A-Za-z_][A-Za-z0-9_]*$/, keyHint: 'letters, digits and _ not starting with a digit' })
  env?: Record<string, string>;
}

export class HttpTaskConfigDto {
  @ApiProperty({ enum: HTTP_METHODS, description: 'Request method' })
  @IsIn(HTTP_METHODS)
  method!: HttpMethod;

  @ApiProperty({ description: 'http or https URL', example: 'https://example.com/health' })
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'url must be an http:// or https:// URL' },
  )
  @MaxLength(2048)
  url!: string;

  @ApiPropertyOptional({ description: 'Request headers', type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsObject()
  @IsStringMap({ keyPattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, keyHint: 'a valid HTTP header name' })
  headers?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Request body', maxLength: MAX_TASK_TEXT })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TASK_TEXT)
  body?: string;

  @ApiPropertyOptional({
    description: 'Status codes that count as success; omit for any 2xx',
    type: [Number],
    example: [200, 204],
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsInt({ each: true })
  @Min(100, { each: true })
  @Max(599, { each: true })
  expectedStatus?: number[];

  @ApiPropertyOptional({
    description: 'Milliseconds before the request is aborted',
    minimum: 1,
    maximum: 3_600_000,
    default: 30_000,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3_600_000)
  timeoutMs?: number;

  @ApiPropertyOptional({ description: 'Follow redirects (up to 10)', default: true })
  @IsOptional()
  @IsBoolean()
  followRedirects?: boolean;

  @ApiPropertyOptional({ description: "Verify the server's TLS certificate", default: true })
  @IsOptional()
  @IsBoolean()
  verifyTls?: boolean;
}

export class MailTaskConfigDto {
  @ApiProperty({ description: 'Recipients', type: [String], example: ['ops@example.com'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsEmail({}, { each: true, message: 'each recipient in to must be an e-mail address' })
  to!: string[];

  @ApiPropertyOptional({ description: 'Copy recipients', type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsEmail({}, { each: true, message: 'each recipient in cc must be an e-mail address' })
  cc?: string[];

  @ApiProperty({ description: 'Subject; {{pipeline}}, {{status}}, {{run}} and {{node}} are replaced', maxLength: 998 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(998)
  subject!: string;

  @ApiProperty({
    description: 'Plain-text body; the same variables as the subject are replaced',
    maxLength: MAX_TASK_TEXT,
  })
  @IsString()
  @MaxLength(MAX_TASK_TEXT)
  body!: string;
}

export class HookTaskConfigDto {
  @ApiProperty({ description: 'http or https URL that receives the signed JSON POST' })
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'url must be an http:// or https:// URL' },
  )
  @MaxLength(2048)
  url!: string;

  @ApiPropertyOptional({
    description: 'Key of the HMAC-SHA256 signature sent in X-ECTS-Signature; never returned',
    maxLength: 256,
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  secret?: string;
}

export const TASK_CONFIG_CLASSES = {
  shell: ShellTaskConfigDto,
  http: HttpTaskConfigDto,
  mail: MailTaskConfigDto,
  hook: HookTaskConfigDto,
} as const;
