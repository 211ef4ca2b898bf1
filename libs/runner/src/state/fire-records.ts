import { join } from 'node:path';

import { describeError } from '../errors';
import type { RunnerLogger } from '../logger';
import { DebouncedWriter } from './debounced-writer';
import { isRecord, readJsonFile, writeJsonFileAtomic } from './json-file';

const FILE_NAME = 'fire-times.json';
const SAVE_INTERVAL_MS = 1_000;
/** Records of pipelines no longer scheduled here are dropped after this long, so the file stays small. */
const STALE_RECORD_MS = 35 * 24 * 60 * 60 * 1000;

interface FireRecordsFile {
  version: 1;
  /** Pipeline id to the instant, in epoch milliseconds, up to which its fires are accounted for. */
  pipelines: Record<string, number>;
}

/**
 * Remembers, per pipeline, the nominal time of its last fire on this agent, or of the last missed
 * fire the misfire policy dealt with. After a restart, a due fire later than the record was missed.
 * Writes are debounced to one per second, so a crash can forget the last second of fires.
 */
export class FireRecords {
  private readonly path: string;
  private readonly records = new Map<string, number>();
  private readonly writer: DebouncedWriter;

  constructor(
    stateDir: string,
    private readonly logger: RunnerLogger,
    private readonly isScheduled: (pipelineId: string) => boolean,
    private readonly now: () => number,
  ) {
    this.path = join(stateDir, FILE_NAME);
    this.writer = new DebouncedWriter('fire times', SAVE_INTERVAL_MS, () => this.save(), logger);
  }

  /** Loads the saved records; a missing file means no pipeline has fired here yet. */
  load(): void {
    let content: unknown;
    try {
      content = readJsonFile(this.path);
    } catch (error: unknown) {
      // Losing the records costs at most one misfire decision per pipeline, so the agent goes on.
      this.logger.warn(`${describeError(error)}; misfires before this start are not detected`);
      return;
    }

    if (content === undefined) {
      return;
    }

    const pipelines = isRecord(content) && isRecord(content.pipelines) ? content.pipelines : {};
    for (const [pipelineId, time] of Object.entries(pipelines)) {
      if (typeof time === 'number' && Number.isFinite(time)) {
        this.records.set(pipelineId, time);
      }
    }
  }

  get(pipelineId: string): number | undefined {
    return this.records.get(pipelineId);
  }

  /** Records a fire time; an older time than the one recorded is ignored. */
  set(pipelineId: string, fireTime: number): void {
    const current = this.records.get(pipelineId);
    if (current !== undefined && current >= fireTime) {
      return;
    }

    this.records.set(pipelineId, fireTime);
    this.writer.markDirty();
  }

  flush(): void {
    this.writer.flush();
  }

  cancel(): void {
    this.writer.cancel();
  }

  private save(): void {
    const staleBefore = this.now() - STALE_RECORD_MS;
    for (const [pipelineId, time] of this.records) {
      if (time < staleBefore && !this.isScheduled(pipelineId)) {
        this.records.delete(pipelineId);
      }
    }

    const file: FireRecordsFile = { version: 1, pipelines: Object.fromEntries(this.records) };
    writeJsonFileAtomic(this.path, file);
  }
}
