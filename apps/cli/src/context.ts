import { readFileSync } from 'node:fs';

import type { Command } from 'commander';

import { ApiClient } from './api/client';
import { resolveConnection } from './config';
import { CliError } from './errors';

export interface GlobalOptions {
  server?: string;
}

/** Builds the API client of a command from --server, the environment and the login config. */
export function clientFor(command: Command): ApiClient {
  const options = command.optsWithGlobals<GlobalOptions>();

  return new ApiClient(resolveConnection(options));
}

/** Reads all of standard input, for `-f -` and `--token-stdin`. */
export function readStdin(): string {
  return readFileSync(0, 'utf8');
}

/** Parses a whole number option, such as --timeout or --limit. */
export function parseCount(name: string): (value: string) => number {
  return (value: string): number => {
    const count = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(count)) {
      throw new CliError('USAGE', `${name} must be a whole number of 0 or more, got "${value}"`);
    }

    return count;
  };
}
