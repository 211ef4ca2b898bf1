import { writeFileSync } from 'node:fs';

import type { Command } from 'commander';

import { clientFor } from '../context';
import { readServerState } from '../definitions/apply';
import { exportDefinitions } from '../definitions/export';
import { CliError, messageOf } from '../errors';
import { err, out, serialize } from '../output';

interface ExportOptions {
  file?: string;
  format?: 'yaml' | 'json';
}

function parseFormat(value: string): 'yaml' | 'json' {
  if (value !== 'yaml' && value !== 'json') {
    throw new CliError('USAGE', `Unknown format "${value}"; use yaml or json`);
  }

  return value;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('Write tasks and pipelines in the format apply reads, so they can be kept in git')
    .argument('[pipelines...]', 'only these pipelines and the tasks they use; all when none are named')
    .option('-f, --file <path>', 'write to this file instead of standard output')
    .option('--format <format>', 'yaml or json; defaults to json for a .json file, else yaml', parseFormat)
    .addHelpText(
      'after',
      '\nSecret values are written as ********; applying the file keeps the stored secrets.\n\n' +
        'Examples:\n  ectsctl export > ects.yaml\n  ectsctl export nightly-backup -f backup.json',
    )
    .action(async (pipelines: string[], options: ExportOptions, command: Command) => {
      const state = await readServerState(clientFor(command));
      const definitions = exportDefinitions(state, pipelines);
      const format = options.format ?? (options.file?.endsWith('.json') ? 'json' : 'yaml');
      const text = serialize(definitions, format);

      if (!options.file) {
        out(text);

        return;
      }
      try {
        writeFileSync(options.file, text);
      } catch (error: unknown) {
        throw new CliError('USAGE', `Cannot write ${options.file}: ${messageOf(error)}`);
      }
      err(
        `Wrote ${definitions.tasks.length} task(s) and ${definitions.pipelines.length} pipeline(s) to ${options.file}`,
      );
    });
}
