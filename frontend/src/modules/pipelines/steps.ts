import type { RetryBackoff, StepFailureRule } from '@ects/domain';

import type { Schemas } from '../../api/client';

export interface EnvDraft {
  name: string;
  value: string;
  secret: boolean;
}

/** A step in the editor. `key` identifies it in the list while it moves, before the API gives it an id. */
export interface StepDraft {
  key: string;
  id?: string;
  taskId: string;
  timeoutSeconds: number;
  retries: number;
  retryIntervalSeconds: number;
  retryBackoff: RetryBackoff;
  onFailure: StepFailureRule;
  runAsUser: string;
  workingDirectory: string;
  env: EnvDraft[];
}

let nextKey = 0;

function newKey(): string {
  nextKey += 1;

  return `step-${nextKey}`;
}

export function emptyStep(taskId = ''): StepDraft {
  return {
    key: newKey(),
    taskId,
    timeoutSeconds: 0,
    retries: 0,
    retryIntervalSeconds: 0,
    retryBackoff: 'fixed',
    onFailure: 'stop',
    runAsUser: '',
    workingDirectory: '',
    env: [],
  };
}

export function toDraft(step: Schemas['StepDto']): StepDraft {
  return {
    key: newKey(),
    id: step.id,
    taskId: step.taskId,
    timeoutSeconds: step.timeoutSeconds,
    retries: step.retries,
    retryIntervalSeconds: step.retryIntervalSeconds,
    retryBackoff: step.retryBackoff,
    onFailure: step.onFailure,
    runAsUser: step.runAsUser ?? '',
    workingDirectory: step.workingDirectory ?? '',
    env: step.env.map((variable) => ({ name: variable.name, value: variable.value, secret: variable.secret ?? false })),
  };
}

/** Converts a draft to the API's step input. Empty optional texts become null, so they clear the stored value. */
export function toStepInput(draft: StepDraft): Schemas['StepInputDto'] {
  return {
    ...(draft.id === undefined ? {} : { id: draft.id }),
    taskId: draft.taskId,
    timeoutSeconds: draft.timeoutSeconds,
    retries: draft.retries,
    retryIntervalSeconds: draft.retryIntervalSeconds,
    retryBackoff: draft.retryBackoff,
    onFailure: draft.onFailure,
    runAsUser: draft.runAsUser.trim() === '' ? null : draft.runAsUser.trim(),
    workingDirectory: draft.workingDirectory.trim() === '' ? null : draft.workingDirectory.trim(),
    env: draft.env
      .filter((variable) => variable.name.trim() !== '')
      .map((variable) => ({ name: variable.name.trim(), value: variable.value, secret: variable.secret })),
  };
}

/** Returns a copy of the list with the item at `from` moved to index `to`. */
export function moveItem<T>(items: readonly T[], from: number, to: number): T[] {
  const moved = [...items];
  if (from < 0 || from >= moved.length || to < 0 || to >= moved.length || from === to) {
    return moved;
  }

  const [item] = moved.splice(from, 1);
  moved.splice(to, 0, item as T);

  return moved;
}
