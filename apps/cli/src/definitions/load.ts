import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { CliError, messageOf } from '../errors';
import type { Definitions, LoadedDefinitions, Sourced } from './model';
import { parseDefinitions } from './parse';

const DEFINITION_FILE = /\.(ya?ml|json)$/i;

/** Lists the definition files under a path: the file itself, or every YAML and JSON file of a directory tree. */
function definitionFiles(path: string): string[] {
  let stats;
  try {
    stats = statSync(path);
  } catch (error: unknown) {
    throw new CliError('USAGE', `Cannot read ${path}: ${messageOf(error)}`);
  }
  if (!stats.isDirectory()) {
    return [path];
  }

  const files = readdirSync(path, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) {
        return definitionFiles(child);
      }

      return DEFINITION_FILE.test(entry.name) ? [child] : [];
    });

  return files;
}

/** Adds the definitions of one file, rejecting a name that another file already defines. */
export function mergeDefinitions(into: LoadedDefinitions, definitions: Definitions, source: string): void {
  const add = <T extends { name: string }>(target: Sourced<T>[], items: T[], kind: string): void => {
    for (const definition of items) {
      const earlier = target.find((candidate) => candidate.definition.name === definition.name);
      if (earlier) {
        throw new CliError(
          'DEFINITIONS_INVALID',
          `${kind} "${definition.name}" is defined twice, in ${earlier.source} and in ${source}; keep one`,
        );
      }
      target.push({ definition, source });
    }
  };

  add(into.tasks, definitions.tasks, 'Task');
  add(into.pipelines, definitions.pipelines, 'Pipeline');
}

/**
 * Loads the definitions of files and directories (`-` reads standard input). Directories are read
 * recursively in name order, taking files ending in .yaml, .yml or .json.
 */
export function loadDefinitions(paths: string[], readStdin: () => string): LoadedDefinitions {
  const loaded: LoadedDefinitions = { tasks: [], pipelines: [] };
  for (const path of paths) {
    const files = path === '-' ? ['-'] : definitionFiles(path);
    if (files.length === 0) {
      throw new CliError('USAGE', `${path} contains no .yaml, .yml or .json file`);
    }
    for (const file of files) {
      const text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
      mergeDefinitions(loaded, parseDefinitions(text, file === '-' ? '(stdin)' : file), file);
    }
  }

  return loaded;
}
