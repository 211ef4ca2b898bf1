import type { TaskKind } from '@ects/domain';

import { runHookStep } from './hook';
import { runHttpStep } from './http';
import { runMailStep } from './mail';
import { runShellStep } from './shell';
import type { StepRunner } from './step';

/** The function that runs each task kind. */
export const STEP_RUNNERS: Record<TaskKind, StepRunner> = {
  shell: runShellStep,
  http: runHttpStep,
  hook: runHookStep,
  mail: runMailStep,
};
