import type { MailRequest, MailResult, StepRole, TaskSnapshot } from '@ects/domain';

import type { Clock } from '../clock';
import type { StepOutput } from '../runs/step-output';
import type { HookPayload } from './hook-payload';

/** Reason a running step must stop: its own or the pipeline's timeout, or a kill. */
export type StopKind = 'timed_out' | 'killed';

/** Abort reason of a step's signal. */
export class StopReason {
  constructor(
    readonly kind: StopKind,
    readonly message: string,
    /** Milliseconds between SIGTERM and SIGKILL for shell steps stopped for this reason. */
    readonly killGraceMs: number,
  ) {}
}

/** A step as the executor runs it: a pipeline step, or the on-success or on-failure task. */
export interface ExecutableStep {
  position: number;
  role: StepRole;
  task: TaskSnapshot;
  /** Seconds; 0 means no limit of its own. */
  timeoutSeconds: number;
  retries: number;
  retryIntervalSeconds: number;
  retryBackoff: 'fixed' | 'exponential';
  onFailure: 'stop' | 'continue';
  runAsUser: string | null;
  workingDirectory: string | null;
  env: Record<string, string>;
  secretEnvNames: string[];
}

/** Everything a step kind needs for one attempt. */
export interface StepContext {
  step: ExecutableStep;
  runId: string;
  attempt: number;
  /** Called by a step kind that spawns a process, right after the spawn, to measure fire lateness. */
  processStarted(): void;
  /** Aborted with a StopReason when the step must stop. */
  signal: AbortSignal;
  output: StepOutput;
  clock: Clock;
  /** Environment that shell steps start from, before the task's and the step's variables. */
  baseEnvironment: NodeJS.ProcessEnv;
  /** Variables that describe the run to shell steps, such as ECTS_RUN_ID. */
  runEnvironment: Record<string, string>;
  /** The run as a hook reports it, at the time of the call. */
  describeRun(): HookPayload;
  sendMail(request: MailRequest, timeoutMs: number, signal: AbortSignal): Promise<MailResult>;
}

export type StepOutcomeStatus = 'succeeded' | 'failed' | 'timed_out' | 'killed';

export interface StepOutcome {
  status: StepOutcomeStatus;
  exitCode: number | null;
  httpStatus: number | null;
  errorMessage: string | null;
}

export type StepRunner = (context: StepContext) => Promise<StepOutcome>;

export function failed(errorMessage: string, fields: Partial<StepOutcome> = {}): StepOutcome {
  return { status: 'failed', exitCode: null, httpStatus: null, errorMessage, ...fields };
}

/** Outcome of a step whose signal aborted, taken from the abort reason. */
export function stopped(signal: AbortSignal, fields: Partial<StepOutcome> = {}): StepOutcome {
  const reason: unknown = signal.reason;
  const stop = reason instanceof StopReason ? reason : new StopReason('killed', 'the step was stopped', 0);

  return { status: stop.kind, exitCode: null, httpStatus: null, errorMessage: stop.message, ...fields };
}
