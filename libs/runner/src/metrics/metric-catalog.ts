import { RUN_STATUSES, type OverlapPolicy } from '@ects/domain';

import type { AgentStatus } from './agent-status';
import type { FireLockResult, RunnerMetrics } from './runner-metrics';

export type MetricLabels = Record<string, string>;

export interface MetricSpec {
  name: string;
  help: string;
  labelNames: string[];
}

export interface HistogramSpec extends MetricSpec {
  /** Upper bounds of the buckets, in the metric's unit. */
  buckets: number[];
}

export interface GaugeSpec extends MetricSpec {
  /** Returns the current samples; called on every scrape. */
  read(): { labels: MetricLabels; value: number }[];
}

/**
 * Creates metrics in the app's registry. The runner names and describes its metrics but does not
 * depend on a metrics library; prom-client's Counter and Histogram fit the returned shapes.
 */
export interface MetricFactory {
  counter(spec: MetricSpec): { inc(labels: MetricLabels, value?: number): void };
  histogram(spec: HistogramSpec): { observe(labels: MetricLabels, value: number): void };
  gauge(spec: GaugeSpec): void;
}

export interface RunnerMetricsOptions {
  /**
   * Adds a `pipeline` label (the pipeline id) to the run counter and duration histogram. Each
   * pipeline then costs a series per status, so it is off unless the operator turns it on.
   */
  pipelineLabels: boolean;
  /** Reads the engine's status for the gauges; undefined while no engine runs, which leaves them at 0. */
  status(): AgentStatus | undefined;
}

/** Fire lateness buckets, in seconds: timer jitter at the low end, a slipped schedule at the high end. */
const LATENESS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Run and step duration buckets, in seconds, from a quick check to a six-hour batch job. */
const DURATION_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 21600];
const OVERLAP_POLICIES: OverlapPolicy[] = ['skip', 'queue', 'replace'];
const FIRE_LOCK_RESULTS: FireLockResult[] = ['won', 'lost', 'error'];

/**
 * Registers the engine's metrics through `factory` and returns the sink to pass to createAgent().
 * Counters with a fixed set of labels start at zero, so their series exist before the first event
 * and `rate()` counts the first increase.
 */
export function createRunnerMetrics(factory: MetricFactory, options: RunnerMetricsOptions): RunnerMetrics {
  const runLabels = options.pipelineLabels ? ['status', 'pipeline'] : ['status'];

  const fireLateness = factory.histogram({
    name: 'ects_agent_fire_lateness_seconds',
    help: 'Time from the nominal fire time of a scheduled fire to the start of its first step',
    labelNames: [],
    buckets: LATENESS_BUCKETS,
  });
  const overlapSkips = factory.counter({
    name: 'ects_agent_overlap_skips_total',
    help: 'Scheduled fires recorded as skipped because an earlier run of the pipeline was still active',
    labelNames: ['policy'],
  });
  const misfires = factory.counter({
    name: 'ects_agent_misfires_total',
    help: 'Times a pipeline was found to have missed fires, by the misfire policy that handled them',
    labelNames: ['policy'],
  });
  const fireLocks = factory.counter({
    name: 'ects_agent_fire_locks_total',
    help: 'Attempts to take the fire lock of a one-mode pipeline, by result (won, lost to another node, error)',
    labelNames: ['result'],
  });
  const runs = factory.counter({
    name: 'ects_agent_runs_total',
    help: 'Runs ended on this node, by final status',
    labelNames: runLabels,
  });
  const runDuration = factory.histogram({
    name: 'ects_agent_run_duration_seconds',
    help: 'Duration of runs from start to end, by final status',
    labelNames: runLabels,
    buckets: DURATION_BUCKETS,
  });
  const stepDuration = factory.histogram({
    name: 'ects_agent_step_duration_seconds',
    help: 'Duration of steps over all their attempts, by task kind and final status',
    labelNames: ['kind', 'status'],
    buckets: DURATION_BUCKETS,
  });
  const leaseLosses = factory.counter({
    name: 'ects_agent_lease_losses_total',
    help: 'Times the registration lease in etcd was lost',
    labelNames: [],
  });
  const registrations = factory.counter({
    name: 'ects_agent_registrations_total',
    help: 'Times the node registered in etcd with a new lease; more than one means re-registrations',
    labelNames: [],
  });

  for (const policy of OVERLAP_POLICIES) {
    overlapSkips.inc({ policy }, 0);
  }
  for (const policy of ['skip', 'run_once']) {
    misfires.inc({ policy }, 0);
  }
  for (const result of FIRE_LOCK_RESULTS) {
    fireLocks.inc({ result }, 0);
  }
  if (!options.pipelineLabels) {
    for (const status of RUN_STATUSES.filter((status) => status !== 'running' && status !== 'lost')) {
      runs.inc({ status }, 0);
    }
  }
  leaseLosses.inc({}, 0);
  registrations.inc({}, 0);

  registerStatusGauges(factory, options.status);

  return {
    fireLateness: (lateMs) => fireLateness.observe({}, Math.max(0, lateMs) / 1000),
    overlapSkipped: (policy) => overlapSkips.inc({ policy }),
    misfire: (policy) => misfires.inc({ policy }),
    fireLock: (result) => fireLocks.inc({ result }),
    runFinished: ({ pipelineId, status, durationMs }) => {
      const labels: MetricLabels = options.pipelineLabels ? { status, pipeline: pipelineId } : { status };
      runs.inc(labels);
      runDuration.observe(labels, Math.max(0, durationMs) / 1000);
    },
    stepFinished: ({ kind, status, durationMs }) =>
      stepDuration.observe({ kind, status }, Math.max(0, durationMs) / 1000),
    leaseLost: () => leaseLosses.inc({}),
    registered: () => registrations.inc({}),
  };
}

function registerStatusGauges(factory: MetricFactory, read: () => AgentStatus | undefined): void {
  const gauge = (name: string, help: string, value: (status: AgentStatus) => number): void =>
    factory.gauge({
      name,
      help,
      labelNames: [],
      read: () => {
        const status = read();

        return status === undefined ? [] : [{ labels: {}, value: value(status) }];
      },
    });

  gauge('ects_agent_registered', '1 while the node is registered in etcd with a live lease', (status) =>
    Number(status.registered),
  );
  gauge('ects_agent_api_connected', '1 while the Socket.IO connection to the API is open', (status) =>
    Number(status.apiConnected),
  );
  gauge(
    'ects_agent_assignments',
    'Pipelines assigned to this node and loaded by the agent',
    (status) => status.assignments,
  );
  gauge(
    'ects_agent_active_runs',
    'Runs accepted and not yet finished, including those waiting for a slot',
    (status) => status.activeRuns,
  );
  gauge(
    'ects_agent_spool_events',
    'Events in the spool that the API has not acknowledged yet',
    (status) => status.spool.events,
  );
  gauge(
    'ects_agent_spool_oldest_event_age_seconds',
    'Age of the oldest event the API has not acknowledged; 0 when the spool is empty',
    (status) => status.spool.oldestEventAgeMs / 1000,
  );
}
