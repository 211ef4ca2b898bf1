import type { Command } from 'commander';

import { clientFor, parseCount } from '../context';
import { CliError } from '../errors';
import { err } from '../output';
import { followRun } from '../runs/follow';
import { OutputPrinter, runOutcome } from '../runs/print';
import { POLL_INTERVAL_MS } from './run';

interface LogsOptions {
  follow?: boolean;
  step?: number;
  timeout: number;
}

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("Print a run's output, step by step; --follow keeps printing until the run ends")
    .argument('<run>', 'run id, as printed by ectsctl run or listed by ectsctl get runs')
    .option('--follow', 'keep printing new output until the run ends')
    .option('--step <number>', 'only the output of this step, counted from 1', parseCount('--step'))
    .option(
      '--timeout <seconds>',
      'with --follow: stop after this many seconds, 0 for no limit',
      parseCount('--timeout'),
      0,
    )
    .addHelpText(
      'after',
      "\nThe commands' stdout goes to stdout; their stderr, step headers and ECTS notes go to stderr.\n\n" +
        'Example:\n  ectsctl logs 0193a6a2-7c1e-7cc0-9d1b-2f0c4b7b9e11 --follow',
    )
    .action(async (runId: string, options: LogsOptions, command: Command) => {
      if (options.step === 0) {
        throw new CliError('USAGE', '--step counts from 1');
      }

      const printer = new OutputPrinter();
      const run = await followRun(clientFor(command), runId, {
        follow: options.follow ?? false,
        intervalMs: POLL_INTERVAL_MS,
        timeoutMs: options.timeout * 1000,
        ...(options.step === undefined ? {} : { position: options.step - 1 }),
        onStep: (step, current) => printer.step(step, current),
        onChunk: (chunk) => printer.chunk(chunk),
      });
      printer.flush();

      if (options.step !== undefined && !run.steps.some((step) => step.position === options.step! - 1)) {
        throw new CliError('NOT_FOUND', `Run ${runId} has no step ${options.step}; it has ${run.steps.length}`);
      }
      if (options.follow) {
        err(runOutcome(run));
      }
    });
}
