import type { Command } from 'commander';

import { findNode, findPipeline } from '../api/lookup';
import type { RunDetailDto, RunNowDto, RunNowResultDto } from '../api/schema';
import { clientFor, parseCount } from '../context';
import { CliError } from '../errors';
import { err, out } from '../output';
import { followRun, waitForRun } from '../runs/follow';
import { OutputPrinter, runOutcome } from '../runs/print';

/** Milliseconds between polls while waiting for or following a run. */
export const POLL_INTERVAL_MS = 500;

interface RunOptions {
  node?: string;
  wait?: boolean;
  follow?: boolean;
  timeout: number;
  quiet?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Start a run of a pipeline now, and optionally wait for it or stream its output')
    .argument('<pipeline>', 'pipeline name or id')
    .option(
      '--node <name>',
      'run on this bound node only; by default the pipeline mode decides (all bound nodes, or one)',
    )
    .option('--wait', 'wait until the run ends; exit 0 only when every started run succeeded')
    .option('--follow', 'stream the output as it is produced; implies --wait')
    .option(
      '--timeout <seconds>',
      'with --wait or --follow: stop waiting after this many seconds, 0 for no limit',
      parseCount('--timeout'),
      0,
    )
    .option('-q, --quiet', 'print only the run ids')
    .addHelpText(
      'after',
      '\nExit codes with --wait: 0 every run succeeded; 1 a run failed, timed out, was killed, skipped or\n' +
        'lost, or the wait timed out (the run goes on); 3 the server could not be reached.\n\n' +
        'Examples:\n  ectsctl run nightly-backup --wait\n  ectsctl run deploy-checks --node web-1 --follow --timeout 600',
    )
    .action(async (reference: string, options: RunOptions, command: Command) => {
      const client = clientFor(command);
      const pipeline = await findPipeline(client, reference);
      const body: RunNowDto = options.node ? { nodeId: (await findNode(client, options.node)).id } : {};
      const started = await client.post<RunNowResultDto>(`/api/pipelines/${pipeline.id}/runs`, body);
      const runs = await Promise.all(started.runs.map(({ runId }) => client.get<RunDetailDto>(`/api/runs/${runId}`)));
      const follow = options.follow ?? false;
      const wait = follow || (options.wait ?? false);
      const report = follow ? err : out;

      for (const run of runs) {
        if (options.quiet) {
          out(run.id);
        } else {
          report(`Started run ${run.id} of ${pipeline.name} on node ${run.nodeName}`);
        }
      }
      if (!wait) {
        return;
      }

      // Output of several runs at once is interleaved, so each line then names its node.
      const prefixes = new Map(runs.length > 1 ? runs.map((run) => [run.id, `[${run.nodeName}] `]) : []);
      const printer = new OutputPrinter(prefixes);
      const timing = { intervalMs: POLL_INTERVAL_MS, timeoutMs: options.timeout * 1000 };
      const finished = await Promise.all(
        runs.map((run) =>
          follow
            ? followRun(client, run.id, {
                ...timing,
                follow: true,
                onStep: (step, current) => printer.step(step, current),
                onChunk: (chunk) => printer.chunk(chunk),
              })
            : waitForRun(client, run.id, timing),
        ),
      );
      printer.flush();

      const failed = finished.filter((run) => run.status !== 'succeeded');
      for (const run of finished) {
        if (!options.quiet && run.status === 'succeeded') {
          report(runOutcome(run));
        }
      }
      if (failed.length > 0) {
        throw new CliError('RUN_FAILED', failed.map(runOutcome).join('\n'));
      }
    });
}
