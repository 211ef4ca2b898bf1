import { RateLimitedWarning } from '@ects/etcd';
import type { AgentEvent, OverlapPolicy, PipelineSnapshot, RunStatus } from '@ects/domain';

import { sleep, type Clock } from '../clock';
import type { FireLock } from '../coordination/fire-lock';
import type { RunCommand } from '../coordination/commands';
import { describeError } from '../errors';
import { logDebug, withLogFields, type RunnerLogger } from '../logger';
import type { RunnerMetrics } from '../metrics/runner-metrics';
import { toTaskRecord, type RunExecution, type RunRequest } from '../runs/executor';
import type { FireKind } from './scheduler';

/** Fires a `queue` pipeline may have waiting behind its active run; later ones are recorded as skipped. */
export const MAX_QUEUED_FIRES = 100;
const WARNING_INTERVAL_MS = 30_000;
/** Extra wait after the kill grace for killed runs to report, for example through their on-failure task. */
const STOP_REPORT_GRACE_MS = 10_000;

export interface DispatcherOptions {
  nodeId: string;
  logger: RunnerLogger;
  metrics: RunnerMetrics;
  clock: Clock;
  fireLock: FireLock;
  maxConcurrentRuns: number;
  killGraceMs: number;
  newRunId(): string;
  createRun(request: RunRequest): RunExecution;
  emit(event: AgentEvent): void;
}

/** A run this agent has accepted: waiting for a free slot, or executing. */
interface TrackedRun {
  request: RunRequest;
  execution: RunExecution | undefined;
}

/** A run as listed by activeRuns(). */
export interface ActiveRunInfo {
  runId: string;
  pipelineId: string;
  /** False while the run waits for a free slot under maxConcurrentRuns. */
  started: boolean;
}

/**
 * Turns fires and run-now commands into runs. It takes the fire lock of `one` mode pipelines,
 * applies the overlap policy against the pipeline's runs on this agent, and keeps at most
 * maxConcurrentRuns runs executing, with the others waiting in arrival order.
 */
export class Dispatcher {
  private readonly byPipeline = new Map<string, Set<TrackedRun>>();
  private readonly byRunId = new Map<string, TrackedRun>();
  /** Fires waiting for their pipeline's active run to end, under the `queue` and `replace` policies. */
  private readonly overlapQueues = new Map<string, RunRequest[]>();
  private slotQueue: TrackedRun[] = [];
  private executing = 0;
  private accepting = true;
  private readonly idleWaiters = new Set<() => void>();
  private readonly lockFailures: RateLimitedWarning;

  constructor(private readonly options: DispatcherOptions) {
    this.lockFailures = new RateLimitedWarning(options.logger, WARNING_INTERVAL_MS);
  }

  /** Runs accepted and not yet finished. */
  activeRuns(): ActiveRunInfo[] {
    return [...this.byRunId.values()].map((tracked) => ({
      runId: tracked.request.runId,
      pipelineId: tracked.request.pipeline.id,
      started: tracked.execution !== undefined,
    }));
  }

  /** Handles a fire from the scheduler. */
  fire(snapshot: PipelineSnapshot, fireTime: number, kind: FireKind): void {
    if (!this.accepting) {
      return;
    }

    const { nodeId, logger } = this.options;
    if (!snapshot.nodeIds.includes(nodeId)) {
      logger.warn(`Not firing pipeline ${snapshot.id}: node ${nodeId} is not among its nodes`);
      return;
    }

    const request: RunRequest = {
      runId: this.options.newRunId(),
      pipeline: snapshot,
      trigger: 'schedule',
      triggeredBy: null,
      scheduledAt: fireTime,
      fireKind: kind,
    };
    const label = `${kind === 'misfire' ? 'missed fire' : 'fire'} of pipeline ${snapshot.id} at ${new Date(fireTime).toISOString()}`;

    if (snapshot.mode === 'all') {
      this.admit(request);
      return;
    }

    this.options.fireLock.acquire(snapshot.id, fireTime).then(
      (won) => {
        this.options.metrics.fireLock(won ? 'won' : 'lost');
        if (!won) {
          logDebug(logger, `The ${label} went to another node`);
        } else if (this.accepting) {
          this.admit(request);
        }
      },
      (error: unknown) => {
        this.options.metrics.fireLock('error');
        this.lockFailures.warn(
          `Skipping the ${label}: its fire lock could not be taken in etcd: ${describeError(error)}`,
        );
      },
    );
  }

