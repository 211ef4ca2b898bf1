import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { AgentEvent } from '@ects/domain';
import { afterEach, describe, expect, it } from 'vitest';

import { TestLogger } from '../../test/support/test-logger';
import { EventSpool } from './spool';

const directories: string[] = [];

function spoolDir(): string {
  const directory = mkdtempSync(join(tmpdir(), 'ects-spool-'));
  directories.push(directory);

  return directory;
}

function outputEvent(index: number, size = 10): AgentEvent {
  return {
    type: 'step.output',
    runId: 'run-1',
    position: 0,
    chunks: [{ sequence: index, stream: 'stdout', data: 'x'.repeat(size) }],
  };
}

function segmentsIn(directory: string): string[] {
  return readdirSync(directory).filter((name) => name.startsWith('segment-'));
}

afterEach(() => {
  for (const directory of directories.splice(0)) {
    rmSync(directory, { recursive: true, force: true });
  }
});

describe('EventSpool', () => {
  it('numbers events from 1 in order', () => {
    const spool = EventSpool.open(spoolDir(), { logger: new TestLogger() });

    const seqs = [0, 1, 2].map((index) => spool.append(outputEvent(index)).seq);

    expect(seqs).toEqual([1, 2, 3]);
    expect(spool.read(1, 10).map((envelope) => envelope.seq)).toEqual([1, 2, 3]);
    expect(spool.read(2, 1).map((envelope) => envelope.seq)).toEqual([2]);
    spool.close();
  });

  it('drops acknowledged events from reads', () => {
    const spool = EventSpool.open(spoolDir(), { logger: new TestLogger() });
    for (let index = 0; index < 5; index += 1) {
      spool.append(outputEvent(index));
    }

    spool.ack(3);

    expect(spool.ackedSeq).toBe(3);
    expect(spool.pendingCount).toBe(2);
    expect(spool.read(1, 10).map((envelope) => envelope.seq)).toEqual([4, 5]);
    spool.close();
  });

  it('keeps seq and acks across reopen', () => {
    const directory = spoolDir();
    const first = EventSpool.open(directory, { logger: new TestLogger() });
    for (let index = 0; index < 10; index += 1) {
      first.append(outputEvent(index));
    }
    first.ack(4);
    first.close();

    const second = EventSpool.open(directory, { logger: new TestLogger() });

    expect(second.ackedSeq).toBe(4);
    expect(second.lastSeq).toBe(10);
    expect(second.read(0, 100).map((envelope) => envelope.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(second.append(outputEvent(10)).seq).toBe(11);
    second.close();
  });

  it('keeps counting after everything is acknowledged', () => {
    const directory = spoolDir();
    const first = EventSpool.open(directory, { logger: new TestLogger(), maxSegmentBytes: 200 });
    for (let index = 0; index < 20; index += 1) {
      first.append(outputEvent(index));
    }
    first.ack(20);
    first.close();

    const second = EventSpool.open(directory, { logger: new TestLogger(), maxSegmentBytes: 200 });

    expect(second.pendingCount).toBe(0);
    expect(second.append(outputEvent(0)).seq).toBe(21);
    second.close();
  });

  it('deletes acknowledged segments', () => {
    const directory = spoolDir();
    const spool = EventSpool.open(directory, { logger: new TestLogger(), maxSegmentBytes: 1_000 });
    for (let index = 0; index < 200; index += 1) {
      spool.append(outputEvent(index, 50));
    }
    const before = segmentsIn(directory).length;

    spool.ack(spool.lastSeq);

    expect(before).toBeGreaterThan(10);
    expect(segmentsIn(directory)).toHaveLength(1);
    expect(statSync(join(directory, segmentsIn(directory)[0])).size).toBeLessThan(1_200);
    spool.close();
  });

  it('reads events beyond the memory window from disk', () => {
    const directory = spoolDir();
    const spool = EventSpool.open(directory, { logger: new TestLogger(), maxSegmentBytes: 2_000, memoryWindow: 10 });
    for (let index = 0; index < 100; index += 1) {
      spool.append(outputEvent(index));
    }

    const seqs: number[] = [];
    for (let cursor = 1; cursor <= spool.lastSeq;) {
      const batch = spool.read(cursor, 7);
      expect(batch.length).toBeGreaterThan(0);
      seqs.push(...batch.map((envelope) => envelope.seq));
      cursor = batch[batch.length - 1].seq + 1;
    }

    expect(seqs).toEqual(Array.from({ length: 100 }, (_, index) => index + 1));
    spool.close();
  });

  it('removes a partial last line on open', () => {
    const directory = spoolDir();
    const logger = new TestLogger();
    const first = EventSpool.open(directory, { logger });
    first.append(outputEvent(0));
    first.append(outputEvent(1));
    first.close();
    appendFileSync(join(directory, segmentsIn(directory)[0]), '{"seq":3,"event":{"type":"step.ou');

    const second = EventSpool.open(directory, { logger });

    expect(second.lastSeq).toBe(2);
    expect(second.append(outputEvent(2)).seq).toBe(3);
    expect(second.read(1, 10).map((envelope) => envelope.seq)).toEqual([1, 2, 3]);
    expect(logger.messages('WARN').some((line) => line.includes('partial event'))).toBe(true);
    second.close();
  });

  it('survives SIGKILL without losing events', async () => {
    const directory = spoolDir();
    const child = spawn(
      process.execPath,
      [
        '-r',
        join(__dirname, '../../test/support/register-ts.js'),
        join(__dirname, '../../test/support/spool-child.ts'),
        directory,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let printed = 0;
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));

    await new Promise<void>((resolve, reject) => {
      let buffer = '';
      child.stdout.on('data', (data: Buffer) => {
        buffer += data.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        printed = Number(lines.at(-1) ?? printed);
        if (printed >= 3_000) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`spool child exited early with ${code}: ${stderr}`)));
    });
    await new Promise((resolve) => child.once('exit', resolve));

    const spool = EventSpool.open(directory, { logger: new TestLogger() });
    const seqs: number[] = [];
    for (let cursor = 1; cursor <= spool.lastSeq;) {
      const batch = spool.read(cursor, 500);
      seqs.push(...batch.map((envelope) => envelope.seq));
      cursor = batch[batch.length - 1].seq + 1;
    }

    const lastSeq = spool.lastSeq;
    expect(lastSeq).toBeGreaterThanOrEqual(printed);
    expect(seqs).toEqual(Array.from({ length: lastSeq }, (_, index) => index + 1));
    expect(spool.append(outputEvent(0)).seq).toBe(lastSeq + 1);
    spool.close();
  });

  it('appends thousands of events per second', () => {
    const spool = EventSpool.open(spoolDir(), { logger: new TestLogger() });
    const count = 20_000;

    const started = performance.now();
    for (let index = 0; index < count; index += 1) {
      spool.append(outputEvent(index, 200));
    }
    const perSecond = count / ((performance.now() - started) / 1000);

    console.log(`spool append: ${Math.round(perSecond)} events/s of about 300 bytes`);
    expect(perSecond).toBeGreaterThan(5_000);
    spool.close();
  });
});
