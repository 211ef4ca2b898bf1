import { readFileSync } from 'node:fs';

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EtcdKeys, Etcd3Coordination } from '@ects/etcd';
import type { NodeHealth } from '@ects/domain';
import { countCoordinationErrors, createAgent, createFieldLogger, type Agent } from '@ects/runner';

import { AGENT_SETTINGS, settingVariables, type AgentSettings } from './config/settings';
import { IdentityService } from './identity/identity.service';
import { AgentMetrics } from './metrics/agent-metrics';
import { NODE_FACTS, type NodeFacts } from './node-facts';

/**
 * Environment that shell steps start from: the agent's own, without the agent's settings, so an
 * enrollment token or etcd password never reaches a job.
 */
export function stepEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const hidden = new Set(settingVariables());

  return Object.fromEntries(Object.entries(env).filter(([name]) => !hidden.has(name)));
}

/** Runs the agent engine for the lifetime of the Nest application context. */
@Injectable()
export class AgentService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AgentService.name);
  private coordination: Etcd3Coordination | undefined;
  private agent: Agent | undefined;
  private readonly startedAt = new Date();

  constructor(
    @Inject(AGENT_SETTINGS) private readonly settings: AgentSettings,
    @Inject(NODE_FACTS) private readonly facts: NodeFacts,
    private readonly identities: IdentityService,
    private readonly metrics: AgentMetrics,
  ) {}

  /** Reports the process alive while the node identity is still being resolved, which can take an enrollment. */
  liveness(): NodeHealth {
    return this.agent?.liveness() ?? this.notCreated('up');
  }

  readiness(): NodeHealth {
    return this.agent?.readiness() ?? this.notCreated('down');
  }

  async onApplicationBootstrap(): Promise<void> {
    const { settings, facts } = this;

    const identity = await this.identities.resolve();
    const keys = new EtcdKeys(settings.etcdNamespace);

    this.coordination = new Etcd3Coordination({
      endpoints: settings.etcdEndpoints,
      keys,
      logger: new Logger(Etcd3Coordination.name),
      ...(settings.etcdUsername !== undefined && settings.etcdPassword !== undefined
        ? { auth: { username: settings.etcdUsername, password: settings.etcdPassword } }
        : {}),
      ...(settings.etcdCaFile !== undefined ? { caCertificate: readFileSync(settings.etcdCaFile) } : {}),
    });
    this.agent = createAgent({
      coordination: countCoordinationErrors(this.coordination, (operation, code) =>
        this.metrics.etcdError(operation, code),
      ),
      keys,
      logger: createFieldLogger(new Logger('AgentEngine')),
      metrics: this.metrics.runner,
      apiUrl: settings.apiUrl,
      identity: { nodeId: identity.nodeId, credential: identity.credential },
      name: settings.name,
      host: facts.host,
      labels: settings.labels,
      version: facts.version,
      os: facts.os,
      stateDir: settings.stateDir,
      maxConcurrentRuns: settings.maxConcurrentRuns,
      leaseTtlSeconds: settings.leaseTtlSeconds,
      shutdownGraceSeconds: settings.shutdownGraceSeconds,
      baseEnvironment: stepEnvironment(process.env),
    });
    const agent = this.agent;
    this.metrics.attach(() => agent.status());

    this.logger.log(
      `Starting agent ${facts.version} as node ${identity.nodeId} (${settings.name}) with etcd ${settings.etcdEndpoints.join(',')} ` +
        `under ${settings.etcdNamespace} and the API at ${settings.apiUrl}`,
    );
    await this.agent.start();
  }

  private notCreated(engine: 'up' | 'down'): NodeHealth {
    return {
      status: engine === 'up' ? 'ok' : 'error',
      details: { engine: { status: engine, message: 'the agent engine is not created yet' } },
      since: this.startedAt.toISOString(),
    };
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    await this.agent?.stop(signal === undefined ? 'shutdown' : `received ${signal}`);
    await this.coordination?.close();
  }
}
