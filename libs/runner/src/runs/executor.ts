import {
  isSecretName,
  maskSecrets,
  type AgentEvent,
  type MailRequest,
  type MailResult,
  type PipelineSnapshot,
  type RunStatus,
  type RunTrigger,
  type StepPlan,
  type StepRunStatus,
  type TaskRecord,
  type TaskSnapshot,
} from '@ects/domain';

import { sleep, type Clock } from '../clock';
import { describeError, stackOf } from '../errors';
import { logDebug, withLogFields, type RunnerLogger } from '../logger';
import type { RunnerMetrics } from '../metrics/runner-metrics';
import type { FireKind } from '../scheduling/scheduler';
import type { HookPayload, HookStep } from '../steps/hook-payload';
import { STEP_RUNNERS } from '../steps/index';
import { StopReason, failed, type ExecutableStep, type StepContext, type StepOutcome } from '../steps/step';
import { SecretMasker } from './secret-masker';
import { StepOutput } from './step-output';
import { stepLabel, summarizeRun, type StepFailure } from './summary';

/**
 * Bound of an on-success or on-failure task. It runs after the pipeline timeout has ended the run,
 * so it needs a limit of its own.
 */
export const NOTIFY_TASK_TIMEOUT_SECONDS = 300;

/** A run to execute: a scheduled fire, a missed fire, or a run-now command. */
export interface RunRequest {
  runId: string;
  pipeline: PipelineSnapshot;
  trigger: RunTrigger;
  triggeredBy: string | null;
  /** Nominal fire time for scheduled runs, request time otherwise, in epoch milliseconds. */
  scheduledAt: number;
  /** Set for runs of the scheduler: only `scheduled` fires have a lateness worth measuring. */
  fireKind?: FireKind;
}

/** Services and settings that every run on this agent shares. */
export interface ExecutorContext {
  nodeId: string;
  nodeName: string;
  clock: Clock;
  logger: RunnerLogger;
  metrics: RunnerMetrics;
  emit(event: AgentEvent): void;
  sendMail(request: MailRequest, timeoutMs: number, signal: AbortSignal): Promise<MailResult>;
  baseEnvironment: NodeJS.ProcessEnv;
  killGraceMs: number;
  maxOutputBytesPerStep: number;
}

export function toTaskRecord(task: TaskSnapshot): TaskRecord {
  return {
    id: task.id,
    name: task.name,
    kind: task.kind,
    config: maskSecrets(task.config as unknown as Record<string, unknown>),
  };
}

function toExecutableStep(step: PipelineSnapshot['steps'][number]): ExecutableStep {
  return { ...step, role: 'step' };
}

function notifyStep(task: TaskSnapshot, position: number, role: 'on_success' | 'on_failure'): ExecutableStep {
  return {
    position,
    role,
    task,
    timeoutSeconds: NOTIFY_TASK_TIMEOUT_SECONDS,
    retries: 0,
    retryIntervalSeconds: 0,
    retryBackoff: 'fixed',
    onFailure: 'stop',
    runAsUser: null,
    workingDirectory: null,
    env: {},
    secretEnvNames: [],
  };
}

/** Secret values to mask in a step's output: its secret variables and secret-looking task variables. */
function secretsOf(step: ExecutableStep): string[] {
  const secrets = step.secretEnvNames
    .map((name) => step.env[name])
    .filter((value): value is string => value !== undefined);

  const taskEnv = step.task.kind === 'shell' ? (step.task.config as { env?: Record<string, string> }).env : undefined;
  for (const [name, value] of Object.entries(taskEnv ?? {})) {
    if (isSecretName(name)) {
      secrets.push(value);
    }
  }

  return secrets;
}

/**
 * One run of a pipeline on this agent: steps in position order with their retries, timeouts and
 * failure rules, the pipeline timeout over all of them, then the on-success or on-failure task.
 * Every change is reported through `emit`.
 */
export class RunExecution {
  readonly runId: string;
  readonly pipelineId: string;
  readonly request: RunRequest;

  private readonly context: ExecutorContext;
  /** Logger whose lines carry the run, pipeline and node ids. */
  private readonly logger: RunnerLogger;
  /** True until the first step of a scheduled fire starts, when its fire lateness is measured. */
  private latenessPending: boolean;
  private readonly runController = new AbortController();
  private notifyController: AbortController | undefined;
  private readonly stepStates = new Map<number, HookStep>();
  private startedAt = '';
  private finalStatus: RunStatus | undefined;
  private finishedAt: string | null = null;
  private exitSummary: string | null = null;
  private currentStep: ExecutableStep | undefined;
  private donePromise: Promise<RunStatus> | undefined;

