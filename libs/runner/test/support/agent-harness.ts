import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EtcdKeys, MemoryCoordination, MemoryStore } from '@ects/etcd';
import type { AgentCommand, PipelineSnapshot } from '@ects/domain';

import { createAgent, type Agent } from '../../src/agent';
import type { Clock } from '../../src/clock';
import type { AgentOptions } from '../../src/options';
import { TestApi } from './test-api';
import { TestLogger } from './test-logger';

export const CREDENTIAL = 'secret';

export interface TestAgent {
  agent: Agent;
  nodeId: string;
  coordination: MemoryCoordination;
  logger: TestLogger;
  stateDir: string;
}

/**
 * One test's world: a shared in-process etcd store, a Socket.IO server standing in for the API, and
 * the agents started on them. cleanUp() stops every agent and removes their state directories.
 */
export class AgentWorld {
  readonly store: MemoryStore;
  readonly keys = new EtcdKeys('/ects-test');
  readonly admin: MemoryCoordination;
  private readonly agents: TestAgent[] = [];
  private readonly directories: string[] = [];
  private readonly apis: TestApi[] = [];

  /** @param historyLimit watch events the store keeps; a small one makes watches reset. */
  constructor(historyLimit?: number) {
    this.store = new MemoryStore(historyLimit === undefined ? {} : { historyLimit });
    this.admin = new MemoryCoordination({ store: this.store, keys: this.keys, logger: new TestLogger() });
  }

  async startApi(port?: number): Promise<TestApi> {
    const api = await TestApi.start(port === undefined ? {} : { port });
    this.apis.push(api);

    return api;
  }

  newStateDir(): string {
    const directory = mkdtempSync(join(tmpdir(), 'ects-agent-'));
    this.directories.push(directory);

    return directory;
  }

  /** Creates an agent on this world's store; it is not started. */
  createAgent(
    apiUrl: string,
    options: {
      nodeId?: string;
      stateDir?: string;
      clock?: Clock;
      coordination?: MemoryCoordination;
    } & Partial<AgentOptions> = {},
  ): TestAgent {
    const nodeId = options.nodeId ?? `node-${this.agents.length + 1}`;
    const logger = new TestLogger();
    const coordination = options.coordination ?? new MemoryCoordination({ store: this.store, keys: this.keys, logger });
    const stateDir = options.stateDir ?? this.newStateDir();
    const agent = createAgent({
      shutdownGraceSeconds: 2,
      killGraceSeconds: 1,
      spoolFlushTimeoutMs: 2_000,
      ...options,
      coordination,
      keys: this.keys,
      logger,
      apiUrl,
      identity: { nodeId, credential: CREDENTIAL },
      name: `${nodeId}-name`,
      host: 'test-host',
      labels: { env: 'test' },
      version: '0.0.0-test',
      os: 'linux',
      stateDir,
      baseEnvironment: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    const created = { agent, nodeId, coordination, logger, stateDir };
    this.agents.push(created);

    return created;
  }

  async startAgent(apiUrl: string, options: Parameters<AgentWorld['createAgent']>[1] = {}): Promise<TestAgent> {
    const created = this.createAgent(apiUrl, options);
    await created.agent.start();

    return created;
  }

  async assign(nodeId: string, snapshot: PipelineSnapshot): Promise<void> {
    await this.admin.put(this.keys.assignment(nodeId, snapshot.id), JSON.stringify(snapshot));
  }

  async unassign(nodeId: string, pipelineId: string): Promise<void> {
    await this.admin.delete(this.keys.assignment(nodeId, pipelineId));
  }

  async command(nodeId: string, command: AgentCommand): Promise<string> {
    const key = this.keys.command(nodeId, command.commandId);
    await this.admin.put(key, JSON.stringify(command));

    return key;
  }

  async cleanUp(): Promise<void> {
    for (const { agent } of this.agents) {
      await agent.stop('test finished');
    }
    for (const { coordination } of this.agents) {
      await coordination.close();
    }
    for (const api of this.apis) {
      await api.close();
    }
    await this.admin.close();
    for (const directory of this.directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  }
}
