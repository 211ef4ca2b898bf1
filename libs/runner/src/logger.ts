/**
 * Logger the engine writes to. Nest's `Logger` fits it, so the agent app and the API pass
 * `new Logger(...)` without this library importing Nest.
 */
export interface RunnerLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
  debug?(message: string): void;
}

/** Logs a debug line when the logger supports debug output. */
export function logDebug(logger: RunnerLogger, message: string): void {
  logger.debug?.(message);
}
