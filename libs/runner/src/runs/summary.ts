import type { RunStatus } from '@ects/domain';

import type { ExecutableStep, StepOutcome, StopReason } from '../steps/step';

export interface StepFailure {
  step: ExecutableStep;
  outcome: StepOutcome;
}

/** Names a step for people: `step 2 "backup"`, counting from 1, or the role of an on-success or on-failure task. */
export function stepLabel(step: ExecutableStep): string {
  if (step.role === 'on_success') {
    return `on-success task "${step.task.name}"`;
  }
  if (step.role === 'on_failure') {
    return `on-failure task "${step.task.name}"`;
  }

  return `step ${step.position + 1} "${step.task.name}"`;
}

export interface RunSummaryInput {
  status: RunStatus;
  stepCount: number;
  failures: StepFailure[];
  /** Reason the run was stopped, when it was killed or timed out. */
  stopReason?: StopReason;
  /** Step that was running when the run was stopped. */
  interruptedStep?: ExecutableStep;
  notifyFailure?: StepFailure;
}

/** Builds a run's exit summary, such as `step 2 "backup" exited with code 3`. */
export function summarizeRun(input: RunSummaryInput): string {
  let summary: string;

  if ((input.status === 'killed' || input.status === 'timed_out') && input.stopReason !== undefined) {
    const during = input.interruptedStep === undefined ? '' : ` during ${stepLabel(input.interruptedStep)}`;
    summary = `${input.stopReason.message}${during}`;
  } else if (input.failures.length > 0) {
    const [first] = input.failures;
    const more = input.failures.length - 1;
    summary =
      `${stepLabel(first.step)} ${first.outcome.errorMessage ?? first.outcome.status}` +
      (more > 0 ? `; ${more} more ${more === 1 ? 'step' : 'steps'} failed` : '');
  } else {
    summary = `${input.stepCount} ${input.stepCount === 1 ? 'step' : 'steps'} succeeded`;
  }

  if (input.notifyFailure !== undefined) {
    const { step, outcome } = input.notifyFailure;
    summary += `; ${stepLabel(step)} ${outcome.errorMessage ?? outcome.status}`;
  }

  return summary;
}
