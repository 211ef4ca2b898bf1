import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ description: 'Path of the failing field, e.g. `steps.0.timeoutSeconds`' })
  field!: string;

  @ApiProperty({ description: 'What is wrong with it and how to fix it' })
  message!: string;
}

/** Body of every error response. */
export class ErrorResponseDto {
  @ApiProperty({ description: 'HTTP status code', example: 400 })
  statusCode!: number;

  @ApiProperty({ description: 'Short reason, e.g. "Bad Request"' })
  error!: string;

  @ApiProperty({ description: 'What failed, in a sentence' })
  message!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'The failing fields, for validation errors' })
  errors?: FieldErrorDto[];
}
