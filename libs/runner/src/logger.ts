/** Fields that identify what a log line is about, such as the run, its pipeline and the node. */
export type LogFields = Record<string, string | number>;

/**
 * Logger the engine writes to. Nest's `Logger` fits it, so the agent app and the API pass
 * `new Logger(...)` without this library importing Nest. A logger with `child` writes the given
 * fields on each of its lines; createFieldLogger() builds one over a Nest logger.
 */
export interface RunnerLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
  debug?(message: string): void;
  child?(fields: LogFields): RunnerLogger;
}

/** Logs a debug line when the logger supports debug output. */
export function logDebug(logger: RunnerLogger, message: string): void {
  logger.debug?.(message);
}

/** Returns a logger whose lines carry `fields`, or `logger` itself when it cannot add fields. */
export function withLogFields(logger: RunnerLogger, fields: LogFields): RunnerLogger {
  return logger.child?.(fields) ?? logger;
}

/**
 * A logger that takes an object with a `msg` key, as Nest's Logger does when nestjs-pino is the
 * app logger: the object's other keys become fields of the JSON line.
 */
export interface ObjectLogger {
  log(message: unknown): void;
  warn(message: unknown): void;
  error(message: unknown): void;
  debug?(message: unknown): void;
}

/**
 * Wraps a Nest logger so that child() works: lines of a child carry its fields, such as runId,
 * pipelineId and nodeId. Under nestjs-pino they become fields of the JSON line, and Nest's default
 * console logger prints the whole object.
 */
export function createFieldLogger(target: ObjectLogger, fields: LogFields = {}): RunnerLogger {
  const hasFields = Object.keys(fields).length > 0;
  const line = (msg: string, extra: Record<string, unknown> = {}): unknown =>
    hasFields || Object.keys(extra).length > 0 ? { msg, ...fields, ...extra } : msg;

  return {
    log: (message) => target.log(line(message)),
    warn: (message) => target.warn(line(message)),
    error: (message, stack) => target.error(line(message, stack === undefined ? {} : { stack })),
    debug: target.debug === undefined ? undefined : (message) => target.debug?.(line(message)),
    child: (more) => createFieldLogger(target, { ...fields, ...more }),
  };
}
