import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { NodeRegistration } from '@ects/domain';
import { describeError, EtcdKeys, type Coordination, type Watch, type WatchEvent } from '@ects/etcd';
import { DataSource, In, Not } from 'typeorm';

import { ChangeFeed } from '../infra/changes/change-feed';
import { COORDINATION } from '../infra/coordination/coordination.token';
import { LeadershipService, type LeaderDuty } from '../infra/coordination/leadership.service';
import { NodeEntity } from '../nodes/entities/node.entity';
import { RunEntity } from '../runs/entities/run.entity';
import { LiveEvents } from '../live/live.events';

/**
 * Mirrors node registrations in etcd into the database: a registration makes its node online, its
 * disappearance (the agent's lease ended) makes it offline and turns its running runs into `lost`.
 * Runs only on the leader; a new leader starts with a full resynchronisation.
 */
@Injectable()
export class NodePresence implements LeaderDuty, OnModuleInit {
  readonly name = 'node presence';
  private readonly logger = new Logger(NodePresence.name);
  private watch: Watch | null = null;
  private active = false;
  /** Serialises database updates, so the effects of a put and a later delete never swap. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(COORDINATION) private readonly coordination: Coordination,
    private readonly keys: EtcdKeys,
    private readonly leadership: LeadershipService,
    private readonly changes: ChangeFeed,
    private readonly live: LiveEvents,
  ) {}

  onModuleInit(): void {
    this.leadership.register(this);
  }

  async start(): Promise<void> {
    this.active = true;
    await this.resync();
  }

  async stop(): Promise<void> {
    this.active = false;
    await this.watch?.cancel();
    this.watch = null;
    await this.queue;
  }

  /** Reads every registration, brings the database in line, then watches from the next revision. */
  private async resync(): Promise<void> {
    if (!this.active) {
      return;
    }

    try {
      const snapshot = await this.coordination.getPrefix(this.keys.nodesPrefix());
      const registrations = new Map<string, NodeRegistration>();
      for (const entry of snapshot.entries) {
        const registration = parseRegistration(entry.value);
        if (registration) {
          registrations.set(this.keys.parseNode(entry.key).nodeId, registration);
        }
      }

      await this.enqueue(async () => {
        for (const [nodeId, registration] of registrations) {
          await this.markOnline(nodeId, registration);
        }
        const gone = await this.dataSource
          .getRepository(NodeEntity)
          .findBy({ id: Not(In([...registrations.keys(), ''])), status: In(['online', 'draining']) });
        for (const node of gone) {
          await this.markOffline(node.id);
        }
        await this.sweepLostRuns([...registrations.keys()]);
      });

      this.watch = await this.coordination.watchPrefix(
        this.keys.nodesPrefix(),
        {
          onEvent: (event) => {
            if (this.active) {
              void this.enqueue(() => this.apply(event));
            }
          },
          onReset: (error) => {
            this.logger.warn(`Node watch was reset (${error.message}); reading every registration again`);
            this.watch = null;
            void this.resync();
          },
        },
        { fromRevision: snapshot.revision + 1 },
      );
    } catch (error: unknown) {
      this.logger.warn(`Reading node registrations failed: ${describeError(error)}; retrying in 2 s`);
      setTimeout(() => void this.resync(), 2_000);
    }
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(work).catch((error: unknown) => {
      this.logger.error(
        `Updating node presence failed: ${describeError(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    });

    return this.queue;
  }

  private async apply(event: WatchEvent): Promise<void> {
    const { nodeId } = this.keys.parseNode(event.key);
    if (event.type === 'put') {
      const registration = parseRegistration(event.value);
      if (registration) {
        await this.markOnline(nodeId, registration);
      }

      return;
    }

    await this.markOffline(nodeId);
  }

  private async markOnline(nodeId: string, registration: NodeRegistration): Promise<void> {
    const nodes = this.dataSource.getRepository(NodeEntity);
    const node = await nodes.findOneBy({ id: nodeId });
    if (!node) {
      this.logger.warn(
        `Node ${nodeId} (${registration.name}) registered in etcd but is not in the database; ignoring it`,
      );

      return;
    }

    const wasOffline = node.status === 'offline';
    node.status = node.status === 'draining' ? 'draining' : 'online';
    node.lastSeenAt = new Date();
    node.host = registration.host;
    node.version = registration.version;
    node.os = registration.os;
    await nodes.save(node);

    if (wasOffline) {
      this.logger.log(`Node ${node.name} (${nodeId}) is online, agent ${registration.version}`);
      this.changes.emit({ kind: 'node', nodeId });
    }
    this.live.node(node);
  }

  private async markOffline(nodeId: string): Promise<void> {
    const nodes = this.dataSource.getRepository(NodeEntity);
    const node = await nodes.findOneBy({ id: nodeId });
    if (!node || node.status === 'offline') {
      return;
    }

    node.status = 'offline';
    node.lastSeenAt = new Date();
    await nodes.save(node);
    const lost = await this.loseRunsOf(nodeId);
    this.logger.log(`Node ${node.name} (${nodeId}) is offline; ${lost} running runs marked lost`);
    this.live.node(node);
  }

  /** Turns the running runs of nodes not in `onlineNodeIds` into lost runs, after a leader change. */
  private async sweepLostRuns(onlineNodeIds: string[]): Promise<void> {
    const orphaned = await this.dataSource
      .getRepository(RunEntity)
      .createQueryBuilder('run')
      .select('DISTINCT run.node_id', 'nodeId')
      .where('run.status = :status', { status: 'running' })
      .getRawMany<{ nodeId: string | null }>();
    for (const { nodeId } of orphaned) {
      if (nodeId !== null && !onlineNodeIds.includes(nodeId)) {
        await this.loseRunsOf(nodeId);
      }
    }
  }

  private async loseRunsOf(nodeId: string): Promise<number> {
    const runs = this.dataSource.getRepository(RunEntity);
    const running = await runs.findBy({ nodeId, status: 'running' });
    if (running.length === 0) {
      return 0;
    }

    const finishedAt = new Date();
    await runs.update(
      { nodeId, status: 'running' },
      {
        status: 'lost',
        finishedAt,
        exitSummary: 'The node went offline while the run was going; its agent may still report the outcome',
      },
    );
    for (const run of running) {
      this.live.run({ ...run, status: 'lost', finishedAt });
    }

    return running.length;
  }
}

function parseRegistration(value: string): NodeRegistration | null {
  try {
    return JSON.parse(value) as NodeRegistration;
  } catch {
    return null;
  }
}
