import { join } from 'node:path';

import type { AgentEvent, NodeHealth, NodeRegistration } from '@ects/domain';
import { v7 as uuidv7 } from 'uuid';

import { sleep, systemClock } from './clock';
import { Assignments } from './coordination/assignments';
import { Commands } from './coordination/commands';
import { FireLock } from './coordination/fire-lock';
import { Registration } from './coordination/registration';
import { RunnerError, describeError } from './errors';
import {
  agentLiveness,
  agentReadiness,
  describeHealth,
  healthChanged,
  type AgentState,
  type AgentStatus,
} from './metrics/agent-status';
import { resolveAgentOptions, type AgentOptions, type ResolvedAgentOptions } from './options';
import { Reporter } from './reporting/reporter';
import { EventSpool } from './reporting/spool';
import { RunExecution, type ExecutorContext } from './runs/executor';
import { Dispatcher, type ActiveRunInfo } from './scheduling/dispatcher';
import { Scheduler } from './scheduling/scheduler';
import { AssignmentCache } from './state/assignment-cache';
import { FireRecords } from './state/fire-records';
import { HandledCommands } from './state/handled-commands';
import { ensureDirectory } from './state/json-file';

/** Time start() waits for the first responses from etcd before it returns and lets retries go on. */
const START_WAIT_MS = 3_000;
/** Time between readiness checks; a change is written to the node's registration in etcd. */
const HEALTH_CHECK_INTERVAL_MS = 5_000;

export type { AgentState } from './metrics/agent-status';

/** A running ECTS agent; see createAgent(). */
export interface Agent {
  readonly nodeId: string;
  readonly state: AgentState;
  /** Whether the node's registration key is written and its lease alive. */
  readonly registered: boolean;
  /**
   * Registers the node, opens the spool, schedules the cached and then the etcd assignments, and
   * connects to the API. Resolves within a few seconds even while etcd or the API is unreachable;
   * both are retried in the background. Throws RunnerError when called twice or when the state
   * directory is unusable.
   */
  start(): Promise<void>;
  /**
   * Stops firing, lets running steps finish within shutdownGraceSeconds, kills what remains, sends
   * the spool for up to spoolFlushTimeoutMs, and deregisters. The coordination client stays open: it
   * belongs to the caller.
   */
  stop(reason?: string): Promise<void>;
  /** Next fire time of a scheduled pipeline, or undefined when it is not scheduled here. */
  nextFireTime(pipelineId: string): Date | undefined;
  /** Runs accepted and not yet finished. */
  activeRuns(): ActiveRunInfo[];
  /** Registration, API connection, assignments, runs and spool as they are now. */
  status(): AgentStatus;
  /** Whether the engine is started; for a liveness probe. */
  liveness(): NodeHealth;
  /** Whether the engine runs, is registered in etcd and connected to the API; for a readiness probe. */
  readiness(): NodeHealth;
}

/**
 * Creates the agent engine. It keeps the node registered in etcd and mirrors the node's assignments
 * and commands. It fires pipelines on their cron schedules, runs their steps, and reports every run,
 * step and output chunk to the API through a disk spool. Nothing starts before start().
 */
export function createAgent(options: AgentOptions): Agent {
  return new EctsAgent(options);
}

class EctsAgent implements Agent {
  readonly nodeId: string;

  private readonly options: ResolvedAgentOptions;
  private currentState: AgentState = 'new';
  private readonly registration: Registration;
  private readonly fireRecords: FireRecords;
  private readonly assignmentCache: AssignmentCache;
  private readonly handledCommands: HandledCommands;
  private readonly scheduler: Scheduler;
  private readonly dispatcher: Dispatcher;
  private readonly assignments: Assignments;
  private readonly commands: Commands;
  private spool: EventSpool | undefined;
  private reporter: Reporter | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly createdAt: Date;
  private lastReadiness: NodeHealth | undefined;
  private healthTimer: NodeJS.Timeout | undefined;

