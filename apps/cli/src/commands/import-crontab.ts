import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';

import { describeCron, formatInZone, isValidTimezone, MASK, parseCron } from '@ects/domain';
import type { Command } from 'commander';

import { findNode } from '../api/lookup';
import { clientFor } from '../context';
import { convertCrontab, type ConvertedCrontab } from '../crontab/convert';
import { parseCrontab } from '../crontab/parse';
import { applyDefinitions, summaryLine } from '../definitions/apply';
import { normalizeEnv, type LoadedDefinitions } from '../definitions/model';
import { CliError, messageOf } from '../errors';
import { err, out, serialize } from '../output';

interface ImportOptions {
  node: string;
  system?: boolean;
  prefix?: string;
  timezone?: string;
  runAs?: string;
  dryRun?: boolean;
  output?: 'yaml' | 'json';
}

const HELP = `
Each job line becomes one shell task and one pipeline bound to --node, both named
PREFIX-WORDS (the first words of the command), with the line's schedule. Carried over:
  SHELL          the command runs in that shell (exec SHELL -c ...)
  MAILTO         an on-failure mail task to those addresses (cron mailed any output)
  CRON_TZ, TZ    the pipeline's time zone; TZ stays in the environment too
  other NAME=v   step environment of the jobs below the line; names such as *_PASSWORD
                 or *_TOKEN become secret values
  user column    the step's run-as user (system crontabs)
  %              the first unescaped % starts standard input, later ones are newlines, \\% is %
Imported pipelines allow overlapping runs, as cron does. @reboot lines and lines cron would
reject are reported with their line numbers, and nothing is created for them; the command then
exits with 1. Running the import again updates what it created before.

Examples:
  ectsctl import-crontab /etc/crontab --node web-1 --dry-run
  crontab -l > mine && ectsctl import-crontab mine --node web-1 --run-as deploy
  ectsctl import-crontab /etc/cron.d/certbot --node web-1 -o yaml > certbot.yaml`;

function parseFormat(value: string): 'yaml' | 'json' {
  if (value !== 'yaml' && value !== 'json') {
    throw new CliError('USAGE', `Unknown output format "${value}"; use yaml or json`);
  }

  return value;
}

/** System crontabs are the ones cron reads with a user column. */
function isSystemCrontab(path: string): boolean {
  const absolute = resolve(path);

  return absolute === '/etc/crontab' || absolute.startsWith('/etc/cron.d/');
}

function describePlan(converted: ConvertedCrontab, now: Date): string[] {
  return converted.jobs.flatMap((job) => {
    const { pipeline, task } = job;
    const timezone = pipeline.timezone ?? 'UTC';
    const next = parseCron(pipeline.cron, timezone).next(now);
    const step = pipeline.steps[0];
    const env = normalizeEnv(step.env);
    const mail = converted.definitions.tasks.find((candidate) => candidate.name === pipeline.onFailure);

    return [
      `line ${job.line}: pipeline ${pipeline.name}`,
      `    schedule    ${pipeline.cron} (${describeCron(pipeline.cron)}) in ${timezone}` +
        `; next ${next ? formatInZone(next, timezone) : 'never within 5 years'}`,
      ...String(task.config['command'])
        .split('\n')
        .map((line, index) => `    ${index === 0 ? 'command     ' : '            '}${line}`),
      ...(step.runAsUser ? [`    run as      ${step.runAsUser}`] : []),
      ...env.map(
        (variable, index) =>
          `    ${index === 0 ? 'environment ' : '            '}${variable.name}=${variable.secret ? MASK : variable.value}`,
      ),
      ...(mail ? [`    on failure  mail to ${(mail.config['to'] as string[]).join(', ')}`] : []),
    ];
  });
}

export function registerImportCrontab(program: Command): void {
  program
    .command('import-crontab')
    .description('Create a shell task and a pipeline for every job of a user or system crontab')
    .argument('<file>', 'crontab file, e.g. /etc/crontab, a file of /etc/cron.d, or the output of crontab -l')
    .requiredOption('--node <name>', 'node the pipelines run on')
    .option('--system', 'the file has a user column (default for /etc/crontab and /etc/cron.d/*)')
    .option('--no-system', 'the file is a user crontab without a user column')
    .option('--prefix <prefix>', 'start of every name (default: NODE-FILENAME)')
    .option('--timezone <zone>', "IANA time zone of lines without CRON_TZ or TZ (default: this machine's zone)")
    .option('--run-as <user>', "user the jobs of a user crontab run as (default: the agent's user)")
    .option('--dry-run', 'show what would be created or updated without changing anything')
    .option(
      '-o, --output <format>',
      'print the definitions as yaml or json for ectsctl apply, instead of applying them',
      parseFormat,
    )
    .addHelpText('after', HELP)
    .action(async (file: string, options: ImportOptions, command: Command) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error: unknown) {
        throw new CliError('USAGE', `Cannot read the crontab ${file}: ${messageOf(error)}`);
      }

      const timezone = options.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (!isValidTimezone(timezone)) {
        throw new CliError('USAGE', `--timezone "${timezone}" is not an IANA time zone such as Europe/Berlin`);
      }

      // Writing definitions out needs no server; applying them needs the node to exist.
      const client = options.output ? null : clientFor(command);
      const node = client ? (await findNode(client, options.node)).name : options.node;
      const system = options.system ?? isSystemCrontab(file);
      const parsed = parseCrontab(text, { system });
      const converted = convertCrontab(parsed, {
        node,
        prefix: options.prefix ?? `${node}-${basename(file)}`,
        timezone,
        runAsUser: options.runAs ?? null,
        source: resolve(file),
      });

      if (options.output) {
        out(serialize(converted.definitions, options.output));
      } else if (client) {
        if (converted.jobs.length > 0) {
          out(describePlan(converted, new Date()).join('\n'));
          out('');
        }
        const loaded: LoadedDefinitions = {
          tasks: converted.definitions.tasks.map((definition) => ({ definition, source: file })),
          pipelines: converted.definitions.pipelines.map((definition) => ({ definition, source: file })),
        };
        const summary = await applyDefinitions(client, loaded, {
          dryRun: options.dryRun ?? false,
          sendSecrets: false,
          report: out,
        });
        err(summaryLine(summary, options.dryRun ?? false));
      }

      const userColumn = system ? undefined : parsed.jobs.find((job) => /^root\s/.test(job.command));
      if (userColumn) {
        converted.notes.push(
          `the command of line ${userColumn.line} starts with "root": if this is a system crontab with a user ` +
            'column, import it again with --system',
        );
      }
      for (const note of converted.notes) {
        err(`Note: ${note}`);
      }
      for (const problem of converted.problems) {
        err(`line ${problem.line} not imported: ${problem.reason}\n    ${problem.text.trim()}`);
      }
      if (converted.problems.length > 0) {
        throw new CliError(
          'IMPORT_INCOMPLETE',
          `${converted.problems.length} line(s) of ${file} were not imported (listed above); ` +
            `${converted.jobs.length} job(s) were ${options.dryRun ? 'planned' : options.output ? 'written' : 'imported'}`,
        );
      }
      if (converted.jobs.length === 0) {
        err(`${file} has no job lines`);
      }
    });
}
