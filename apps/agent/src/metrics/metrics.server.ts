import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { NodeHealth } from '@ects/domain';

import { AgentService } from '../agent.service';
import { AGENT_SETTINGS, type AgentSettings } from '../config/settings';
import { AgentMetrics } from './agent-metrics';

/**
 * Serves `/metrics` in the Prometheus text format, `/health` (liveness) and `/health/ready`
 * (readiness) on the agent's metrics address. A port that is taken is logged and the agent runs
 * without the server, because running pipelines matters more than exporting metrics.
 */
@Injectable()
export class MetricsServer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server: Server | undefined;

  constructor(
    @Inject(AGENT_SETTINGS) private readonly settings: AgentSettings,
    private readonly metrics: AgentMetrics,
    private readonly agent: AgentService,
  ) {}

  /** Listens before the engine starts, so probes get a response while it registers. */
  async onModuleInit(): Promise<void> {
    const address = this.settings.metricsAddress;
    if (address === null) {
      this.logger.log('Metrics server is off (--metrics-address off)');
      return;
    }

    const server = createServer((request, response) => void this.handle(request, response));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(address.port, address.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error: unknown) {
      this.logger.error(
        `Metrics server failed to listen on ${address.host}:${address.port}: ` +
          `${error instanceof Error ? error.message : String(error)}; the agent runs without it. ` +
          'Choose another address with --metrics-address or ECTS_METRICS_ADDRESS',
      );
      return;
    }

    this.server = server;
    const bound = server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
    this.logger.log(
      `Metrics and health served on http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}/metrics`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) {
      return;
    }

    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      this.send(response, 405, 'text/plain', 'Only GET is supported\n');
      return;
    }

    switch (path) {
      case '/metrics':
        try {
          this.send(response, 200, this.metrics.contentType, await this.metrics.scrape());
        } catch (error: unknown) {
          const reason = error instanceof Error ? error.message : String(error);
          this.logger.error(`Collecting metrics failed: ${reason}`, error instanceof Error ? error.stack : undefined);
          this.send(response, 500, 'text/plain', `Collecting metrics failed: ${reason}\n`);
        }
        return;
      case '/health':
        this.sendHealth(response, this.agent.liveness());
        return;
      case '/health/ready':
        this.sendHealth(response, this.agent.readiness());
        return;
      default:
        this.send(response, 404, 'text/plain', 'Not found; the agent serves /metrics, /health and /health/ready\n');
    }
  }

  private sendHealth(response: ServerResponse, health: NodeHealth): void {
    this.send(response, health.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(health));
  }

  private send(response: ServerResponse, status: number, contentType: string, body: string): void {
    response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
    response.end(body);
  }
}
