import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, platform, release } from 'node:os';
import { join } from 'node:path';

import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { EtcdKeys, type Coordination } from '@ects/etcd';
import { createAgent, createFieldLogger, type Agent, type AgentIdentity } from '@ects/runner';
import { v7 as uuidv7 } from 'uuid';
import { DataSource } from 'typeorm';

import { APP_CONFIG, type AppConfig } from '../infra/config/config';
import { COORDINATION } from '../infra/coordination/coordination.token';
import { ApiMetrics } from '../infra/metrics/api-metrics';
import { API_VERSION } from '../infra/version';
import { NodeEntity } from '../nodes/entities/node.entity';
import { generateSecret } from '../tokens/token-secret';
import { EMBEDDED_NODE_NAME } from './embedded-node';

const CREDENTIAL_PREFIX = 'ectsn_';

/**
 * Runs an agent inside the API process in embedded mode, on the in-process coordination adapter,
 * so one `npm start` runs pipelines with neither etcd nor MySQL. It reports over the same Socket.IO
 * protocol as any agent, to the API's own port, and keeps its identity and spool under the data
 * directory.
 */
@Injectable()
export class EmbeddedAgent implements BeforeApplicationShutdown {
  private readonly logger = new Logger(EmbeddedAgent.name);
  private agent: Agent | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(COORDINATION) private readonly coordination: Coordination,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: EtcdKeys,
    private readonly metrics: ApiMetrics,
  ) {}

  /** Starts the agent when embedded mode wants one; call it once the API listens. */
  async start(): Promise<void> {
    if (!this.config.embeddedAgent || this.agent) {
      return;
    }

    const stateDir = join(this.config.dataDir, 'agent');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const identity = await this.identity(stateDir);
    const node = await this.dataSource.getRepository(NodeEntity).findOneByOrFail({ id: identity.nodeId });

    this.agent = createAgent({
      coordination: this.coordination,
      keys: this.keys,
      logger: createFieldLogger(new Logger('Agent')),
      metrics: this.metrics.runner,
      apiUrl: this.config.publicUrl,
      identity,
      name: node.name,
      host: hostname(),
      labels: node.labels,
      version: API_VERSION,
      os: `${platform()} ${release()}`,
      stateDir,
      baseEnvironment: withoutEctsSettings(process.env),
    });
    const agent = this.agent;
    this.metrics.attachAgent(() => agent.status());
    await this.agent.start();
    this.logger.log(`Embedded agent runs as node ${node.name} (${node.id})`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.agent?.stop('API shutdown');
    this.agent = null;
  }

  /**
   * Reads the agent's identity from its state directory, or creates the `local` node with a fresh
   * credential the first time. A lost identity file gets a new credential for the same node.
   */
  private async identity(stateDir: string): Promise<AgentIdentity> {
    const path = join(stateDir, 'identity.json');
    if (existsSync(path)) {
      const stored = JSON.parse(readFileSync(path, 'utf8')) as AgentIdentity;
      if (await this.dataSource.getRepository(NodeEntity).existsBy({ id: stored.nodeId })) {
        return stored;
      }
    }

    const credential = generateSecret(CREDENTIAL_PREFIX);
    const nodes = this.dataSource.getRepository(NodeEntity);
    const node =
      (await nodes.findOneBy({ name: EMBEDDED_NODE_NAME })) ??
      nodes.create({
        id: uuidv7(),
        name: EMBEDDED_NODE_NAME,
        labels: {},
        status: 'offline',
        lastSeenAt: null,
        version: '',
        os: '',
      });
    node.host = hostname();
    node.credentialHash = credential.hash;
    await nodes.save(node);

    const identity: AgentIdentity = { nodeId: node.id, credential: credential.secret };
    writeFileSync(path, `${JSON.stringify(identity)}\n`, { mode: 0o600 });

    return identity;
  }
}

/** Shell steps of the embedded agent must not inherit the API's own settings, such as its secrets. */
function withoutEctsSettings(environment: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(environment).filter(([name]) => !name.startsWith('ECTS_')));
}
