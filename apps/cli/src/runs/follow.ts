import { FINAL_RUN_STATUSES, type RunStatus } from '@ects/domain';

import type { ApiClient } from '../api/client';
import type { RunDetailDto, StepLogDto, StepRunDto } from '../api/schema';
import { CliError } from '../errors';

/** Most chunks fetched per request; the API's maximum. */
const LOG_PAGE_LIMIT = 5_000;

export interface OutputChunk {
  runId: string;
  step: StepRunDto;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
}

export interface FollowOptions {
  /** Keep polling until the run ends; otherwise read what is stored once. */
  follow: boolean;
  /** Milliseconds between polls. */
  intervalMs: number;
  /** Give up waiting after this many milliseconds; 0 waits without limit. */
  timeoutMs: number;
  /** Read output at all; false only waits for the run to end. */
  readOutput?: boolean;
  /** Only this step position, or every step when undefined. */
  position?: number;
  onStep?: (step: StepRunDto, run: RunDetailDto) => void;
  onChunk?: (chunk: OutputChunk) => void;
}

export function isFinal(status: RunStatus): boolean {
  return FINAL_RUN_STATUSES.includes(status);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads a run's output step by step, in order, by polling the logs endpoint with the last sequence
 * number seen. With `follow` it keeps polling until the run reaches a final status, then reads once
 * more, so output stored just before the end is not lost. Returns the run as it was last read.
 */
export async function followRun(client: ApiClient, runId: string, options: FollowOptions): Promise<RunDetailDto> {
  const lastSequence = new Map<number, number>();
  const announced = new Set<number>();
  const deadline = options.timeoutMs > 0 ? Date.now() + options.timeoutMs : Number.POSITIVE_INFINITY;

  const drain = async (run: RunDetailDto): Promise<void> => {
    if (options.readOutput === false) {
      return;
    }
    for (const step of run.steps) {
      if (options.position !== undefined && step.position !== options.position) {
        continue;
      }
      if (!announced.has(step.position)) {
        announced.add(step.position);
        options.onStep?.(step, run);
      }

      for (;;) {
        const after = lastSequence.get(step.position) ?? -1;
        const logs = await client.get<StepLogDto>(
          `/api/runs/${runId}/steps/${step.position}/logs?afterSequence=${after}&limit=${LOG_PAGE_LIMIT}`,
        );
        for (const chunk of logs.chunks) {
          lastSequence.set(step.position, chunk.sequence);
          options.onChunk?.({ runId, step, stream: chunk.stream, text: chunk.chunk });
        }
        if (!logs.more) {
          break;
        }
      }
    }
  };

  for (;;) {
    const run = await client.get<RunDetailDto>(`/api/runs/${runId}`);
    await drain(run);
    if (!options.follow || isFinal(run.status)) {
      return run;
    }
    if (Date.now() >= deadline) {
      throw new CliError(
        'TIMED_OUT',
        `Run ${runId} is still ${run.status} after ${Math.round(options.timeoutMs / 1000)} s; it keeps running. ` +
          `Check it later with ectsctl logs ${runId}, or stop it with ectsctl kill ${runId}`,
      );
    }
    await sleep(options.intervalMs);
  }
}

/** Waits until a run reaches a final status, without reading its output. */
export async function waitForRun(
  client: ApiClient,
  runId: string,
  options: Pick<FollowOptions, 'intervalMs' | 'timeoutMs'>,
): Promise<RunDetailDto> {
  return followRun(client, runId, { ...options, follow: true, readOutput: false });
}
