import type { OverlapPolicy, RunStatus, StepRunStatus, TaskKind } from '@ects/domain';

/** Outcome of one attempt to take the fire lock of a `one` mode pipeline. */
export type FireLockResult = 'won' | 'lost' | 'error';

/**
 * Sink for the engine's measurements. The engine calls it as things happen and never reads it back,
 * so an app can record them with any metrics library; the agent app and the API's embedded agent
 * record them with prom-client through createRunnerMetrics().
 */
export interface RunnerMetrics {
  /** A scheduled fire's first step started `lateMs` after the nominal fire time. */
  fireLateness(lateMs: number): void;
  /** A scheduled fire was recorded as skipped because an earlier run of its pipeline was still active. */
  overlapSkipped(policy: OverlapPolicy): void;
  /** Missed fires of a pipeline were found, after downtime or a late timer, and handled by its misfire policy. */
  misfire(policy: 'skip' | 'run_once'): void;
  /** This node tried to take the fire lock of a `one` mode pipeline. */
  fireLock(result: FireLockResult): void;
  /** A run ended, including runs that never started (skipped or killed while waiting). */
  runFinished(run: { pipelineId: string; status: RunStatus; durationMs: number }): void;
  /** A step (or an on-success or on-failure task) ended after at least one attempt. */
  stepFinished(step: { kind: TaskKind; status: StepRunStatus; durationMs: number }): void;
  /** The registration lease was lost, so the node registers again. */
  leaseLost(): void;
  /** The node's registration key was written with a new lease, at start or after a loss. */
  registered(): void;
}

/** A sink that drops every measurement; the default when createAgent() gets no `metrics`. */
export const NO_RUNNER_METRICS: RunnerMetrics = {
  fireLateness: () => undefined,
  overlapSkipped: () => undefined,
  misfire: () => undefined,
  fireLock: () => undefined,
  runFinished: () => undefined,
  stepFinished: () => undefined,
  leaseLost: () => undefined,
  registered: () => undefined,
};
