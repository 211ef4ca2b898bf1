import type { Command } from 'commander';

import { clientFor, readStdin } from '../context';
import { applyDefinitions, summaryLine } from '../definitions/apply';
import { loadDefinitions } from '../definitions/load';
import { CliError } from '../errors';
import { err, out } from '../output';

interface ApplyCommandOptions {
  file: string[];
  dryRun?: boolean;
  sendSecrets?: boolean;
}

const FORMAT_HELP = `
Files hold YAML (several documents allowed) or JSON with two lists. Pipelines name their tasks
and nodes; fields left out take the server's defaults. ectsctl export writes the same format.

  tasks:
    - name: backup-db
      kind: shell                   # shell, http, mail or hook
      config:
        command: /usr/local/bin/backup-db --full
  pipelines:
    - name: nightly-backup
      cron: "30 2 * * *"            # quote it: YAML reads a leading * as an alias
      timezone: Europe/Berlin       # default UTC
      nodes: [db-1]
      onFailure: page-oncall        # a task name
      steps:
        - task: backup-db
          timeoutSeconds: 3600
          env: { TARGET: s3://backups }

Objects are matched by name: missing ones are created, differing ones updated, equal ones left
alone, so applying the same files twice changes nothing. Nothing is ever deleted. Secret values
read back as ******** from the server; a file may keep ******** to leave a stored secret as it is.

Examples:
  ectsctl apply -f pipelines/ --dry-run
  ectsctl apply -f backup.yaml -f reports.yaml`;

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('Create or update tasks and pipelines from YAML or JSON files, printing what changed')
    .option(
      '-f, --file <path>',
      'a file, or a directory read recursively for .yaml, .yml and .json files; - reads standard input; repeatable',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--dry-run', 'show what would change without changing anything')
    .option('--send-secrets', 'send secret values from the files even where nothing else changed')
    .addHelpText('after', FORMAT_HELP)
    .action(async (options: ApplyCommandOptions, command: Command) => {
      if (options.file.length === 0) {
        throw new CliError('USAGE', 'Say what to apply: ectsctl apply -f FILE_OR_DIRECTORY');
      }

      const loaded = loadDefinitions(options.file, readStdin);
      if (loaded.tasks.length === 0 && loaded.pipelines.length === 0) {
        throw new CliError('DEFINITIONS_INVALID', `${options.file.join(', ')} define no tasks and no pipelines`);
      }

      const summary = await applyDefinitions(clientFor(command), loaded, {
        dryRun: options.dryRun ?? false,
        sendSecrets: options.sendSecrets ?? false,
        report: out,
      });
      err(summaryLine(summary, options.dryRun ?? false));
    });
}
