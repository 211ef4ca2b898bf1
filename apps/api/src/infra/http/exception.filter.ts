import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import { CronError } from '@ects/domain';
import type { Request, Response } from 'express';
import { QueryFailedError } from 'typeorm';

import type { ErrorResponseDto } from './errors';

const UNIQUE_VIOLATION_CODES = new Set(['ER_DUP_ENTRY', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
const FOREIGN_KEY_CODES = new Set(['ER_ROW_IS_REFERENCED_2', 'ER_NO_REFERENCED_ROW_2', 'SQLITE_CONSTRAINT_FOREIGNKEY']);

/**
 * Turns every error into the JSON error body. Errors from code without HTTP types are mapped here:
 * cron errors to 400, unique and foreign-key violations to 409, anything else to a logged 500.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(ApiExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const body = this.toBody(exception, request);

    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown, request: Request): ErrorResponseDto {
    if (exception instanceof HttpException) {
      return httpExceptionBody(exception);
    }
    if (exception instanceof CronError) {
      const field = exception.field === 'timezone' ? 'timezone' : 'cron';

      return {
        statusCode: 400,
        error: 'Bad Request',
        message: exception.message,
        errors: [{ field, message: exception.message }],
      };
    }
    if (exception instanceof QueryFailedError) {
      const code = (exception.driverError as { code?: string } | undefined)?.code ?? '';
      if (UNIQUE_VIOLATION_CODES.has(code)) {
        return { statusCode: 409, error: 'Conflict', message: 'A record with the same unique value already exists' };
      }
      if (FOREIGN_KEY_CODES.has(code)) {
        return {
          statusCode: 409,
          error: 'Conflict',
          message: 'The record is referenced by another record, or references one that does not exist',
        };
      }
    }

    this.logger.error(
      `Unhandled error on ${request.method} ${request.originalUrl}: ${describe(exception)}`,
      exception instanceof Error ? exception.stack : undefined,
    );

    return {
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error; the API log has the details',
    };
  }
}

function httpExceptionBody(exception: HttpException): ErrorResponseDto {
  const statusCode = exception.getStatus();
  const response = exception.getResponse();
  const error = HttpStatus[statusCode]?.toString().replace(/_/g, ' ').toLowerCase() ?? 'error';
  const reason = error.replace(/(^|\s)\S/g, (letter) => letter.toUpperCase());

  if (typeof response === 'string') {
    return { statusCode, error: reason, message: response };
  }

  const body = response as { message?: unknown; errors?: ErrorResponseDto['errors'] };
  const message = Array.isArray(body.message)
    ? body.message.join('; ')
    : typeof body.message === 'string'
      ? body.message
      : exception.message;

  return { statusCode, error: reason, message, ...(body.errors ? { errors: body.errors } : {}) };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