  /**
   * Starts a run-now command's run. It bypasses the overlap policy, which governs scheduled fires,
   * but waits for a free slot like any run.
   */
  runNow(command: RunCommand): void {
    const request: RunRequest = {
      runId: command.runId,
      pipeline: command.pipeline,
      trigger: command.trigger,
      triggeredBy: command.triggeredBy,
      scheduledAt: this.options.clock.now(),
    };

    if (this.byRunId.has(command.runId)) {
      this.runLogger(request).warn(
        `Ignoring run-now command ${command.commandId}: run ${command.runId} is already active`,
      );
      return;
    }
    if (!this.accepting) {
      this.recordUnstarted(request, 'skipped', 'skipped: the agent was stopping');
      return;
    }
    if (!command.pipeline.nodeIds.includes(this.options.nodeId)) {
      this.recordUnstarted(
        request,
        'skipped',
        `skipped: node ${this.options.nodeId} is not among the pipeline's nodes`,
      );
      return;
    }

    this.enqueue(request);
  }

  /** Kills an accepted run; returns false when no run of that id is active here. */
  kill(runId: string, message: string, killGraceMs: number): boolean {
    const tracked = this.byRunId.get(runId);
    if (tracked === undefined) {
      return false;
    }

    if (tracked.execution !== undefined) {
      tracked.execution.kill(message, killGraceMs);
    } else {
      this.slotQueue = this.slotQueue.filter((waiting) => waiting !== tracked);
      this.untrack(tracked);
      this.recordUnstarted(tracked.request, 'killed', `${message} before it started`);
      this.admitQueued(tracked.request.pipeline.id);
    }

    return true;
  }

  /**
   * Stops taking fires, records the runs that never started as skipped, lets executing runs finish
   * within `graceMs`, then kills the rest and waits for them to report.
   */
  async drain(graceMs: number): Promise<void> {
    this.accepting = false;

    const unstarted = [...this.slotQueue.map((tracked) => tracked.request), ...[...this.overlapQueues.values()].flat()];
    for (const tracked of this.slotQueue) {
      this.untrack(tracked);
    }
    this.slotQueue = [];
    this.overlapQueues.clear();
    for (const request of unstarted) {
      this.recordUnstarted(request, 'skipped', 'skipped: the agent stopped before the run started');
    }

    if (await this.waitUntilIdle(graceMs)) {
      return;
    }

    const { logger, killGraceMs } = this.options;
    logger.warn(`${this.executing} runs still executing after the shutdown grace of ${graceMs} ms; killing them`);
    this.killAll('killed: the agent is stopping', killGraceMs);

    if (await this.waitUntilIdle(killGraceMs + STOP_REPORT_GRACE_MS)) {
      return;
    }

    // What is left is an on-failure task of a killed run; it is stopped too.
    this.killAll('killed: the agent is stopping', killGraceMs);
    if (!(await this.waitUntilIdle(killGraceMs + STOP_REPORT_GRACE_MS))) {
      logger.error(`${this.executing} runs did not end after being killed; their final status is not reported`);
    }
  }

  private killAll(message: string, killGraceMs: number): void {
    for (const tracked of this.byRunId.values()) {
      tracked.execution?.kill(message, killGraceMs);
    }
  }

  /** Applies the pipeline's overlap policy to a scheduled fire. */
  private admit(request: RunRequest): void {
    const { pipeline } = request;
    const active = this.byPipeline.get(pipeline.id);

    if (active === undefined || active.size === 0 || pipeline.overlap === 'allow') {
      this.enqueue(request);
      return;
    }

    const [previous] = active;
    const previousId = previous.request.runId;

    switch (pipeline.overlap) {
      case 'skip':
        this.recordOverlapSkip(
          request,
          pipeline.overlap,
          `skipped: run ${previousId} was still running (overlap policy skip)`,
        );
        break;

      case 'queue': {
        const queue = this.overlapQueueOf(pipeline.id);
        if (queue.length >= MAX_QUEUED_FIRES) {
          this.recordOverlapSkip(
            request,
            pipeline.overlap,
            `skipped: ${MAX_QUEUED_FIRES} fires were already queued behind run ${previousId} (overlap policy queue)`,
          );
        } else {
          queue.push(request);
        }
        break;
      }

      case 'replace': {
        const queue = this.overlapQueueOf(pipeline.id);
        for (const replaced of queue.splice(0)) {
          this.recordOverlapSkip(
            replaced,
            pipeline.overlap,
            `skipped: replaced by run ${request.runId} before it started`,
          );
        }
        queue.push(request);

        const message = `killed: replaced by run ${request.runId} (overlap policy replace)`;
        for (const tracked of [...active]) {
          this.kill(tracked.request.runId, message, this.options.killGraceMs);
        }
        break;
      }
    }
  }

  private overlapQueueOf(pipelineId: string): RunRequest[] {
    let queue = this.overlapQueues.get(pipelineId);
    if (queue === undefined) {
      queue = [];
      this.overlapQueues.set(pipelineId, queue);
    }

    return queue;
  }

