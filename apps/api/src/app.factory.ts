import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { Logger as PinoNestLogger } from 'nestjs-pino';

import { AppModule } from './app.module';
import type { AppConfig } from './infra/config/config';
import { runWithContext } from './infra/context/request-context';
import { ApiExceptionFilter } from './infra/http/exception.filter';
import { createValidationPipe } from './infra/http/validation';
import { ApiMetrics } from './infra/metrics/api-metrics';
import { httpMetricsMiddleware } from './infra/metrics/http-metrics.middleware';
import { buildOpenApiDocument, serveOpenApi } from './infra/openapi/openapi';
import { EctsIoAdapter } from './infra/websocket/io.adapter';
import { RedisIoAdapter } from './infra/websocket/redis-io.adapter';

/** Builds the API application with its HTTP pipeline; the caller decides when and where it listens. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    abortOnError: false,
    // Lines logged while the modules start wait in a buffer until pino, the API's logger, takes them.
    bufferLogs: true,
  });
  app.useLogger(app.get(PinoNestLogger));
  app.use(httpMetricsMiddleware(app.get(ApiMetrics)));

  if (config.redisUrl) {
    const adapter = new RedisIoAdapter(app, config.redisUrl, `ects${config.etcd.namespace}`);
    await adapter.connect();
    app.useWebSocketAdapter(adapter);
  } else {
    app.useWebSocketAdapter(new EctsIoAdapter(app));
  }
  app.useBodyParser('json', { limit: config.bodyLimitBytes });
  app.use(bodyErrorHandler);
  app.use((request: Request, _response: Response, next: NextFunction) => {
    runWithContext(
      { actor: null, ip: request.ip ?? null, userAgent: request.get('user-agent') ?? null, audited: false },
      next,
    );
  });
  app.setGlobalPrefix('api', { exclude: ['metrics'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ApiExceptionFilter());
  app.enableShutdownHooks();

  serveOpenApi(app, buildOpenApiDocument(app));

  return app;
}

/** Responds to body-parser failures (too large, malformed JSON) with the same JSON error body as every route. */
function bodyErrorHandler(error: unknown, _request: Request, response: Response, next: NextFunction): void {
  const status = (error as { status?: number } | null)?.status;
  if (status === 413) {
    response.status(413).json({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'Request body is larger than the limit of the API (ECTS_BODY_LIMIT_BYTES)',
    });

    return;
  }
  if (status === 400) {
    const reason = error instanceof Error ? error.message : 'malformed body';
    response
      .status(400)
      .json({ statusCode: 400, error: 'Bad Request', message: `Request body is not valid JSON: ${reason}` });

    return;
  }
  if (error) {
    new Logger('HttpBody').warn(`Body parsing failed: ${error instanceof Error ? error.message : 'unknown error'}`);
  }
  next(error);
}
