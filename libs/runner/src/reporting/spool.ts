import {
  closeSync,
  fstatSync,
  statSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

import { RateLimitedWarning } from '@ects/etcd';
import type { AgentEvent, AgentEventEnvelope } from '@ects/domain';

import { StateFileError, describeError } from '../errors';
import type { RunnerLogger } from '../logger';
import { STATE_FILE_MODE, ensureDirectory, isRecord, readJsonFile, writeJsonFileAtomic } from '../state/json-file';

const SEGMENT_PATTERN = /^segment-(\d{16})\.jsonl$/;
const ACKED_FILE = 'acked.json';
const DEFAULT_MAX_SEGMENT_BYTES = 4 * 1024 * 1024;
const DEFAULT_MEMORY_WINDOW = 10_000;
const WARNING_INTERVAL_MS = 30_000;
/** Appends within this span share one append-time mark, so the marks stay few during a long outage. */
const APPEND_MARK_INTERVAL_MS = 1_000;

export interface EventSpoolOptions {
  logger: RunnerLogger;
  /** Size at which the spool starts a new segment file; defaults to 4 MiB. */
  maxSegmentBytes?: number;
  /** Newest events kept in memory, so sending them needs no disk read; defaults to 10,000. */
  memoryWindow?: number;
  /** Time source for the age of the oldest pending event, in epoch milliseconds; defaults to Date.now. */
  now?: () => number;
}

/** First seq appended at `at`; every later seq up to the next mark was appended within a second of it. */
interface AppendMark {
  seq: number;
  at: number;
}

interface Segment {
  firstSeq: number;
  path: string;
}

/** Parsed events of one segment file, and how many of its bytes were parsed. */
interface SegmentCache {
  firstSeq: number;
  envelopes: AgentEventEnvelope[];
  parsedBytes: number;
}

function segmentName(firstSeq: number): string {
  return `segment-${String(firstSeq).padStart(16, '0')}.jsonl`;
}

/**
 * The agent's outbox: every event is appended to a segment file with a sequence number before it
 * is sent, and leaves the spool when the API acknowledges it. Appends are plain write() calls, so
 * an event is in the kernel's page cache before append() returns and survives a SIGKILL of the
 * agent. There is no fsync, so a power loss can still lose the last events.
 *
 * Layout of the spool directory: `segment-<first seq>.jsonl` files, each a list of
 * AgentEventEnvelope JSON lines, and `acked.json` with the highest acknowledged sequence number.
 * The newest segment is the one appended to. Older segments are deleted once every event in them is
 * acknowledged, and the newest is never deleted, so its name keeps the sequence counter across
 * restarts even when every event has left the spool.
 */
export class EventSpool {
  private readonly logger: RunnerLogger;
  private readonly maxSegmentBytes: number;
  private readonly memoryWindow: number;
  private readonly segments: Segment[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly writeFailures: RateLimitedWarning;
  private readonly readFailures: RateLimitedWarning;
  private readonly now: () => number;
  /** Append times of the pending events, oldest first, for the age of the oldest one. */
  private appendMarks: AppendMark[] = [];

  private fd: number | undefined;
  private activeBytes = 0;
  private nextSeq = 1;
  private acked = 0;
  /** Newest envelopes, oldest first from index `memoryHead`; their seqs run from `memoryFirstSeq`. */
  private memory: AgentEventEnvelope[] = [];
  private memoryHead = 0;
  private memoryFirstSeq = 1;
  /** Set when a write failed: events then stay in memory until acknowledged, whatever the window. */
  private unpersisted = false;
  private cache: SegmentCache | undefined;

  private constructor(
    private readonly directory: string,
    options: EventSpoolOptions,
  ) {
    this.logger = options.logger;
    this.maxSegmentBytes = options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES;
    this.memoryWindow = options.memoryWindow ?? DEFAULT_MEMORY_WINDOW;
    this.now = options.now ?? Date.now;
    this.writeFailures = new RateLimitedWarning(this.logger, WARNING_INTERVAL_MS);
    this.readFailures = new RateLimitedWarning(this.logger, WARNING_INTERVAL_MS);
  }

  /**
   * Opens the spool in `directory`, creating it when missing. A line cut short by a crash at the
   * end of the newest segment is removed. Throws StateFileError when the directory is unusable.
   */
  static open(directory: string, options: EventSpoolOptions): EventSpool {
    const spool = new EventSpool(directory, options);
    spool.recover();

    return spool;
  }

  /** Sequence number of the newest event, or the last one acknowledged before it; 0 before any event. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Highest sequence number the API has acknowledged. */
  get ackedSeq(): number {
    return this.acked;
  }

  /** Number of events not yet acknowledged. */
  get pendingCount(): number {
    return this.nextSeq - 1 - this.acked;
  }

  /** Milliseconds since the oldest event not yet acknowledged was appended; 0 when every event is acknowledged. */
  oldestPendingAgeMs(): number {
    const oldest = this.appendMarks[0];

    return this.pendingCount === 0 || oldest === undefined ? 0 : Math.max(0, this.now() - oldest.at);
  }

  /** Calls the listener after each append; returns a function that removes it. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);

    return () => this.listeners.delete(listener);
  }

  /** Numbers the event, writes it to the newest segment and returns its envelope. */
  append(event: AgentEvent): AgentEventEnvelope {
    const envelope: AgentEventEnvelope = { seq: this.nextSeq, event };
    const line = Buffer.from(`${JSON.stringify(envelope)}\n`);

    try {
      this.write(line);
      this.activeBytes += line.length;
    } catch (error: unknown) {
      this.unpersisted = true;
      this.writeFailures.warn(
        `Writing event ${envelope.seq} to the spool failed; it is kept in memory only: ${describeError(error)}`,
      );
    }

    this.markAppend(envelope.seq);
    this.nextSeq += 1;
    this.memory.push(envelope);
    this.trimMemory();

    if (this.activeBytes >= this.maxSegmentBytes) {
      this.rotate();
    }

    for (const listener of this.listeners) {
      listener();
    }

    return envelope;
  }

  /** Returns up to `maxEvents` envelopes in seq order, starting at the first one at or after `fromSeq`. */
  read(fromSeq: number, maxEvents: number): AgentEventEnvelope[] {
    const from = Math.max(fromSeq, this.acked + 1);
    if (from >= this.nextSeq || maxEvents <= 0) {
      return [];
    }

    if (from >= this.memoryFirstSeq) {
      const start = this.memoryHead + (from - this.memoryFirstSeq);

      return this.memory.slice(start, start + maxEvents);
    }

    return this.readFromDisk(from, maxEvents);
  }

  /**
   * Marks every event up to `seq` as stored by the API: it is dropped from memory, and segments that
   * hold nothing newer are deleted.
   */
  ack(seq: number): void {
    const target = Math.min(seq, this.nextSeq - 1);
    if (target <= this.acked) {
      return;
    }

    this.acked = target;
    try {
      // No fsync: the acknowledgement only has to survive a crash of the agent, and losing it on a
      // power loss costs a replay that the API ignores, because it applies events idempotently.
      writeJsonFileAtomic(join(this.directory, ACKED_FILE), { ackedSeq: this.acked }, false);
    } catch (error: unknown) {
      this.writeFailures.warn(`Saving the acknowledged seq ${this.acked} failed: ${describeError(error)}`);
    }

    while (this.memoryHead < this.memory.length && this.memory[this.memoryHead].seq <= this.acked) {
      this.memoryHead += 1;
    }
    this.memoryFirstSeq = Math.max(this.memoryFirstSeq, this.acked + 1);
    if (this.memoryHead === this.memory.length) {
      this.unpersisted = false;
    }
    this.compactMemory();
    this.deleteAckedSegments();
    this.dropAckedMarks();
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }

    this.listeners.clear();
  }

  private recover(): void {
    ensureDirectory(this.directory);

    const ackedFile = readJsonFile(join(this.directory, ACKED_FILE));
    if (isRecord(ackedFile) && typeof ackedFile.ackedSeq === 'number' && Number.isSafeInteger(ackedFile.ackedSeq)) {
      this.acked = Math.max(0, ackedFile.ackedSeq);
    }

    for (const name of readdirSync(this.directory).sort()) {
      const match = SEGMENT_PATTERN.exec(name);
      if (match !== null) {
        this.segments.push({ firstSeq: Number(match[1]), path: join(this.directory, name) });
      }
    }

    const newest = this.segments.at(-1);
    this.nextSeq = newest === undefined ? this.acked + 1 : this.repairNewest(newest);

    if (newest === undefined || this.nextSeq <= this.acked) {
      // The acknowledgement is ahead of the segments, for example after segments were removed by
      // hand. Numbering goes on after it, so the API never gets a sequence number twice.
      this.nextSeq = Math.max(this.nextSeq, this.acked + 1);
      this.segments.push({ firstSeq: this.nextSeq, path: join(this.directory, segmentName(this.nextSeq)) });
    }

    this.memoryFirstSeq = this.nextSeq;
    this.openNewest();
    this.deleteAckedSegments();
    this.markRecoveredEvents();
  }

  /**
   * Marks the events left pending by an earlier run with the modification time of the oldest segment.
   * NOTE: that is when the segment was last written, so the age it gives is a lower bound.
   */
  private markRecoveredEvents(): void {
    if (this.pendingCount === 0) {
      return;
    }

    let at = this.now();
    try {
      at = Math.min(at, statSync(this.segments[0].path).mtimeMs);
    } catch (error: unknown) {
      this.readFailures.warn(
        `Reading the age of spool segment ${this.segments[0].path} failed: ${describeError(error)}`,
      );
    }
    this.appendMarks.push({ seq: this.acked + 1, at });
  }

  private markAppend(seq: number): void {
    const now = this.now();
    const last = this.appendMarks.at(-1);

    if (last === undefined || now - last.at >= APPEND_MARK_INTERVAL_MS) {
      this.appendMarks.push({ seq, at: now });
    }
  }

  /** Keeps only the mark covering the first pending event and the marks after it. */
  private dropAckedMarks(): void {
    const firstPending = this.acked + 1;
    if (firstPending >= this.nextSeq) {
      this.appendMarks = [];
      return;
    }

    let covering = 0;
    while (covering + 1 < this.appendMarks.length && this.appendMarks[covering + 1].seq <= firstPending) {
      covering += 1;
    }
    if (covering > 0) {
      this.appendMarks = this.appendMarks.slice(covering);
    }
  }

  /** Cuts a partial last line from the newest segment and returns the seq that follows its last event. */
  private repairNewest(segment: Segment): number {
    const content = readFileSync(segment.path);
    const end = content.lastIndexOf(0x0a) + 1;

    if (end < content.length) {
      this.logger.warn(
        `Spool segment ${segment.path} ends with a partial event of ${content.length - end} bytes, written ` +
          'when the agent stopped abruptly; removing it',
      );
      const fd = openSync(segment.path, 'r+');
      try {
        ftruncateSync(fd, end);
      } finally {
        closeSync(fd);
      }
    }

    const envelopes = this.parseLines(content.subarray(0, end).toString('utf8'), segment.path);
    const last = envelopes.at(-1);

    return last === undefined ? segment.firstSeq : last.seq + 1;
  }

  private openNewest(): void {
    const newest = this.segments[this.segments.length - 1];

    try {
      this.fd = openSync(newest.path, 'a', STATE_FILE_MODE);
      this.activeBytes = fstatSync(this.fd).size;
    } catch (error: unknown) {
      throw new StateFileError(newest.path, `Failed to open spool segment ${newest.path}: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  private write(line: Buffer): void {
    if (this.fd === undefined) {
      throw new StateFileError(this.directory, `The spool in ${this.directory} is closed`);
    }

    let offset = 0;
    while (offset < line.length) {
      offset += writeSync(this.fd, line, offset, line.length - offset);
    }
  }

  /** Starts a new segment named after the next seq; older segments go once acknowledged. */
  private rotate(): void {
    try {
      if (this.fd !== undefined) {
        closeSync(this.fd);
        this.fd = undefined;
      }

      this.segments.push({ firstSeq: this.nextSeq, path: join(this.directory, segmentName(this.nextSeq)) });
      this.openNewest();
    } catch (error: unknown) {
      this.writeFailures.warn(`Starting a new spool segment failed: ${describeError(error)}`);
    }

    this.deleteAckedSegments();
  }

  private trimMemory(): void {
    if (this.unpersisted) {
      return;
    }

    const excess = this.memory.length - this.memoryHead - this.memoryWindow;
    if (excess > 0) {
      this.memoryHead += excess;
      this.memoryFirstSeq += excess;
    }
    this.compactMemory();
  }

  /** Drops consumed slots once they make up most of the array, so memory is reclaimed in bulk. */
  private compactMemory(): void {
    if (this.memoryHead > 1_024 && this.memoryHead * 2 > this.memory.length) {
      this.memory = this.memory.slice(this.memoryHead);
      this.memoryHead = 0;
    }
  }

  private deleteAckedSegments(): void {
    while (this.segments.length > 1 && this.segments[1].firstSeq - 1 <= this.acked) {
      const [segment] = this.segments.splice(0, 1);
      if (this.cache?.firstSeq === segment.firstSeq) {
        this.cache = undefined;
      }

      try {
        unlinkSync(segment.path);
      } catch (error: unknown) {
        this.writeFailures.warn(`Deleting acknowledged spool segment ${segment.path} failed: ${describeError(error)}`);
      }
    }
  }

  /** Reads events older than the memory window from their segments, for a replay. */
  private readFromDisk(fromSeq: number, maxEvents: number): AgentEventEnvelope[] {
    let index = this.segments.findLastIndex((segment) => segment.firstSeq <= fromSeq);
    index = Math.max(index, 0);

    for (; index < this.segments.length; index += 1) {
      const envelopes = this.loadSegment(this.segments[index]);
      const found: AgentEventEnvelope[] = [];

      for (const envelope of envelopes) {
        if (envelope.seq >= this.memoryFirstSeq || found.length >= maxEvents) {
          break;
        }
        if (envelope.seq >= fromSeq) {
          found.push(envelope);
        }
      }

      if (found.length > 0) {
        const last = found[found.length - 1].seq;
        if (last + 1 === this.memoryFirstSeq && found.length < maxEvents) {
          found.push(...this.memory.slice(this.memoryHead, this.memoryHead + maxEvents - found.length));
        }

        return found;
      }
    }

    // Everything from fromSeq on that was written is in memory, or was never written.
    const start = this.memoryHead;

    return this.memory.slice(start, start + maxEvents);
  }

  /** Parses a segment, reusing the last parse and reading only what was appended since. */
  private loadSegment(segment: Segment): AgentEventEnvelope[] {
    if (this.cache?.firstSeq !== segment.firstSeq) {
      this.cache = { firstSeq: segment.firstSeq, envelopes: [], parsedBytes: 0 };
    }

    const cache = this.cache;
    try {
      const fd = openSync(segment.path, 'r');
      try {
        const size = fstatSync(fd).size;
        if (size > cache.parsedBytes) {
          const buffer = Buffer.alloc(size - cache.parsedBytes);
          let read = 0;
          while (read < buffer.length) {
            const count = readSync(fd, buffer, read, buffer.length - read, cache.parsedBytes + read);
            if (count === 0) {
              break;
            }
            read += count;
          }

          const end = buffer.subarray(0, read).lastIndexOf(0x0a) + 1;
          cache.envelopes.push(...this.parseLines(buffer.subarray(0, end).toString('utf8'), segment.path));
          cache.parsedBytes += end;
        }
      } finally {
        closeSync(fd);
      }
    } catch (error: unknown) {
      this.readFailures.warn(`Reading spool segment ${segment.path} failed: ${describeError(error)}`);
    }

    return cache.envelopes;
  }

  private parseLines(text: string, path: string): AgentEventEnvelope[] {
    const envelopes: AgentEventEnvelope[] = [];

    for (const line of text.split('\n')) {
      if (line.length === 0) {
        continue;
      }

      try {
        const value = JSON.parse(line) as unknown;
        if (isRecord(value) && typeof value.seq === 'number' && isRecord(value.event)) {
          envelopes.push(value as unknown as AgentEventEnvelope);
          continue;
        }
      } catch {
        // Reported below with the other malformed lines.
      }

      this.readFailures.warn(`Skipping a malformed line in spool segment ${path}`);
    }

    return envelopes;
  }
}
