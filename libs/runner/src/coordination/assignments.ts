import type { Coordination, EtcdKeys, KeyValue, WatchEvent } from '@ects/etcd';
import type { PipelineSnapshot } from '@ects/domain';

import { describeError } from '../errors';
import type { RunnerLogger } from '../logger';
import { parsePipelineSnapshot } from '../snapshot';
import { PrefixFollower } from './prefix-follower';

export interface AssignmentListener {
  /** A pipeline was assigned to this node, or its snapshot changed. */
  upsert(snapshot: PipelineSnapshot): void;
  /** A pipeline is no longer assigned to this node. */
  remove(pipelineId: string): void;
}

export interface AssignmentsOptions {
  coordination: Coordination;
  keys: EtcdKeys;
  nodeId: string;
  logger: RunnerLogger;
  listener: AssignmentListener;
  /** Called after every change, to save the assignment cache. */
  onChange(): void;
}

/**
 * This node's assignments, mirrored from `<ns>/assignments/<nodeId>/`. Starts from cached snapshots
 * when given, so an agent that restarts while etcd is away still fires; the first read from etcd
 * replaces them.
 */
export class Assignments {
  private readonly pipelines = new Map<string, PipelineSnapshot>();
  private readonly follower: PrefixFollower;

  constructor(private readonly options: AssignmentsOptions) {
    this.follower = new PrefixFollower(
      options.coordination,
      options.keys.assignmentsPrefix(options.nodeId),
      `the assignments of node ${options.nodeId}`,
      { onSnapshot: (entries) => this.replaceAll(entries), onEvent: (event) => this.apply(event) },
      options.logger,
    );
  }

  /** Current snapshots, for the assignment cache. */
  list(): PipelineSnapshot[] {
    return [...this.pipelines.values()];
  }

  get(pipelineId: string): PipelineSnapshot | undefined {
    return this.pipelines.get(pipelineId);
  }

  /** Loads snapshots saved by an earlier run of the agent, before etcd has responded. */
  seed(snapshots: PipelineSnapshot[]): void {
    for (const snapshot of snapshots) {
      this.pipelines.set(snapshot.id, snapshot);
      this.options.listener.upsert(snapshot);
    }
  }

  start(): Promise<void> {
    return this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  private replaceAll(entries: KeyValue[]): void {
    const seen = new Set<string>();

    for (const entry of entries) {
      const snapshot = this.parse(entry.key, entry.value);
      if (snapshot !== undefined) {
        seen.add(snapshot.id);
        this.store(snapshot);
      }
    }

    for (const pipelineId of [...this.pipelines.keys()]) {
      if (!seen.has(pipelineId)) {
        this.pipelines.delete(pipelineId);
        this.options.listener.remove(pipelineId);
      }
    }

    this.options.logger.log(`Node ${this.options.nodeId} has ${this.pipelines.size} assigned pipelines`);
    this.options.onChange();
  }

  private apply(event: WatchEvent): void {
    if (event.type === 'put') {
      const snapshot = this.parse(event.key, event.value);
      if (snapshot !== undefined) {
        this.store(snapshot);
      }
    } else {
      const pipelineId = this.pipelineIdOf(event.key);
      if (pipelineId !== undefined && this.pipelines.delete(pipelineId)) {
        this.options.listener.remove(pipelineId);
      }
    }

    this.options.onChange();
  }

  private store(snapshot: PipelineSnapshot): void {
    this.pipelines.set(snapshot.id, snapshot);
    this.options.listener.upsert(snapshot);
  }

  private parse(key: string, value: string): PipelineSnapshot | undefined {
    const pipelineId = this.pipelineIdOf(key);
    if (pipelineId === undefined) {
      return undefined;
    }

    try {
      const snapshot = parsePipelineSnapshot(value, key);
      if (snapshot.id !== pipelineId) {
        this.options.logger.warn(`Ignoring assignment ${key}: it contains pipeline ${snapshot.id}, not ${pipelineId}`);
        return undefined;
      }

      return snapshot;
    } catch (error: unknown) {
      this.options.logger.warn(`Ignoring assignment ${key}: ${describeError(error)}`);
      return undefined;
    }
  }

  private pipelineIdOf(key: string): string | undefined {
    try {
      return this.options.keys.parseAssignment(key).pipelineId;
    } catch (error: unknown) {
      this.options.logger.warn(`Ignoring key ${key} under the assignments prefix: ${describeError(error)}`);
      return undefined;
    }
  }
}
