import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AGENT_NAMESPACE, LIVE_NAMESPACE, type NodeRegistration } from '@ects/domain';
import { EtcdKeys, RateLimitedWarning, describeError, type Coordination } from '@ects/etcd';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';

import { NodeEntity } from '../../nodes/entities/node.entity';
import { COORDINATION } from '../coordination/coordination.token';
import { LeadershipService } from '../coordination/leadership.service';
import { ApiMetrics } from './api-metrics';
import { SocketProbeGateway } from './socket-probe.gateway';

const WARNING_INTERVAL_MS = 60_000;
/** Time a scrape waits for the node list or the registrations, so a stalled dependency does not stall it. */
const READ_TIMEOUT_MS = 2_000;

/** The parts of a mysql2 pool that the pool gauges read. */
interface MysqlPoolInternals {
  config: { connectionLimit: number };
  _allConnections: { length: number };
  _freeConnections: { length: number };
  _connectionQueue: { length: number };
}

/**
 * Registers the gauges that are read on each scrape: leadership, Socket.IO connections, the
 * database pool, and the nodes with their status.
 */
@Injectable()
export class MetricsCollectors implements OnModuleInit {
  private readonly logger = new Logger(MetricsCollectors.name);
  private readonly nodeFailures = new RateLimitedWarning(this.logger, WARNING_INTERVAL_MS);
  private readonly registrationFailures = new RateLimitedWarning(this.logger, WARNING_INTERVAL_MS);

  constructor(
    private readonly metrics: ApiMetrics,
    private readonly leadership: LeadershipService,
    private readonly sockets: SocketProbeGateway,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(COORDINATION) private readonly coordination: Coordination,
    private readonly keys: EtcdKeys,
  ) {}

  onModuleInit(): void {
    const registers = [this.metrics.registry];
    const leadership = this.leadership;
    const sockets = this.sockets;
    const pool = (): MysqlPoolInternals | undefined => this.mysqlPool();
    const readNodes = (): Promise<NodeEntity[] | undefined> => this.readNodes();
    const readRegistrations = (): Promise<NodeRegistration[] | undefined> => this.readRegistrations();

    new Gauge({
      name: 'ects_api_leader',
      help: '1 while this API replica leads and runs the singleton duties (node presence, reconcile, retention)',
      registers,
      collect() {
        this.set(Number(leadership.isLeader));
      },
    });
    new Gauge({
      name: 'ects_socketio_connections',
      help: 'Open Socket.IO connections, by namespace (/agents for agents, /live for browsers)',
      labelNames: ['namespace'],
      registers,
      collect() {
        for (const namespace of [AGENT_NAMESPACE, LIVE_NAMESPACE]) {
          this.set({ namespace }, sockets.connections(namespace));
        }
      },
    });
    new Gauge({
      name: 'ects_db_pool_connections',
      help: 'Connections of the MySQL pool, by state (in_use, idle); absent on SQLite',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        const current = pool();
        if (current !== undefined) {
          this.set({ state: 'in_use' }, current._allConnections.length - current._freeConnections.length);
          this.set({ state: 'idle' }, current._freeConnections.length);
        }
      },
    });
    new Gauge({
      name: 'ects_db_pool_max_connections',
      help: 'Size limit of the MySQL pool; absent on SQLite',
      registers,
      collect() {
        this.reset();
        const current = pool();
        if (current !== undefined) {
          this.set(current.config.connectionLimit);
        }
      },
    });
    new Gauge({
      name: 'ects_db_pool_waiting_requests',
      help: 'Queries waiting for a free connection of the MySQL pool; absent on SQLite',
      registers,
      collect() {
        this.reset();
        const current = pool();
        if (current !== undefined) {
          this.set(current._connectionQueue.length);
        }
      },
    });
    new Gauge({
      name: 'ects_node_online',
      help: '1 while a node is online or draining, 0 while it is offline, by node name',
      labelNames: ['node'],
      registers,
      async collect() {
        this.reset();
        for (const node of (await readNodes()) ?? []) {
          this.set({ node: node.name }, Number(node.status !== 'offline'));
        }
      },
    });
    new Gauge({
      name: 'ects_node_ready',
      help: '1 while a registered agent reports itself ready in its registration, 0 while it reports a failed check',
      labelNames: ['node'],
      registers,
      async collect() {
        this.reset();
        for (const registration of (await readRegistrations()) ?? []) {
          if (registration.health !== undefined) {
            this.set({ node: registration.name }, Number(registration.health.status === 'ok'));
          }
        }
      },
    });
  }

  /**
   * Returns the mysql2 pool behind TypeORM, or undefined on SQLite.
   * NOTE: these are private fields of mysql2 3.x; a mysql2 upgrade that renames them empties the pool gauges.
   */
  private mysqlPool(): MysqlPoolInternals | undefined {
    const pool = (this.dataSource.driver as { pool?: Partial<MysqlPoolInternals> }).pool;
    if (
      pool?._allConnections === undefined ||
      pool._freeConnections === undefined ||
      pool._connectionQueue === undefined
    ) {
      return undefined;
    }

    return pool as MysqlPoolInternals;
  }

  /** Reads every node; a failed read leaves the node gauge empty for this scrape instead of failing it. */
  private async readNodes(): Promise<NodeEntity[] | undefined> {
    try {
      return await withTimeout(
        this.dataSource.getRepository(NodeEntity).find({ select: { name: true, status: true } }),
      );
    } catch (error: unknown) {
      this.nodeFailures.warn(`Reading the nodes for the metrics failed: ${describeError(error)}`);

      return undefined;
    }
  }

  /** Reads the agents' registrations from etcd; a failed read leaves the readiness gauge empty. */
  private async readRegistrations(): Promise<NodeRegistration[] | undefined> {
    try {
      const snapshot = await withTimeout(this.coordination.getPrefix(this.keys.nodesPrefix()));

      return snapshot.entries.flatMap((entry) => {
        try {
          return [JSON.parse(entry.value) as NodeRegistration];
        } catch (error: unknown) {
          this.registrationFailures.warn(`Ignoring registration ${entry.key}: ${describeError(error)}`);

          return [];
        }
      });
    } catch (error: unknown) {
      this.registrationFailures.warn(`Reading the registrations for the metrics failed: ${describeError(error)}`);

      return undefined;
    }
  }
}

/** Rejects when `promise` has not settled within READ_TIMEOUT_MS. */
async function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${READ_TIMEOUT_MS} ms`)), READ_TIMEOUT_MS);
  });

  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
