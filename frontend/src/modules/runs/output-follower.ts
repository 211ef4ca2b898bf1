import type { OutputChunk } from '@ects/domain';

import { api, unwrap } from '../../api/client';

/** Most chunks one logs request returns; the API allows up to 5000. */
const PAGE_LIMIT = 5000;

/** Writes chunks of one step, in sequence order, to a sink. */
export type ChunkSink = (chunks: OutputChunk[]) => void;

/**
 * Puts the output of one step in order from two sources: the stored chunks from the logs endpoint and
 * the live `output` events. Chunks already written are skipped. When a live event starts after a gap
 * (missed while disconnected, or sent before the view opened), the gap is fetched from the logs
 * endpoint first. Sequences may still have gaps where the API dropped output over its stored bound,
 * so after a fetch whatever the API has is written as it is.
 */
export class OutputFollower {
  /** Highest sequence written so far; -1 before the first chunk. */
  private lastSequence = -1;
  private fetching: Promise<void> | null = null;
  private held: OutputChunk[] = [];
  private stopped = false;

  constructor(
    private readonly runId: string,
    private readonly position: number,
    private readonly sink: ChunkSink,
  ) {}

  /** Fetches every stored chunk after the last one written. Concurrent calls share one fetch. */
  catchUp(): Promise<void> {
    this.fetching ??= this.fetchMissing().finally(() => {
      this.fetching = null;
      const held = this.held;
      this.held = [];
      this.write(held);
    });

    return this.fetching;
  }

  /** Takes chunks from a live `output` event of this step. */
  receive(chunks: OutputChunk[]): void {
    if (this.stopped) {
      return;
    }
    if (this.fetching !== null) {
      this.held.push(...chunks);

      return;
    }

    const fresh = sortBySequence(chunks).filter((chunk) => chunk.sequence > this.lastSequence);
    if (fresh.length === 0) {
      return;
    }
    if (fresh[0]!.sequence > this.lastSequence + 1) {
      this.held.push(...fresh);
      void this.catchUp().catch(() => undefined);

      return;
    }

    this.write(fresh);
  }

  stop(): void {
    this.stopped = true;
    this.held = [];
  }

  private async fetchMissing(): Promise<void> {
    let more = true;
    while (more && !this.stopped) {
      const page = await unwrap(
        api.GET('/api/runs/{id}/steps/{position}/logs', {
          params: {
            path: { id: this.runId, position: this.position },
            query: { afterSequence: this.lastSequence, limit: PAGE_LIMIT },
          },
        }),
      );
      this.write(page.chunks.map((chunk) => ({ sequence: chunk.sequence, stream: chunk.stream, data: chunk.chunk })));
      more = page.more && page.chunks.length > 0;
    }
  }

  private write(chunks: OutputChunk[]): void {
    const fresh = sortBySequence(chunks).filter((chunk, index, all) => {
      const duplicate = index > 0 && all[index - 1]!.sequence === chunk.sequence;

      return chunk.sequence > this.lastSequence && !duplicate;
    });
    if (fresh.length === 0 || this.stopped) {
      return;
    }

    this.lastSequence = fresh[fresh.length - 1]!.sequence;
    this.sink(fresh);
  }
}

function sortBySequence(chunks: OutputChunk[]): OutputChunk[] {
  return [...chunks].sort((a, b) => a.sequence - b.sequence);
}
