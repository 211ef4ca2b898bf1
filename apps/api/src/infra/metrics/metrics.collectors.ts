import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AGENT_NAMESPACE, LIVE_NAMESPACE } from '@ects/domain';
import { RateLimitedWarning, describeError } from '@ects/etcd';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';

import { NodeEntity } from '../../nodes/entities/node.entity';
import { LeadershipService } from '../coordination/leadership.service';
import { ApiMetrics } from './api-metrics';
import { SocketProbeGateway } from './socket-probe.gateway';

const WARNING_INTERVAL_MS = 60_000;
/** Time a scrape waits for the node list, so a stalled database does not stall the scrape. */
const NODE_READ_TIMEOUT_MS = 2_000;

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

  constructor(
    private readonly metrics: ApiMetrics,
    private readonly leadership: LeadershipService,
    private readonly sockets: SocketProbeGateway,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    const registers = [this.metrics.registry];
    const leadership = this.leadership;
    const sockets = this.sockets;
    const pool = (): MysqlPoolInternals | undefined => this.mysqlPool();
    const readNodes = (): Promise<NodeEntity[] | undefined> => this.readNodes();

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
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no result within ${NODE_READ_TIMEOUT_MS} ms`)), NODE_READ_TIMEOUT_MS);
    });

    try {
      const query = this.dataSource.getRepository(NodeEntity).find({ select: { name: true, status: true } });

      return await Promise.race([query, timeout]);
    } catch (error: unknown) {
      this.nodeFailures.warn(`Reading the nodes for the metrics failed: ${describeError(error)}`);

      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
