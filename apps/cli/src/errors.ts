/**
 * Exit codes of ectsctl, so CI scripts can tell a failed job from a broken setup:
 * 0 success, 1 the request or the run failed, 2 invalid usage or input, 3 the server cannot be
 * reached or the credentials are missing or rejected.
 */
export const EXIT_CODES = {
  ok: 0,
  failed: 1,
  usage: 2,
  connection: 3,
} as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export type CliErrorCode =
  | 'API_REJECTED'
  | 'CONFIG_INVALID'
  | 'CREDENTIALS_MISSING'
  | 'CREDENTIALS_REJECTED'
  | 'DEFINITIONS_INVALID'
  | 'IMPORT_INCOMPLETE'
  | 'NOT_FOUND'
  | 'RUN_FAILED'
  | 'SERVER_UNREACHABLE'
  | 'TIMED_OUT'
  | 'USAGE';

const EXIT_CODE_BY_ERROR: Readonly<Record<CliErrorCode, ExitCode>> = {
  API_REJECTED: EXIT_CODES.failed,
  CONFIG_INVALID: EXIT_CODES.usage,
  CREDENTIALS_MISSING: EXIT_CODES.connection,
  CREDENTIALS_REJECTED: EXIT_CODES.connection,
  DEFINITIONS_INVALID: EXIT_CODES.usage,
  IMPORT_INCOMPLETE: EXIT_CODES.failed,
  NOT_FOUND: EXIT_CODES.failed,
  RUN_FAILED: EXIT_CODES.failed,
  SERVER_UNREACHABLE: EXIT_CODES.connection,
  TIMED_OUT: EXIT_CODES.failed,
  USAGE: EXIT_CODES.usage,
};

/** A failure ectsctl reports as one message that says what failed and what to do, with its exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
    this.exitCode = EXIT_CODE_BY_ERROR[code];
  }
}

/** Returns the message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
