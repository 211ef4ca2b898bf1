/** Codes of the errors the agent engine throws; an embedding app maps them at its edge. */
export type RunnerErrorCode =
  | 'RUNNER_OPTIONS_INVALID'
  | 'RUNNER_STATE_FAILED'
  | 'RUNNER_SNAPSHOT_INVALID'
  | 'RUNNER_COMMAND_INVALID'
  | 'RUNNER_NOT_STARTED'
  | 'RUNNER_ALREADY_STARTED';

/** Base class of the engine's errors, each with a stable `code`. */
export class RunnerError extends Error {
  constructor(
    readonly code: RunnerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The options given to createAgent() are invalid; `problems` lists every one of them. */
export class InvalidAgentOptionsError extends RunnerError {
  constructor(readonly problems: string[]) {
    super('RUNNER_OPTIONS_INVALID', `Invalid agent options: ${problems.join('; ')}`);
  }
}

/** A file in the state directory could not be read or written. */
export class StateFileError extends RunnerError {
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('RUNNER_STATE_FAILED', message, options);
  }
}

/** A pipeline snapshot read from etcd or the state directory is not valid JSON of the expected shape. */
export class InvalidSnapshotError extends RunnerError {
  constructor(message: string) {
    super('RUNNER_SNAPSHOT_INVALID', message);
  }
}

/** A command read from etcd is not valid JSON of the expected shape. */
export class InvalidCommandError extends RunnerError {
  constructor(message: string) {
    super('RUNNER_COMMAND_INVALID', message);
  }
}

/** Formats an unknown thrown value for a log line or an error message. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Returns the stack of an Error, for the second argument of logger.error(). */
export function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}