  constructor(request: RunRequest, context: ExecutorContext) {
    this.request = request;
    this.runId = request.runId;
    this.pipelineId = request.pipeline.id;
    this.context = context;
    this.logger = withLogFields(context.logger, {
      runId: request.runId,
      pipelineId: request.pipeline.id,
      nodeId: context.nodeId,
    });
    this.latenessPending = request.fireKind === 'scheduled';
  }

  /**
   * Starts the run once; run.started is emitted before this returns. The promise resolves with the
   * final status after run.finished is emitted, and never rejects.
   */
  start(): Promise<RunStatus> {
    this.donePromise ??= this.execute().catch((error: unknown) => {
      this.logger.error(`Run ${this.runId} failed inside the agent: ${describeError(error)}`, stackOf(error));

      return this.finish('failed', `the agent failed while running it: ${describeError(error)}`);
    });

    return this.donePromise;
  }

  /**
   * Stops the run: the running step's processes get SIGTERM and, after `killGraceMs`, SIGKILL, and the
   * steps after it are skipped. A second call during the on-failure task stops that task too.
   */
  kill(message: string, killGraceMs: number): void {
    const reason = new StopReason('killed', message, killGraceMs);

    if (!this.runController.signal.aborted) {
      this.runController.abort(reason);
    } else if (this.notifyController !== undefined && !this.notifyController.signal.aborted) {
      this.notifyController.abort(reason);
    }
  }

  private async execute(): Promise<RunStatus> {
    const { pipeline } = this.request;
    const { clock } = this.context;
    const steps = [...pipeline.steps].sort((a, b) => a.position - b.position).map(toExecutableStep);

    this.startedAt = new Date(clock.now()).toISOString();
    logDebug(
      this.logger,
      `Run ${this.runId} of pipeline ${pipeline.id} started (${this.request.trigger}, ${steps.length} steps)`,
    );
    for (const step of steps) {
      this.stepStates.set(step.position, this.initialState(step));
    }

    this.context.emit({
      type: 'run.started',
      runId: this.runId,
      pipelineId: pipeline.id,
      pipelineName: pipeline.name,
      pipelineVersion: pipeline.version,
      trigger: this.request.trigger,
      triggeredBy: this.request.triggeredBy,
      scheduledAt: new Date(this.request.scheduledAt).toISOString(),
      startedAt: this.startedAt,
      steps: steps.map((step): StepPlan => ({ position: step.position, role: 'step', task: toTaskRecord(step.task) })),
    });

    let runTimer: NodeJS.Timeout | undefined;
    if (pipeline.timeoutSeconds > 0) {
      const reason = new StopReason(
        'timed_out',
        `timed out after ${pipeline.timeoutSeconds} s (pipeline timeout)`,
        this.context.killGraceMs,
      );
      runTimer = setTimeout(() => this.runController.abort(reason), pipeline.timeoutSeconds * 1000);
    }

    const failures: StepFailure[] = [];
    let interruptedStep: ExecutableStep | undefined;
    let stopRest = false;

    try {
      for (const step of steps) {
        if (this.runController.signal.aborted || stopRest) {
          this.skipStep(step);
          continue;
        }

        const outcome = await this.runStep(step, this.runController.signal);
        if (this.runController.signal.aborted && interruptedStep === undefined) {
          interruptedStep = step;
        }
        if (outcome.status !== 'succeeded') {
          failures.push({ step, outcome });
          stopRest = step.onFailure === 'stop';
        }
      }
    } finally {
      clearTimeout(runTimer);
      // Only a pipeline step measures lateness; an on-failure task after a kill does not.
      this.latenessPending = false;
    }

    const stopReason: unknown = this.runController.signal.reason;
    let status: RunStatus;
    if (stopReason instanceof StopReason) {
      status = stopReason.kind;
    } else {
      status = failures.length > 0 ? 'failed' : 'succeeded';
    }

    const summary = {
      status,
      stepCount: steps.length,
      failures,
      interruptedStep,
      stopReason: stopReason instanceof StopReason ? stopReason : undefined,
    };
    this.exitSummary = summarizeRun(summary);
    this.finalStatus = status;

    const notifyFailure = await this.runNotifyTask(status, steps.length);
    if (notifyFailure !== undefined) {
      this.exitSummary = summarizeRun({ ...summary, notifyFailure });
    }

    return this.finish(status, this.exitSummary);
  }

