import type { RunDetailDto, StepRunDto } from '../api/schema';
import { formatDuration } from '../output';
import type { OutputChunk } from './follow';

/** Writes followed output to the terminal: stdout to stdout, stderr and ECTS's own lines to stderr. */
export class OutputPrinter {
  /** Partial last lines per run and stream, kept until their newline arrives. */
  private readonly partial = new Map<string, string>();

  /**
   * @param prefixes a line prefix per run id, for when several runs are followed at once. Without a
   * prefix, output is written exactly as the command printed it.
   */
  constructor(private readonly prefixes: Map<string, string> = new Map()) {}

  step(step: StepRunDto, run: RunDetailDto): void {
    const role =
      step.role === 'on_success'
        ? 'on success'
        : step.role === 'on_failure'
          ? 'on failure'
          : `step ${step.position + 1}`;
    process.stderr.write(`${this.prefixes.get(run.id) ?? ''}==> ${role}: ${step.taskName}\n`);
  }

  chunk(chunk: OutputChunk): void {
    const stream = chunk.stream === 'stdout' ? process.stdout : process.stderr;
    const prefix = this.prefixes.get(chunk.runId);
    if (prefix === undefined) {
      stream.write(chunk.text);

      return;
    }

    const key = `${chunk.runId}:${chunk.stream}`;
    const lines = `${this.partial.get(key) ?? ''}${chunk.text}`.split('\n');
    this.partial.set(key, lines.pop() ?? '');
    for (const line of lines) {
      stream.write(`${prefix}${line}\n`);
    }
  }

  /** Writes the partial last lines, once their runs have ended. */
  flush(): void {
    for (const [key, line] of this.partial) {
      if (line !== '') {
        const [runId, streamName] = key.split(':');
        const stream = streamName === 'stdout' ? process.stdout : process.stderr;
        stream.write(`${this.prefixes.get(runId) ?? ''}${line}\n`);
      }
    }
    this.partial.clear();
  }
}

/** Formats the outcome of a run as one line, such as "Run 0193… of backup on node web-1 failed after 2.1s: …". */
export function runOutcome(run: RunDetailDto): string {
  const summary = run.exitSummary ? `: ${run.exitSummary}` : '';

  return `Run ${run.id} of ${run.pipelineName} on node ${run.nodeName} ${run.status} after ${formatDuration(run.durationMs)}${summary}`;
}