  constructor(options: AgentOptions) {
    const clock = options.clock ?? systemClock;
    this.options = resolveAgentOptions(options, clock);
    const { coordination, keys, logger, metrics, stateDir } = this.options;
    this.nodeId = this.options.identity.nodeId;
    this.createdAt = new Date(clock.now());

    this.registration = new Registration({
      coordination,
      keys,
      registration: this.nodeRegistration(),
      leaseTtlSeconds: this.options.leaseTtlSeconds,
      logger,
      metrics,
    });

    this.fireRecords = new FireRecords(
      stateDir,
      logger,
      (pipelineId) => this.scheduler.isScheduled(pipelineId),
      () => clock.now(),
    );
    this.assignmentCache = new AssignmentCache(stateDir, logger);
    this.handledCommands = new HandledCommands(stateDir, logger);

    this.dispatcher = new Dispatcher({
      nodeId: this.nodeId,
      logger,
      metrics,
      clock,
      fireLock: new FireLock(coordination, keys, this.nodeId, clock),
      maxConcurrentRuns: this.options.maxConcurrentRuns,
      killGraceMs: this.options.killGraceSeconds * 1000,
      newRunId: () => uuidv7(),
      createRun: (request) => new RunExecution(request, this.executorContext()),
      emit: (event) => this.emit(event),
    });

    this.scheduler = new Scheduler({
      nodeId: this.nodeId,
      clock,
      logger,
      metrics,
      fireRecords: this.fireRecords,
      onFire: (snapshot, fireTime, kind) => this.dispatcher.fire(snapshot, fireTime, kind),
    });

    this.assignments = new Assignments({
      coordination,
      keys,
      nodeId: this.nodeId,
      logger,
      listener: {
        upsert: (snapshot) => this.scheduler.upsert(snapshot),
        remove: (pipelineId) => this.scheduler.remove(pipelineId),
      },
      onChange: () => this.assignmentCache.markDirty(),
    });
    this.assignmentCache.track(() => this.assignments.list());

    this.commands = new Commands({
      coordination,
      keys,
      nodeId: this.nodeId,
      logger,
      handled: this.handledCommands,
      handler: {
        run: (command) => this.dispatcher.runNow(command),
        kill: (command) =>
          this.dispatcher.kill(
            command.runId,
            `killed by ${command.requestedBy}`,
            this.options.killCommandGraceSeconds * 1000,
          ),
      },
    });
  }

  get state(): AgentState {
    return this.currentState;
  }

  get registered(): boolean {
    return this.registration.registered;
  }

  start(): Promise<void> {
    if (this.currentState !== 'new') {
      return Promise.reject(
        new RunnerError('RUNNER_ALREADY_STARTED', `Agent of node ${this.nodeId} was already started`),
      );
    }

    this.currentState = 'starting';
    this.starting = this.startComponents();

    return this.starting;
  }

  stop(reason = 'requested'): Promise<void> {
    this.stopping ??= this.stopComponents(reason);

    return this.stopping;
  }

  nextFireTime(pipelineId: string): Date | undefined {
    const next = this.scheduler.nextFireTime(pipelineId);

    return next === undefined ? undefined : new Date(next);
  }

  activeRuns(): ActiveRunInfo[] {
    return this.dispatcher.activeRuns();
  }

  status(): AgentStatus {
    return {
      state: this.currentState,
      registered: this.registration.registered,
      apiConnected: this.reporter?.connected ?? false,
      assignments: this.assignments.list().length,
      activeRuns: this.dispatcher.activeRuns().length,
      spool: {
        events: this.spool?.pendingCount ?? 0,
        oldestEventAgeMs: this.spool?.oldestPendingAgeMs() ?? 0,
      },
    };
  }

  liveness(): NodeHealth {
    return agentLiveness(this.status(), this.createdAt);
  }

  readiness(): NodeHealth {
    const next = agentReadiness(this.status(), new Date(this.options.clock.now()));
    if (healthChanged(this.lastReadiness, next)) {
      this.lastReadiness = next;
    }

    return this.lastReadiness ?? next;
  }