  /** Accepts a run: it starts now if a slot is free, or waits for one. */
  private enqueue(request: RunRequest): void {
    const tracked: TrackedRun = { request, execution: undefined };
    this.byRunId.set(request.runId, tracked);

    let active = this.byPipeline.get(request.pipeline.id);
    if (active === undefined) {
      active = new Set();
      this.byPipeline.set(request.pipeline.id, active);
    }
    active.add(tracked);

    if (this.executing < this.options.maxConcurrentRuns) {
      this.execute(tracked);
    } else {
      logDebug(
        this.runLogger(request),
        `Run ${request.runId} waits for one of ${this.options.maxConcurrentRuns} run slots`,
      );
      this.slotQueue.push(tracked);
    }
  }

  private execute(tracked: TrackedRun): void {
    this.executing += 1;
    const execution = this.options.createRun(tracked.request);
    tracked.execution = execution;

    void execution.start().then((status) => this.onRunEnded(tracked, status));
  }

  private onRunEnded(tracked: TrackedRun, status: RunStatus): void {
    this.executing -= 1;
    this.untrack(tracked);
    logDebug(
      this.runLogger(tracked.request),
      `Run ${tracked.request.runId} of pipeline ${tracked.request.pipeline.id} ended ${status}`,
    );

    this.admitQueued(tracked.request.pipeline.id);
    while (this.executing < this.options.maxConcurrentRuns && this.slotQueue.length > 0) {
      const next = this.slotQueue.shift();
      if (next !== undefined) {
        this.execute(next);
      }
    }

    if (this.executing === 0) {
      for (const waiter of this.idleWaiters) {
        waiter();
      }
      this.idleWaiters.clear();
    }
  }

  /** Starts the next fire queued behind a pipeline once none of its runs is active. */
  private admitQueued(pipelineId: string): void {
    const active = this.byPipeline.get(pipelineId);
    const queue = this.overlapQueues.get(pipelineId);
    if ((active !== undefined && active.size > 0) || queue === undefined || !this.accepting) {
      return;
    }

    const next = queue.shift();
    if (queue.length === 0) {
      this.overlapQueues.delete(pipelineId);
    }
    if (next !== undefined) {
      this.enqueue(next);
    }
  }

  private untrack(tracked: TrackedRun): void {
    this.byRunId.delete(tracked.request.runId);

    const active = this.byPipeline.get(tracked.request.pipeline.id);
    active?.delete(tracked);
    if (active?.size === 0) {
      this.byPipeline.delete(tracked.request.pipeline.id);
    }
  }

  /** Logger whose lines carry the run, pipeline and node ids. */
  private runLogger(request: RunRequest): RunnerLogger {
    return withLogFields(this.options.logger, {
      runId: request.runId,
      pipelineId: request.pipeline.id,
      nodeId: this.options.nodeId,
    });
  }

  /** Records a scheduled fire that the overlap policy turned away as a skipped run. */
  private recordOverlapSkip(request: RunRequest, policy: OverlapPolicy, reason: string): void {
    this.options.metrics.overlapSkipped(policy);
    this.recordUnstarted(request, 'skipped', reason);
  }

  /** Reports a run that never executed: run.started, then run.finished with its status and reason. */
  private recordUnstarted(request: RunRequest, status: Extract<RunStatus, 'skipped' | 'killed'>, reason: string): void {
    const now = new Date(this.options.clock.now()).toISOString();
    const { pipeline } = request;

    this.runLogger(request).log(`Run ${request.runId} of pipeline ${pipeline.id} ${reason}`);
    this.options.metrics.runFinished({ pipelineId: pipeline.id, status, durationMs: 0 });
    this.options.emit({
      type: 'run.started',
      runId: request.runId,
      pipelineId: pipeline.id,
      pipelineName: pipeline.name,
      pipelineVersion: pipeline.version,
      trigger: request.trigger,
      triggeredBy: request.triggeredBy,
      scheduledAt: new Date(request.scheduledAt).toISOString(),
      startedAt: now,
      steps: [...pipeline.steps]
        .sort((a, b) => a.position - b.position)
        .map((step) => ({ position: step.position, role: 'step', task: toTaskRecord(step.task) })),
    });
    this.options.emit({ type: 'run.finished', runId: request.runId, status, finishedAt: now, exitSummary: reason });
  }

  /** Resolves true once no run executes, or false after `timeoutMs`. */
  private async waitUntilIdle(timeoutMs: number): Promise<boolean> {
    if (this.executing === 0) {
      return true;
    }

    let release: () => void = () => undefined;
    const idle = new Promise<void>((resolve) => {
      release = resolve;
      this.idleWaiters.add(resolve);
    });

    const timer = new AbortController();
    await Promise.race([idle, sleep(timeoutMs, timer.signal)]);
    timer.abort();
    this.idleWaiters.delete(release);

    return this.executing === 0;
  }
}
