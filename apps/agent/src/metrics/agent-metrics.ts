import { Inject, Injectable } from '@nestjs/common';
import { createRunnerMetrics, type AgentStatus, type RunnerMetrics } from '@ects/runner';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

import { AGENT_SETTINGS, type AgentSettings } from '../config/settings';
import { prometheusMetricFactory } from './prometheus-factory';

/**
 * The agent's Prometheus registry: process metrics, etcd request errors and the engine's metrics.
 * The engine's gauges read its status through the reader set by attach().
 */
@Injectable()
export class AgentMetrics {
  readonly registry = new Registry();
  readonly runner: RunnerMetrics;
  private readonly etcdErrors: Counter;
  private readStatus: () => AgentStatus | undefined = () => undefined;

  constructor(@Inject(AGENT_SETTINGS) settings: AgentSettings) {
    collectDefaultMetrics({ register: this.registry });
    this.runner = createRunnerMetrics(prometheusMetricFactory(this.registry), {
      pipelineLabels: settings.metricsPipelineLabels,
      status: () => this.readStatus(),
    });
    this.etcdErrors = new Counter({
      name: 'ects_etcd_request_errors_total',
      help: 'etcd requests that failed after the client retries, by Coordination method and error code',
      labelNames: ['operation', 'code'],
      registers: [this.registry],
    });
  }

  attach(readStatus: () => AgentStatus | undefined): void {
    this.readStatus = readStatus;
  }

  etcdError(operation: string, code: string): void {
    this.etcdErrors.inc({ operation, code });
  }

  /** Returns the registry in the Prometheus text format. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