  private async startComponents(): Promise<void> {
    const { logger, stateDir } = this.options;

    try {
      ensureDirectory(stateDir);
      // Registering comes first, so the node shows online as soon as etcd responds.
      const registering = this.registration.start();

      this.spool = EventSpool.open(join(stateDir, 'spool'), { logger, now: () => this.options.clock.now() });
      this.reporter = new Reporter({
        apiUrl: this.options.apiUrl,
        auth: this.options.identity,
        spool: this.spool,
        logger,
      });

      this.fireRecords.load();
      this.handledCommands.load();
      this.scheduler.start();

      const cached = this.assignmentCache.load();
      if (cached.length > 0) {
        logger.log(`Scheduling ${cached.length} pipelines from the assignment cache until etcd responds`);
        this.assignments.seed(cached);
      }

      this.reporter.start();
      const first = Promise.all([registering, this.assignments.start(), this.commands.start()]);
      const timer = new AbortController();
      await Promise.race([first, sleep(START_WAIT_MS, timer.signal)]);
      timer.abort();
    } catch (error: unknown) {
      this.currentState = 'stopped';
      await this.releaseAfterFailedStart();
      throw error;
    }

    this.currentState = 'running';
    this.checkHealth();
    this.healthTimer = setInterval(() => this.checkHealth(), HEALTH_CHECK_INTERVAL_MS);
    logger.log(
      `Agent of node ${this.nodeId} (${this.options.name}) started: ${this.scheduler.size} pipelines scheduled, ` +
        `${this.spool.pendingCount} spooled events to send, up to ${this.options.maxConcurrentRuns} runs at once`,
    );
  }

  private async releaseAfterFailedStart(): Promise<void> {
    this.scheduler.stop();
    this.reporter?.close();
    this.spool?.close();
    await Promise.allSettled([this.assignments.stop(), this.commands.stop(), this.registration.stop()]);
  }

  private async stopComponents(reason: string): Promise<void> {
    const { logger } = this.options;

    if (this.starting !== undefined) {
      await this.starting.catch(() => undefined);
    }
    if (this.currentState !== 'running') {
      this.currentState = 'stopped';
      return;
    }

    this.currentState = 'stopping';
    clearInterval(this.healthTimer);
    logger.log(`Agent of node ${this.nodeId} stopping (${reason})`);

    this.scheduler.stop();
    await this.assignments.stop();
    // Commands stay on while runs drain, so a kill command still reaches them.
    await this.dispatcher.drain(this.options.shutdownGraceSeconds * 1000);
    await this.commands.stop();

    this.fireRecords.flush();
    this.assignmentCache.flush();

    const spool = this.spool;
    const reporter = this.reporter;
    if (reporter !== undefined && spool !== undefined) {
      const drained = await reporter.waitUntilDrained(this.options.spoolFlushTimeoutMs);
      if (!drained) {
        logger.warn(`${spool.pendingCount} events are still in the spool; they are sent after the next start`);
      }
    }

    await this.registration.stop();
    reporter?.close();
    spool?.close();

    this.currentState = 'stopped';
    logger.log(`Agent of node ${this.nodeId} stopped`);
  }

  /** Writes the readiness to the node's registration when it changed since the last check. */
  private checkHealth(): void {
    const previous = this.lastReadiness;
    const next = this.readiness();
    if (next === previous) {
      return;
    }

    if (previous !== undefined) {
      this.options.logger.log(`Agent of node ${this.nodeId} is ${describeHealth(next)}`);
    }
    this.registration.updateHealth(next).catch((error: unknown) => {
      this.options.logger.warn(`Writing the health of node ${this.nodeId} failed: ${describeError(error)}`);
    });
  }

  private emit(event: AgentEvent): void {
    if (this.spool === undefined) {
      throw new RunnerError(
        'RUNNER_NOT_STARTED',
        `Agent of node ${this.nodeId} is not started; cannot report ${event.type}`,
      );
    }

    this.spool.append(event);
  }

  private executorContext(): ExecutorContext {
    return {
      nodeId: this.nodeId,
      nodeName: this.options.name,
      clock: this.options.clock,
      logger: this.options.logger,
      metrics: this.options.metrics,
      emit: (event) => this.emit(event),
      sendMail: (request, timeoutMs, signal) => {
        if (this.reporter === undefined) {
          return Promise.resolve({ ok: false, error: 'the agent is not connected to the API' });
        }

        return this.reporter.sendMail(request, timeoutMs, signal);
      },
      baseEnvironment: this.options.baseEnvironment,
      killGraceMs: this.options.killGraceSeconds * 1000,
      maxOutputBytesPerStep: this.options.maxOutputBytesPerStep,
    };
  }

  private nodeRegistration(): NodeRegistration {
    return {
      nodeId: this.nodeId,
      name: this.options.name,
      host: this.options.host,
      labels: this.options.labels,
      version: this.options.version,
      os: this.options.os,
      startedAt: new Date(this.options.clock.now()).toISOString(),
      maxConcurrentRuns: this.options.maxConcurrentRuns,
    };
  }
}
