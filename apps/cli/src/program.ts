import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Command } from 'commander';

import { registerApply } from './commands/apply';
import { registerDescribe } from './commands/describe';
import { registerExport } from './commands/export';
import { registerGet } from './commands/get';
import { registerImportCrontab } from './commands/import-crontab';
import { registerKill } from './commands/kill';
import { registerLogin } from './commands/login';
import { registerLogs } from './commands/logs';
import { registerRun } from './commands/run';

const GENERAL_HELP = `
Connection: --server, then ECTS_SERVER and ECTS_TOKEN, then the config written by ectsctl login.
API tokens start with ects_; an admin creates them with POST /api/tokens and the scopes read
(get, describe, logs) or write (also apply, import-crontab, run, kill).

Exit codes: 0 success; 1 the request or the run failed; 2 invalid usage or input;
3 the server could not be reached, or the token is missing or was rejected.

Run ectsctl <command> --help for the options and examples of a command.`;

function packageVersion(): string {
  const packageJson = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };

  return packageJson.version;
}

/** Builds the ectsctl command tree. Errors surface as exceptions instead of exiting, so main decides the exit code. */
export function buildProgram(): Command {
  const program = new Command('ectsctl')
    .description('ectsctl: the ECTS command line for people and CI scripts')
    .version(packageVersion(), '-v, --version', 'print the version of ectsctl')
    .option('--server <url>', 'ECTS server URL, e.g. https://ects.example.com; overrides ECTS_SERVER and the login')
    .helpCommand('help [command]', 'show the help of a command')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', GENERAL_HELP)
    .exitOverride();

  registerLogin(program);
  registerGet(program);
  registerDescribe(program);
  registerApply(program);
  registerExport(program);
  registerRun(program);
  registerLogs(program);
  registerKill(program);
  registerImportCrontab(program);

  return program;
}