  /** Runs the on-success or on-failure task; returns its failure, if it failed. */
  private async runNotifyTask(status: RunStatus, position: number): Promise<StepFailure | undefined> {
    const { pipeline } = this.request;
    const task = status === 'succeeded' ? pipeline.onSuccessTask : pipeline.onFailureTask;
    if (task === null || task === undefined) {
      return undefined;
    }

    const step = notifyStep(task, position, status === 'succeeded' ? 'on_success' : 'on_failure');
    this.stepStates.set(position, this.initialState(step));
    this.notifyController = new AbortController();

    const outcome = await this.runStep(step, this.notifyController.signal, {
      position,
      role: step.role,
      task: toTaskRecord(task),
    });

    return outcome.status === 'succeeded' ? undefined : { step, outcome };
  }

  /** Runs every attempt of a step and emits its events; returns the last attempt's outcome. */
  private async runStep(step: ExecutableStep, parent: AbortSignal, plan?: StepPlan): Promise<StepOutcome> {
    const { clock } = this.context;
    const attempts = 1 + Math.max(0, Math.floor(step.retries));
    const output = new StepOutput({
      runId: this.runId,
      position: step.position,
      masker: new SecretMasker(secretsOf(step)),
      maxBytes: this.context.maxOutputBytesPerStep,
      emit: (event) => this.context.emit(event),
    });

    this.currentStep = step;
    let outcome: StepOutcome = failed('the step did not start');
    let attempt = 0;
    const firstStartedAt = clock.now();

    while (attempt < attempts) {
      attempt += 1;
      const startedAt = new Date(clock.now()).toISOString();
      this.updateState(step.position, { status: 'running', attempts: attempt });
      this.context.emit({
        type: 'step.started',
        runId: this.runId,
        position: step.position,
        attempt,
        startedAt,
        ...(plan !== undefined && attempt === 1 ? { plan } : {}),
      });

      outcome = await this.runAttempt(step, attempt, parent, output);
      this.updateState(step.position, { exitCode: outcome.exitCode, httpStatus: outcome.httpStatus });

      if (outcome.status === 'succeeded' || parent.aborted || attempt >= attempts) {
        break;
      }

      const factor = step.retryBackoff === 'exponential' ? 2 ** (attempt - 1) : 1;
      const delaySeconds = step.retryIntervalSeconds * factor;
      output.system(
        `[ECTS] Attempt ${attempt} of ${attempts} ${outcome.status === 'timed_out' ? 'timed out' : 'failed'}` +
          `${outcome.errorMessage !== null ? ` (${outcome.errorMessage})` : ''}; retrying in ${delaySeconds} s`,
      );
      await sleep(delaySeconds * 1000, parent);
      if (parent.aborted) {
        break;
      }
    }

    output.close();
    this.updateState(step.position, { status: outcome.status });
    this.context.metrics.stepFinished({
      kind: step.task.kind,
      status: outcome.status,
      durationMs: clock.now() - firstStartedAt,
    });
    this.context.emit({
      type: 'step.finished',
      runId: this.runId,
      position: step.position,
      status: outcome.status,
      attempts: attempt,
      exitCode: outcome.exitCode,
      httpStatus: outcome.httpStatus,
      errorMessage: outcome.errorMessage,
      finishedAt: new Date(clock.now()).toISOString(),
      outputBytes: output.bytes,
    });
    this.currentStep = undefined;

    return outcome;
  }

  private async runAttempt(
    step: ExecutableStep,
    attempt: number,
    parent: AbortSignal,
    output: StepOutput,
  ): Promise<StepOutcome> {
    const signals = [parent];
    let stepTimer: NodeJS.Timeout | undefined;

    if (step.timeoutSeconds > 0) {
      const timeout = new AbortController();
      const reason = new StopReason(
        'timed_out',
        `timed out after ${step.timeoutSeconds} s (step timeout)`,
        this.context.killGraceMs,
      );
      stepTimer = setTimeout(() => timeout.abort(reason), step.timeoutSeconds * 1000);
      signals.push(timeout.signal);
    }

    const context: StepContext = {
      step,
      runId: this.runId,
      attempt,
      processStarted: () => this.measureLateness(),
      signal: signals.length === 1 ? parent : AbortSignal.any(signals),
      output,
      clock: this.context.clock,
      baseEnvironment: this.context.baseEnvironment,
      runEnvironment: this.runEnvironment(step, attempt),
      describeRun: () => this.describe(),
      sendMail: (request, timeoutMs, signal) => this.context.sendMail(request, timeoutMs, signal),
    };

    // A shell step reports its start once its process is spawned; other kinds start when called.
    if (step.task.kind !== 'shell') {
      this.measureLateness();
    }

    try {
      return await STEP_RUNNERS[step.task.kind](context);
    } catch (error: unknown) {
      this.logger.error(
        `${stepLabel(step)} of run ${this.runId} failed inside the agent: ${describeError(error)}`,
        stackOf(error),
      );

      return failed(`the agent failed while running it: ${describeError(error)}`);
    } finally {
      clearTimeout(stepTimer);
    }
  }

