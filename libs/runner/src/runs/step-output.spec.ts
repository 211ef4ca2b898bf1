import type { StepOutputEvent } from '@ects/domain';
import { describe, expect, it } from 'vitest';

import { delay } from '../../test/support/wait';
import { SecretMasker } from './secret-masker';
import { MAX_CHUNK_CHARS, StepOutput } from './step-output';

function collect(secrets: string[] = [], maxBytes = 1024 * 1024): { output: StepOutput; events: StepOutputEvent[] } {
  const events: StepOutputEvent[] = [];
  const output = new StepOutput({
    runId: 'run-1',
    position: 2,
    masker: new SecretMasker(secrets),
    maxBytes,
    emit: (event) => events.push(event),
  });

  return { output, events };
}

function text(events: StepOutputEvent[]): string {
  return events.flatMap((event) => event.chunks.map((chunk) => chunk.data)).join('');
}

describe('StepOutput', () => {
  it('batches writes within 100 ms', async () => {
    const { output, events } = collect();

    output.write('stdout', 'a');
    output.write('stdout', 'b');
    output.write('stderr', 'c');
    expect(events).toHaveLength(0);
    await delay(150);

    expect(events).toHaveLength(1);
    expect(events[0].chunks).toEqual([
      { sequence: 0, stream: 'stdout', data: 'ab' },
      { sequence: 1, stream: 'stderr', data: 'c' },
    ]);
    output.close();
  });

  it('flushes at once past 16 KiB', () => {
    const { output, events } = collect();

    output.write('stdout', 'y'.repeat(20_000));

    expect(events).toHaveLength(1);
    expect(events[0].chunks.map((chunk) => chunk.data.length)).toEqual([MAX_CHUNK_CHARS, 20_000 - MAX_CHUNK_CHARS]);
    output.close();
  });

  it('numbers chunks without gaps across flushes', () => {
    const { output, events } = collect();

    output.write('stdout', 'z'.repeat(17_000));
    output.write('stderr', 'e');
    output.close();

    const sequences = events.flatMap((event) => event.chunks.map((chunk) => chunk.sequence));
    expect(sequences).toEqual([0, 1, 2]);
  });

  it('masks a secret split across writes', async () => {
    const { output, events } = collect(['s3cr3t-value']);

    output.write('stdout', 'token=s3cr');
    await delay(150);
    output.write('stdout', '3t-value\n');
    output.close();

    expect(text(events)).toBe('token=********\n');
  });

  it('counts output beyond the limit without sending it', () => {
    const { output, events } = collect([], 1024);

    output.write('stdout', 'a'.repeat(1000));
    output.write('stdout', 'b'.repeat(1000));
    output.close();

    expect(output.bytes).toBe(2000);
    expect(text(events)).not.toContain('bbbb');
    expect(text(events)).toContain('Output beyond 1024 bytes was not sent; the step wrote 2000 bytes');
  });
});
