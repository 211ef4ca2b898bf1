import type { RunStatus, RunTrigger, StepRole, StepRunStatus, TaskKind } from '@ects/domain';

/** The JSON body of a hook step: the run as far as it got, or finished when the hook is a run's on-success or on-failure task. */
export interface HookPayload {
  event: 'run.finished';
  runId: string;
  pipeline: { id: string; name: string; version: number };
  node: { id: string; name: string };
  trigger: RunTrigger;
  triggeredBy: string | null;
  scheduledAt: string;
  startedAt: string;
  /** Null while the run goes on, when the hook is a step of the pipeline itself. */
  finishedAt: string | null;
  status: RunStatus;
  exitSummary: string | null;
  steps: HookStep[];
}

export interface HookStep {
  position: number;
  role: StepRole;
  name: string;
  kind: TaskKind;
  status: StepRunStatus;
  attempts: number;
  exitCode: number | null;
  httpStatus: number | null;
}
