#!/usr/bin/env node
import { CommanderError } from 'commander';

import { CliError, EXIT_CODES, messageOf } from './errors';
import { err } from './output';
import { buildProgram } from './program';

/** Runs ectsctl with the given arguments and returns its exit code. */
async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);

    return EXIT_CODES.ok;
  } catch (error: unknown) {
    if (error instanceof CommanderError) {
      // Commander has already printed the help, the version or the usage error.
      return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    if (error instanceof CliError) {
      err(`ectsctl: ${error.message}`);

      return error.exitCode;
    }

    err(`ectsctl: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : messageOf(error)}`);

    return EXIT_CODES.failed;
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});
