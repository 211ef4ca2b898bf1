import type { ApiClient } from '../api/client';
import type {
  CreatePipelineDto,
  CreateTaskDto,
  NodeDto,
  PipelineDto,
  StepDto,
  StepInputDto,
  TaskDto,
  UpdatePipelineDto,
  UpdateTaskDto,
} from '../api/schema';
import { CliError, messageOf } from '../errors';
import type { NormalizedPipeline, NormalizedStep } from './model';
import {
  planChanges,
  type ChangeAction,
  type PipelineChange,
  type Plan,
  type ServerState,
  type TaskChange,
} from './plan';
import type { LoadedDefinitions } from './model';

export interface ApplyOptions {
  dryRun: boolean;
  /** Send secret values from the files even where nothing else changed, since they cannot be compared. */
  sendSecrets: boolean;
  /** Receives one line per task or pipeline, as it is applied. */
  report: (line: string) => void;
}

export interface ApplySummary {
  created: number;
  updated: number;
  unchanged: number;
}

const PAST: Readonly<Record<ChangeAction, keyof ApplySummary>> = {
  create: 'created',
  update: 'updated',
  unchanged: 'unchanged',
};
const FUTURE: Readonly<Record<ChangeAction, string>> = {
  create: 'would be created',
  update: 'would be updated',
  unchanged: 'unchanged',
};

export async function readServerState(client: ApiClient): Promise<ServerState> {
  const [tasks, pipelines, nodes] = await Promise.all([
    client.listAll<TaskDto>('/api/tasks'),
    client.listAll<PipelineDto>('/api/pipelines'),
    client.listAll<NodeDto>('/api/nodes'),
  ]);

  return { tasks, pipelines, nodes };
}

/** Pairs each desired step with a current step running the same task, so the API keeps its stored secrets. */
function stepInputs(steps: NormalizedStep[], current: StepDto[], taskIds: Map<string, string>): StepInputDto[] {
  const unused = [...current];

  return steps.map((step, position) => {
    const samePlace = unused.find((candidate) => candidate.position === position && candidate.taskName === step.task);
    const match = samePlace ?? unused.find((candidate) => candidate.taskName === step.task);
    if (match) {
      unused.splice(unused.indexOf(match), 1);
    }

    return {
      ...(match ? { id: match.id } : {}),
      taskId: taskIds.get(step.task) ?? step.task,
      timeoutSeconds: step.timeoutSeconds,
      retries: step.retries,
      retryIntervalSeconds: step.retryIntervalSeconds,
      retryBackoff: step.retryBackoff,
      onFailure: step.onFailure,
      runAsUser: step.runAsUser,
      workingDirectory: step.workingDirectory,
      env: step.env,
    };
  });
}

function pipelineFields(
  change: PipelineChange,
  taskIds: Map<string, string>,
): Required<Omit<CreatePipelineDto, 'name'>> & { name: string } {
  const { desired } = change;
  const taskId = (name: string | null): string | null => (name === null ? null : (taskIds.get(name) ?? name));

  return {
    name: desired.name,
    description: desired.description,
    cron: desired.cron,
    timezone: desired.timezone,
    enabled: desired.enabled,
    mode: desired.mode,
    overlap: desired.overlap,
    misfire: desired.misfire,
    timeoutSeconds: desired.timeoutSeconds,
    nodeIds: change.nodeIds,
    nodeSelector: desired.nodeSelector,
    onSuccessTaskId: taskId(desired.onSuccess),
    onFailureTaskId: taskId(desired.onFailure),
    steps: stepInputs(desired.steps, change.current?.steps ?? [], taskIds),
  };
}

/** Maps a field of the file format to the field of the API's update request. */
const PIPELINE_REQUEST_FIELD: Readonly<Record<keyof NormalizedPipeline, keyof UpdatePipelineDto>> = {
  name: 'name',
  description: 'description',
  cron: 'cron',
  timezone: 'timezone',
  enabled: 'enabled',
  mode: 'mode',
  overlap: 'overlap',
  misfire: 'misfire',
  timeoutSeconds: 'timeoutSeconds',
  nodes: 'nodeIds',
  nodeSelector: 'nodeSelector',
  onSuccess: 'onSuccessTaskId',
  onFailure: 'onFailureTaskId',
  steps: 'steps',
};

