import { Inject, Injectable } from '@nestjs/common';
import { createRunnerMetrics, type AgentStatus, type RunnerMetrics } from '@ects/runner';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

import { APP_CONFIG, type AppConfig } from '../config/config';
import { prometheusMetricFactory } from './prometheus-factory';

/** HTTP duration buckets, in seconds, from a cached read to a slow export. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The API's Prometheus registry and the metrics that code records as things happen: HTTP request
 * durations, etcd request errors and, in embedded mode, the local agent's engine metrics. Gauges
 * read on each scrape are registered by MetricsCollectors.
 */
@Injectable()
export class ApiMetrics {
  readonly registry = new Registry();
  /** Sink for the embedded agent; undefined when the API runs no agent. */
  readonly runner: RunnerMetrics | undefined;
  private readonly httpDuration: Histogram;
  private readonly etcdErrors: Counter;
  private readAgentStatus: () => AgentStatus | undefined = () => undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    collectDefaultMetrics({ register: this.registry });

    this.httpDuration = new Histogram({
      name: 'ects_http_request_duration_seconds',
      help: 'Duration of HTTP requests, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers: [this.registry],
    });
    this.etcdErrors = new Counter({
      name: 'ects_etcd_request_errors_total',
      help: 'etcd requests that failed after the client retries, by Coordination method and error code',
      labelNames: ['operation', 'code'],
      registers: [this.registry],
    });

    if (config.embeddedAgent) {
      this.runner = createRunnerMetrics(prometheusMetricFactory(this.registry), {
        pipelineLabels: config.metrics.pipelineLabels,
        status: () => this.readAgentStatus(),
      });
    }
  }

  /** Lets the engine gauges read the embedded agent's status. */
  attachAgent(readStatus: () => AgentStatus | undefined): void {
    this.readAgentStatus = readStatus;
  }

  httpRequest(method: string, route: string, status: number, durationSeconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, durationSeconds);
  }

  etcdError(operation: string, code: string): void {
    this.etcdErrors.inc({ operation, code });
  }
}
