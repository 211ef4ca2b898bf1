import { join } from 'node:path';

import type { PipelineSnapshot } from '@ects/domain';

import { describeError } from '../errors';
import type { RunnerLogger } from '../logger';
import { toPipelineSnapshot } from '../snapshot';
import { DebouncedWriter } from './debounced-writer';
import { isRecord, readJsonFile, writeJsonFileAtomic } from './json-file';

const FILE_NAME = 'assignments.json';
const SAVE_INTERVAL_MS = 500;

interface AssignmentCacheFile {
  version: 1;
  savedAt: string;
  pipelines: PipelineSnapshot[];
}

/**
 * A copy of this node's assignments in the state directory, so an agent that restarts while etcd
 * is unreachable still fires what it was assigned. The file contains step environments, secrets
 * included, so it is readable by the agent's user only.
 */
export class AssignmentCache {
  private readonly path: string;
  private readonly writer: DebouncedWriter;
  private current: () => PipelineSnapshot[] = () => [];

  constructor(
    stateDir: string,
    private readonly logger: RunnerLogger,
  ) {
    this.path = join(stateDir, FILE_NAME);
    this.writer = new DebouncedWriter('the assignment cache', SAVE_INTERVAL_MS, () => this.save(), logger);
  }

  /** Reads the cached snapshots; a missing or unreadable file yields none. */
  load(): PipelineSnapshot[] {
    let content: unknown;
    try {
      content = readJsonFile(this.path);
    } catch (error: unknown) {
      this.logger.warn(`Ignoring the assignment cache: ${describeError(error)}`);
      return [];
    }

    if (!isRecord(content) || !Array.isArray(content.pipelines)) {
      return [];
    }

    const snapshots: PipelineSnapshot[] = [];
    for (const value of content.pipelines as unknown[]) {
      try {
        snapshots.push(toPipelineSnapshot(value, this.path));
      } catch (error: unknown) {
        this.logger.warn(`Ignoring a cached assignment: ${describeError(error)}`);
      }
    }

    return snapshots;
  }

  /** Schedules a save of what `source` returns at save time. */
  track(source: () => PipelineSnapshot[]): void {
    this.current = source;
  }

  markDirty(): void {
    this.writer.markDirty();
  }

  flush(): void {
    this.writer.flush();
  }

  cancel(): void {
    this.writer.cancel();
  }

  private save(): void {
    const file: AssignmentCacheFile = { version: 1, savedAt: new Date().toISOString(), pipelines: this.current() };
    writeJsonFileAtomic(this.path, file);
  }
}