async function applyTask(client: ApiClient, change: TaskChange): Promise<TaskDto | undefined> {
  const { definition } = change;
  if (change.action === 'create') {
    const body: CreateTaskDto = {
      name: definition.name,
      kind: definition.kind,
      config: definition.config as unknown as CreateTaskDto['config'],
      ...(definition.description === undefined ? {} : { description: definition.description }),
    };

    return client.post<TaskDto>('/api/tasks', body);
  }
  if (change.action === 'update' && change.current) {
    const full: UpdateTaskDto = {
      description: definition.description ?? '',
      kind: definition.kind,
      config: definition.config as unknown as UpdateTaskDto['config'],
    };
    const body = Object.fromEntries(change.fields.map((field) => [field, full[field]]));

    return client.patch<TaskDto>(`/api/tasks/${change.current.id}`, body);
  }

  return change.current;
}

async function applyPipeline(client: ApiClient, change: PipelineChange, taskIds: Map<string, string>): Promise<void> {
  const fields = pipelineFields(change, taskIds);
  if (change.action === 'create') {
    await client.post<PipelineDto>('/api/pipelines', fields);
  } else if (change.action === 'update' && change.current) {
    const body = Object.fromEntries(
      change.fields.map((field) => {
        const requestField = PIPELINE_REQUEST_FIELD[field];

        return [requestField, fields[requestField]];
      }),
    );
    await client.patch<PipelineDto>(`/api/pipelines/${change.current.id}`, body);
  }
}

/** Marks a change as an update of the fields holding secrets that could not be compared. */
function forceSecrets<T extends TaskChange | PipelineChange>(change: T): T {
  if (change.action !== 'unchanged' || change.uncompared.length === 0) {
    return change;
  }

  const fields = [...new Set([...change.fields, ...change.uncompared.map((path) => path.split(/[.[]/)[0])])];

  return { ...change, action: 'update', fields };
}

function describeChange(change: TaskChange | PipelineChange, dryRun: boolean, sendSecrets: boolean): string {
  const words = dryRun ? FUTURE : PAST;
  const lines = [`${change.kind}/${change.name} ${words[change.action]}`];
  lines.push(...change.changes.map((line) => `    ${line}`));
  if (change.uncompared.length > 0 && !sendSecrets) {
    lines.push(
      `    not compared: ${change.uncompared.join(', ')} (the server never returns secret values; ` +
        'pass --send-secrets to send them anyway)',
    );
  }

  return lines.join('\n');
}

/** Compares the definitions with the server and, unless this is a dry run, creates and updates what differs. */
export async function applyDefinitions(
  client: ApiClient,
  loaded: LoadedDefinitions,
  options: ApplyOptions,
): Promise<ApplySummary> {
  const state = await readServerState(client);
  let plan: Plan = planChanges(loaded, state);
  if (options.sendSecrets) {
    plan = { tasks: plan.tasks.map(forceSecrets), pipelines: plan.pipelines.map(forceSecrets) };
  }

  const summary: ApplySummary = { created: 0, updated: 0, unchanged: 0 };
  const count = (action: ChangeAction): void => {
    summary[PAST[action]] += 1;
  };
  const taskIds = new Map(state.tasks.map((task) => [task.name, task.id]));
  const changes = [...plan.tasks, ...plan.pipelines];
  let done = 0;

  // Tasks go first, because pipelines refer to them by id.
  try {
    for (const change of plan.tasks) {
      if (!options.dryRun) {
        const task = await applyTask(client, change);
        if (task) {
          taskIds.set(task.name, task.id);
        }
      }
      options.report(describeChange(change, options.dryRun, options.sendSecrets));
      count(change.action);
      done += 1;
    }
    for (const change of plan.pipelines) {
      if (!options.dryRun) {
        await applyPipeline(client, change, taskIds);
      }
      options.report(describeChange(change, options.dryRun, options.sendSecrets));
      count(change.action);
      done += 1;
    }
  } catch (error: unknown) {
    const failed = changes[done];
    const message = `Applying ${failed.kind}/${failed.name} from ${failed.source} failed: ${messageOf(error)}`;
    const progress =
      done > 0 ? `\nThe ${done} change(s) listed above were applied; fix the error and apply again.` : '';
    throw new CliError(error instanceof CliError ? error.code : 'API_REJECTED', `${message}${progress}`);
  }

  return summary;
}

/** Formats the totals as one line, such as "2 created, 1 updated, 3 unchanged", or says that nothing changed. */
export function summaryLine(summary: ApplySummary, dryRun: boolean): string {
  if (summary.created === 0 && summary.updated === 0) {
    return `No changes: ${summary.unchanged} definition(s) already match the server`;
  }

  if (dryRun) {
    return (
      `Dry run: ${summary.created} to create, ${summary.updated} to update, ${summary.unchanged} unchanged; ` +
      'nothing was changed'
    );
  }

  return `${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged`;
}
