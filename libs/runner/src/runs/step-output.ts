import type { OutputChunk, OutputStream, StepOutputEvent } from '@ects/domain';

import type { SecretMasker } from './secret-masker';

/** Pause before buffered output is sent, so a chatty step makes a few events a second, not thousands. */
const FLUSH_INTERVAL_MS = 100;
/** Buffered characters that trigger an immediate send. */
const FLUSH_CHARS = 16 * 1024;
/** Maximum characters per chunk, because the API stores a chunk of up to 16,000 characters in one row. */
export const MAX_CHUNK_CHARS = 16_000;

export interface StepOutputOptions {
  runId: string;
  position: number;
  masker: SecretMasker;
  /** Output bytes sent per step; what comes after is counted but not sent. */
  maxBytes: number;
  emit(event: StepOutputEvent): void;
}

interface Segment {
  stream: OutputStream;
  text: string;
}

/** Splits text into pieces of at most MAX_CHUNK_CHARS without cutting a surrogate pair. */
function splitText(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;

  while (text.length - start > MAX_CHUNK_CHARS) {
    let end = start + MAX_CHUNK_CHARS;
    const code = text.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) {
      end -= 1;
    }
    pieces.push(text.slice(start, end));
    start = end;
  }
  pieces.push(text.slice(start));

  return pieces;
}

/**
 * Output of one step across all its attempts: chunks numbered from 0, secrets masked, sent in
 * step.output events every 100 ms or every 16 KiB, whichever comes first.
 */
export class StepOutput {
  private segments: Segment[] = [];
  private bufferedChars = 0;
  private sequence = 0;
  private producedBytes = 0;
  private acceptedBytes = 0;
  private truncated = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: StepOutputOptions) {}

  /** Bytes the step produced, including any that were not sent. */
  get bytes(): number {
    return this.producedBytes;
  }

  write(stream: OutputStream, text: string): void {
    if (this.closed || text.length === 0) {
      return;
    }

    const size = Buffer.byteLength(text);
    this.producedBytes += size;
    if (this.acceptedBytes + size > this.options.maxBytes) {
      this.truncated = true;
      return;
    }
    this.acceptedBytes += size;

    const last = this.segments.at(-1);
    if (last?.stream === stream) {
      last.text += text;
    } else {
      this.segments.push({ stream, text });
    }
    this.bufferedChars += text.length;

    if (this.bufferedChars >= FLUSH_CHARS) {
      this.flush(false);
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.flush(false);
      }, FLUSH_INTERVAL_MS);
    }
  }

  /** Writes a line of the agent's own on the `system` stream, such as a retry notice. */
  system(message: string): void {
    this.write('system', `${message}\n`);
  }

  /** Sends everything still buffered, including a held-back tail, and accepts no more output. */
  close(): void {
    if (this.closed) {
      return;
    }

    if (this.truncated) {
      const notice = `[ECTS] Output beyond ${this.options.maxBytes} bytes was not sent; the step wrote ${this.producedBytes} bytes\n`;
      this.segments.push({ stream: 'system', text: notice });
    }

    this.flush(true);
    this.closed = true;
  }

  private flush(final: boolean): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }

    const chunks: OutputChunk[] = [];
    let kept: Segment[] = [];

    this.segments.forEach((segment, index) => {
      // Only the newest text may be the start of a secret that the next write completes.
      const holdBack = !final && index === this.segments.length - 1;
      const { masked, rest } = this.options.masker.mask(segment.text, holdBack);

      if (masked.length > 0) {
        for (const data of splitText(masked)) {
          chunks.push({ sequence: this.sequence, stream: segment.stream, data });
          this.sequence += 1;
        }
      }
      if (rest.length > 0) {
        kept = [{ stream: segment.stream, text: rest }];
      }
    });

    this.segments = kept;
    this.bufferedChars = kept.reduce((sum, segment) => sum + segment.text.length, 0);

    if (chunks.length > 0) {
      this.options.emit({ type: 'step.output', runId: this.options.runId, position: this.options.position, chunks });
    }
  }
}
