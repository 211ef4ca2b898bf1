import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { type DestinationStream, type LevelWithSilent, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

import type { AgentSettings, LogLevel } from '../config/settings';

/** pino level of each Nest log level that the settings accept. */
const PINO_LEVELS: Record<LogLevel, LevelWithSilent> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Fields that may hold a secret, wherever a log line carries them. The agent logs no request
 * bodies, so these guard against a secret passed as a log field by mistake.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'credential',
  '*.credential',
  'secret',
  '*.secret',
  'enrollToken',
  '*.enrollToken',
  'authorization',
  '*.authorization',
];

/** Builds pino's options for the agent: its level, ISO times, level names, and redaction. */
export function agentPinoOptions(settings: Pick<AgentSettings, 'logLevel'>): LoggerOptions {
  return {
    level: PINO_LEVELS[settings.logLevel],
    base: { service: 'ects-agent', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

/** Returns where log lines go: JSON to stdout, or readable single lines through pino-pretty. */
export function agentLogDestination(settings: Pick<AgentSettings, 'logFormat'>): DestinationStream {
  if (settings.logFormat === 'json') {
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

/** Makes pino the agent's Nest logger, so every `new Logger(...)` line goes through it. */
export class AgentLoggerModule {
  static forRoot(settings: Pick<AgentSettings, 'logLevel' | 'logFormat'>): DynamicModule {
    return LoggerModule.forRoot({ pinoHttp: [agentPinoOptions(settings), agentLogDestination(settings)] });
  }
}
