import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { PipelineSnapshot } from '@ects/domain';
import { describeError, EtcdKeys, type Coordination } from '@ects/etcd';

import { APP_CONFIG, type AppConfig } from '../infra/config/config';
import { COORDINATION } from '../infra/coordination/coordination.token';
import { LeadershipService, type LeaderDuty } from '../infra/coordination/leadership.service';
import { AssignmentPublisher } from './assignment.publisher';
import { SnapshotBuilder } from './snapshot.builder';

export interface ReconcileReport {
  written: number;
  deleted: number;
  unchanged: number;
}

/**
 * Compares every assignment in etcd with the snapshots built from the database and repairs the
 * difference, at leadership start and then periodically, so etcd can be rebuilt from the database.
 */
@Injectable()
export class Reconciler implements LeaderDuty, OnModuleInit {
  readonly name = 'assignment reconcile';
  private readonly logger = new Logger(Reconciler.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ReconcileReport | null> | null = null;

  constructor(
    @Inject(COORDINATION) private readonly coordination: Coordination,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: EtcdKeys,
    private readonly builder: SnapshotBuilder,
    private readonly publisher: AssignmentPublisher,
    private readonly leadership: LeadershipService,
  ) {}

  onModuleInit(): void {
    this.leadership.register(this);
  }

  async start(): Promise<void> {
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), this.config.reconcileIntervalSeconds * 1000);
  }

  stop(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }

    return Promise.resolve();
  }

  /** Runs one reconcile, or joins the one in progress; resolves to null when it failed. */
  reconcile(): Promise<ReconcileReport | null> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });

    return this.running;
  }

  private async run(): Promise<ReconcileReport | null> {
    try {
      const snapshot = await this.coordination.getPrefix(this.keys.allAssignmentsPrefix());
      const desired = await this.builder.build();
      const actual = new Map<string, string>();
      for (const entry of snapshot.entries) {
        actual.set(entry.key, entry.value);
      }

      const report: ReconcileReport = { written: 0, deleted: 0, unchanged: 0 };
      const published = new Map<string, Set<string>>();
      const wanted = new Set<string>();
      for (const pipeline of desired.values()) {
        if (!pipeline.enabled) {
          continue;
        }
        const value = JSON.stringify(pipeline);
        for (const nodeId of pipeline.nodeIds) {
          const key = this.keys.assignment(nodeId, pipeline.id);
          wanted.add(key);
          published.set(pipeline.id, (published.get(pipeline.id) ?? new Set()).add(nodeId));
          if (sameSnapshot(actual.get(key), pipeline)) {
            report.unchanged += 1;
          } else {
            await this.coordination.put(key, value);
            report.written += 1;
          }
        }
      }
      for (const key of actual.keys()) {
        if (!wanted.has(key)) {
          await this.coordination.delete(key);
          report.deleted += 1;
        }
      }

      this.publisher.rememberPublished(published);
      if (report.written > 0 || report.deleted > 0) {
        this.logger.log(
          `Reconcile repaired assignments: ${report.written} written, ${report.deleted} deleted, ${report.unchanged} already right`,
        );
      }

      return report;
    } catch (error: unknown) {
      this.logger.warn(
        `Reconcile of assignments failed: ${describeError(error)}; the next one runs in ${this.config.reconcileIntervalSeconds} s`,
      );

      return null;
    }
  }
}

function sameSnapshot(stored: string | undefined, desired: PipelineSnapshot): boolean {
  return stored !== undefined && stored === JSON.stringify(desired);
}