  /** Records how late the first step of a scheduled fire started after the nominal fire time. */
  private measureLateness(): void {
    if (!this.latenessPending) {
      return;
    }

    this.latenessPending = false;
    this.context.metrics.fireLateness(this.context.clock.now() - this.request.scheduledAt);
  }

  private skipStep(step: ExecutableStep): void {
    this.updateState(step.position, { status: 'skipped' });
    this.context.emit({
      type: 'step.finished',
      runId: this.runId,
      position: step.position,
      status: 'skipped',
      attempts: 0,
      exitCode: null,
      httpStatus: null,
      errorMessage: null,
      finishedAt: new Date(this.context.clock.now()).toISOString(),
      outputBytes: 0,
    });
  }

  private finish(status: RunStatus, exitSummary: string): RunStatus {
    this.finalStatus = status;
    this.finishedAt = new Date(this.context.clock.now()).toISOString();
    this.exitSummary = exitSummary;
    this.context.emit({
      type: 'run.finished',
      runId: this.runId,
      status,
      finishedAt: this.finishedAt,
      exitSummary,
    });

    const durationMs = Date.parse(this.finishedAt) - Date.parse(this.startedAt || this.finishedAt);
    this.context.metrics.runFinished({ pipelineId: this.pipelineId, status, durationMs });
    this.logger.log(`Run ${this.runId} of pipeline ${this.pipelineId} finished ${status} after ${durationMs} ms`);

    return status;
  }

  private runEnvironment(step: ExecutableStep, attempt: number): Record<string, string> {
    return {
      ECTS_RUN_ID: this.runId,
      ECTS_PIPELINE_ID: this.request.pipeline.id,
      ECTS_PIPELINE_NAME: this.request.pipeline.name,
      ECTS_NODE_ID: this.context.nodeId,
      ECTS_NODE_NAME: this.context.nodeName,
      ECTS_SCHEDULED_AT: new Date(this.request.scheduledAt).toISOString(),
      ECTS_STEP_POSITION: String(step.position),
      ECTS_ATTEMPT: String(attempt),
    };
  }

  private initialState(step: ExecutableStep): HookStep {
    return {
      position: step.position,
      role: step.role,
      name: step.task.name,
      kind: step.task.kind,
      status: 'pending',
      attempts: 0,
      exitCode: null,
      httpStatus: null,
    };
  }

  private updateState(position: number, change: Partial<HookStep> & { status?: StepRunStatus }): void {
    const state = this.stepStates.get(position);
    if (state !== undefined) {
      Object.assign(state, change);
    }
  }

  /** Describes the run for hooks and mails: final once the steps are done, `running` before. */
  private describe(): HookPayload {
    const { pipeline } = this.request;

    return {
      event: 'run.finished',
      runId: this.runId,
      pipeline: { id: pipeline.id, name: pipeline.name, version: pipeline.version },
      node: { id: this.context.nodeId, name: this.context.nodeName },
      trigger: this.request.trigger,
      triggeredBy: this.request.triggeredBy,
      scheduledAt: new Date(this.request.scheduledAt).toISOString(),
      startedAt: this.startedAt,
      finishedAt:
        this.finalStatus === undefined ? null : (this.finishedAt ?? new Date(this.context.clock.now()).toISOString()),
      status: this.finalStatus ?? 'running',
      exitSummary: this.finalStatus === undefined ? null : this.exitSummary,
      steps: [...this.stepStates.values()].filter((state) => state.role === 'step').map((state) => ({ ...state })),
    };
  }

  /** The step running now, for logs. */
  get activeStep(): ExecutableStep | undefined {
    return this.currentStep;
  }
}
