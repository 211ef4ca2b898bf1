import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EtcdKeys, Etcd3Coordination } from '@ects/etcd';
import { createAgent, type Agent } from '@ects/runner';

import { AGENT_SETTINGS, settingVariables, type AgentSettings } from './config/settings';
import { IdentityService } from './identity/identity.service';
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

  constructor(
    @Inject(AGENT_SETTINGS) private readonly settings: AgentSettings,
    @Inject(NODE_FACTS) private readonly facts: NodeFacts,
    private readonly identities: IdentityService,
  ) {}

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
    });
    this.agent = createAgent({
      coordination: this.coordination,
      keys,
      logger: new Logger('AgentEngine'),
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

    this.logger.log(
      `Starting agent ${facts.version} as node ${identity.nodeId} (${settings.name}) with etcd ${settings.etcdEndpoints.join(',')} ` +
        `under ${settings.etcdNamespace} and the API at ${settings.apiUrl}`,
    );
    await this.agent.start();
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    await this.agent?.stop(signal === undefined ? 'shutdown' : `received ${signal}`);
    await this.coordination?.close();
  }
}
