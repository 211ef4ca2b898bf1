import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PipelineSnapshot } from '@ects/domain';
import { describeError, EtcdKeys, type Coordination } from '@ects/etcd';
import { DataSource, IsNull, Not } from 'typeorm';

import { ChangeFeed, type Change } from '../infra/changes/change-feed';
import { COORDINATION } from '../infra/coordination/coordination.token';
import { PipelineNodeEntity } from '../pipelines/entities/pipeline-node.entity';
import { PipelineEntity } from '../pipelines/entities/pipeline.entity';
import { SnapshotBuilder } from './snapshot.builder';

const RETRY_DELAY_MS = 2_000;

/**
 * Writes pipeline snapshots under the assignments prefix of every node they run on, as soon as a
 * change commits, and deletes them from nodes that no longer run them. Work is coalesced per
 * pipeline and done one pipeline at a time, so two quick edits never race. A failed write is retried,
 * and the leader's periodic reconcile repairs anything left over.
 */
@Injectable()
export class AssignmentPublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AssignmentPublisher.name);
  /** Nodes each pipeline was last published to by this replica, or seen on by a reconcile. */
  private readonly published = new Map<string, Set<string>>();
  private readonly pending = new Set<string>();
  private draining: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(COORDINATION) private readonly coordination: Coordination,
    private readonly keys: EtcdKeys,
    private readonly builder: SnapshotBuilder,
    private readonly changes: ChangeFeed,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.changes.subscribe((change) => this.onChange(change));
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
    }
  }

  /** Replaces what this replica believes is published, after a reconcile read the real state. */
  rememberPublished(state: Map<string, Set<string>>): void {
    this.published.clear();
    for (const [pipelineId, nodeIds] of state) {
      this.published.set(pipelineId, new Set(nodeIds));
    }
  }

  /** Resolves once every pending publication has been attempted. */
  async settled(): Promise<void> {
    while (this.draining) {
      await this.draining;
    }
  }

  private async onChange(change: Change): Promise<void> {
    switch (change.kind) {
      case 'pipelines':
        this.schedule(change.pipelineIds);
        break;
      case 'pipeline_deleted': {
        const nodeIds = this.published.get(change.pipelineId) ?? new Set<string>();
        change.nodeIds.forEach((nodeId) => nodeIds.add(nodeId));
        this.published.set(change.pipelineId, nodeIds);
        this.schedule([change.pipelineId]);
        break;
      }
      case 'node':
        this.schedule(await this.pipelinesAffectedByNode(change.nodeId));
        break;
      case 'node_deleted':
        await this.coordination.deletePrefix(this.keys.assignmentsPrefix(change.nodeId)).catch((error: unknown) => {
          this.logger.warn(
            `Removing the assignments of deleted node ${change.nodeId} failed: ${describeError(error)}; reconcile will retry`,
          );
        });
        this.schedule(await this.pipelinesAffectedByNode(change.nodeId));
        break;
    }
  }

  /** Pipelines whose node set may change with a node: those bound to it, on it, or with a label selector. */
  private async pipelinesAffectedByNode(nodeId: string): Promise<string[]> {
    const ids = new Set<string>();
    const bound = await this.dataSource.getRepository(PipelineNodeEntity).findBy({ nodeId });
    bound.forEach((binding) => ids.add(binding.pipelineId));
    const selecting = await this.dataSource
      .getRepository(PipelineEntity)
      .find({ select: { id: true }, where: { nodeSelector: Not(IsNull()) } });
    selecting.forEach((pipeline) => ids.add(pipeline.id));
    for (const [pipelineId, nodeIds] of this.published) {
      if (nodeIds.has(nodeId)) {
        ids.add(pipelineId);
      }
    }

    return [...ids];
  }

  private schedule(pipelineIds: string[]): void {
    pipelineIds.forEach((id) => this.pending.add(id));
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      const batch = [...this.pending];
      this.pending.clear();

      const snapshots = await this.builder.build(batch).catch((error: unknown) => {
        this.logger.warn(`Loading ${batch.length} pipelines to publish failed: ${describeError(error)}`);

        return null;
      });
      if (!snapshots) {
        this.retryLater(batch);

        return;
      }

      const failed: string[] = [];
      for (const pipelineId of batch) {
        const ok = await this.publish(pipelineId, snapshots.get(pipelineId) ?? null);
        if (!ok) {
          failed.push(pipelineId);
        }
      }
      if (failed.length > 0) {
        this.retryLater(failed);
      }
    }
  }

  private retryLater(pipelineIds: string[]): void {
    if (this.retryTimer) {
      pipelineIds.forEach((id) => this.pending.add(id));

      return;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.schedule(pipelineIds);
    }, RETRY_DELAY_MS);
  }

  /** Publishes one pipeline, or removes it everywhere when it is gone or disabled; returns false on failure. */
  private async publish(pipelineId: string, snapshot: PipelineSnapshot | null): Promise<boolean> {
    const desired = new Set(snapshot?.enabled ? snapshot.nodeIds : []);
    const previous = new Set([
      ...(this.published.get(pipelineId) ?? []),
      ...(await this.nodesOfPublishedCopy(pipelineId, desired)),
    ]);

    try {
      const value = snapshot ? JSON.stringify(snapshot) : '';
      for (const nodeId of desired) {
        await this.coordination.put(this.keys.assignment(nodeId, pipelineId), value);
      }
      for (const nodeId of previous) {
        if (!desired.has(nodeId)) {
          await this.coordination.delete(this.keys.assignment(nodeId, pipelineId));
        }
      }
    } catch (error: unknown) {
      this.logger.warn(
        `Publishing pipeline ${pipelineId} failed: ${describeError(error)}; retrying in ${RETRY_DELAY_MS} ms`,
      );

      return false;
    }

    if (desired.size === 0) {
      this.published.delete(pipelineId);
    } else {
      this.published.set(pipelineId, desired);
    }
    this.logger.debug?.(`Published pipeline ${pipelineId} v${snapshot?.version ?? '-'} to ${desired.size} nodes`);

    return true;
  }

  /**
   * Reads the node list of a copy that is already published. Another replica may have published the
   * pipeline, and every copy carries the full node list, so one copy is enough to find all copies.
   */
  private async nodesOfPublishedCopy(pipelineId: string, candidates: Set<string>): Promise<string[]> {
    for (const nodeId of [...candidates, ...(this.published.get(pipelineId) ?? [])]) {
      const entry = await this.coordination.get(this.keys.assignment(nodeId, pipelineId)).catch(() => undefined);
      if (entry) {
        try {
          return (JSON.parse(entry.value) as PipelineSnapshot).nodeIds;
        } catch {
          return [];
        }
      }
    }

    return [];
  }
}
