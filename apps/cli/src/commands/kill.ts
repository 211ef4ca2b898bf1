import type { Command } from 'commander';

import type { RunDetailDto } from '../api/schema';
import { clientFor, parseCount } from '../context';
import { out } from '../output';
import { waitForRun } from '../runs/follow';
import { runOutcome } from '../runs/print';
import { POLL_INTERVAL_MS } from './run';

interface KillOptions {
  wait?: boolean;
  timeout: number;
}

export function registerKill(program: Command): void {
  program
    .command('kill')
    .description('Stop a running run: its processes get SIGTERM, then SIGKILL after a grace period')
    .argument('<run>', 'run id')
    .option('--wait', 'wait until the agent has stopped the run')
    .option(
      '--timeout <seconds>',
      'with --wait: stop waiting after this many seconds, 0 for no limit',
      parseCount('--timeout'),
      60,
    )
    .addHelpText('after', '\nExample:\n  ectsctl kill 0193a6a2-7c1e-7cc0-9d1b-2f0c4b7b9e11 --wait')
    .action(async (runId: string, options: KillOptions, command: Command) => {
      const client = clientFor(command);
      await client.post(`/api/runs/${runId}/kill`);
      out(`Kill requested for run ${runId}`);
      if (!options.wait) {
        return;
      }

      const run: RunDetailDto = await waitForRun(client, runId, {
        intervalMs: POLL_INTERVAL_MS,
        timeoutMs: options.timeout * 1000,
      });
      out(runOutcome(run));
    });
}
