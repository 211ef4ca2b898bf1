import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

import type { FieldErrorDto } from './errors';

/** Flattens class-validator's nested errors into one entry per failing field path. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldErrorDto[] {
  const flat: FieldErrorDto[] = [];
  for (const error of errors) {
    const field = parent === '' ? error.property : `${parent}.${error.property}`;
    for (const message of Object.values(error.constraints ?? {})) {
      flat.push({ field, message: message.replace(error.property, field) });
    }
    if (error.children && error.children.length > 0) {
      flat.push(...flattenValidationErrors(error.children, field));
    }
  }

  return flat;
}

/** Rejects unknown fields and wrong types with 400 listing every failing field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flattenValidationErrors(errors);

      return new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: `Invalid request: ${fieldErrors.map((error) => error.message).join('; ')}`,
        errors: fieldErrors,
      });
    },
  });
}
