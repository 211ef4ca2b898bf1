import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

import { StateFileError, describeError } from '../errors';

/** Mode of every state file: they may hold secrets, such as the step environment in pipeline snapshots. */
export const STATE_FILE_MODE = 0o600;
export const STATE_DIR_MODE = 0o700;

/** Creates a directory, with its parents, readable only by the agent's user. */
export function ensureDirectory(path: string): void {
  try {
    mkdirSync(path, { recursive: true, mode: STATE_DIR_MODE });
  } catch (error: unknown) {
    throw new StateFileError(path, `Failed to create state directory ${path}: ${describeError(error)}`, {
      cause: error,
    });
  }
}

/**
 * Writes a JSON file so that a crash leaves either the old or the new content: the text goes to a
 * temporary file that is renamed over the target. With `durable` (the default) the temporary file
 * is flushed to disk first, so the write also survives a power loss.
 */
export function writeJsonFileAtomic(path: string, value: unknown, durable = true): void {
  const temporary = `${path}.tmp`;

  try {
    mkdirSync(dirname(path), { recursive: true, mode: STATE_DIR_MODE });
    const fd = openSync(temporary, 'w', STATE_FILE_MODE);
    try {
      writeSync(fd, JSON.stringify(value));
      if (durable) {
        fsyncSync(fd);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error: unknown) {
    throw new StateFileError(path, `Failed to write state file ${path}: ${describeError(error)}`, { cause: error });
  }
}

/**
 * Reads and parses a JSON file; resolves to undefined when the file does not exist. A file that
 * exists but cannot be read or parsed throws StateFileError.
 */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    if (isNotFound(error)) {
      return undefined;
    }

    throw new StateFileError(path, `Failed to read state file ${path}: ${describeError(error)}`, { cause: error });
  }

  try {
    return JSON.parse(text) as unknown;
  } catch (error: unknown) {
    throw new StateFileError(path, `State file ${path} is not valid JSON: ${describeError(error)}`, { cause: error });
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
