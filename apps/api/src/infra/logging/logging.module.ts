import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { type DestinationStream, type LevelWithSilent, type LoggerOptions } from 'pino';
import type { Options as HttpLoggerOptions } from 'pino-http';
import pretty from 'pino-pretty';

import type { AppConfig } from '../config/config';

/** pino level of each Nest log level that ECTS_LOG_LEVEL accepts. */
const PINO_LEVELS: Record<AppConfig['logLevel'], LevelWithSilent> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Paths that may hold a secret. pino-http logs request and response headers but never bodies, so
 * credentials arrive in the headers. The field names guard against a secret passed as a log field.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'credential',
  '*.credential',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
];

/** Paths never logged per request: probes and scrapes come every few seconds, failing or not. */
const QUIET_PATHS = ['/metrics', '/api/health', '/api/health/ready'];

/** Builds pino and pino-http options: level, ISO times, level names, redaction and request ids. */
export function httpLoggerOptions(config: Pick<AppConfig, 'logLevel'>): HttpLoggerOptions {
  const base: LoggerOptions = {
    level: PINO_LEVELS[config.logLevel],
    base: { service: 'ects-api', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };

  return {
    ...base,
    genReqId: (request: IncomingMessage, response: ServerResponse) => {
      const sent = request.headers['x-request-id'];
      const id = typeof sent === 'string' && /^[\w.-]{1,100}$/.test(sent) ? sent : randomUUID();
      response.setHeader('x-request-id', id);

      return id;
    },
    autoLogging: {
      ignore: (request: IncomingMessage) => QUIET_PATHS.includes((request.url ?? '').split('?')[0]),
    },
    // Successful requests are logged at debug: the console and scripts poll, and a line per poll
    // would bury the lifecycle lines. Rejected and failed requests show at the default level.
    customLogLevel: (_request, response, error) => {
      if (error !== undefined || response.statusCode >= 500) {
        return 'error';
      }

      return response.statusCode >= 400 ? 'warn' : 'debug';
    },
  };
}

/** Returns where log lines go: JSON to stdout, or readable single lines through pino-pretty. */
export function logDestination(config: Pick<AppConfig, 'logFormat'>): DestinationStream {
  if (config.logFormat === 'json') {
    return pino.destination({ dest: 1, sync: true });
  }

  return pretty({
    sync: true,
    colorize: process.stdout.isTTY,
    singleLine: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,service,context',
    messageFormat: '[{context}] {msg}',
  });
}

/**
 * Makes pino the API's logger through nestjs-pino: every `new Logger(...)` line and one line per
 * HTTP request go through it, as JSON in production and as readable text in development.
 */
export class LoggingModule {
  static forRoot(config: Pick<AppConfig, 'logLevel' | 'logFormat'>): DynamicModule {
    return LoggerModule.forRoot({ pinoHttp: [httpLoggerOptions(config), logDestination(config)] });
  }
}
