import { MASK } from '@ects/domain';

import type { NodeDto, PipelineDto, TaskDto } from '../api/schema';
import { CliError } from '../errors';
import { difference, redactSecretNames, SECRET_PLACEHOLDER } from './diff';
import {
  normalizePipeline,
  type LoadedDefinitions,
  type NormalizedPipeline,
  type NormalizedStep,
  type TaskDefinition,
} from './model';

export type ChangeAction = 'create' | 'update' | 'unchanged';

interface BaseChange {
  name: string;
  source: string;
  action: ChangeAction;
  /** `field: old → new` lines of an update. */
  changes: string[];
  /** Secret fields that could not be compared because the server returns them masked. */
  uncompared: string[];
}

export interface TaskChange extends BaseChange {
  kind: 'task';
  definition: TaskDefinition;
  current: TaskDto | undefined;
  /** Top-level fields an update sends. */
  fields: Array<'description' | 'kind' | 'config'>;
}

export interface PipelineChange extends BaseChange {
  kind: 'pipeline';
  desired: NormalizedPipeline;
  /** Ids of the nodes the pipeline should be bound to, in the order of `desired.nodes`. */
  nodeIds: string[];
  current: PipelineDto | undefined;
  /** Top-level fields an update sends. */
  fields: Array<keyof NormalizedPipeline>;
}

export interface Plan {
  tasks: TaskChange[];
  pipelines: PipelineChange[];
}

/** Tasks, pipelines and nodes read from the server before planning. */
export interface ServerState {
  tasks: TaskDto[];
  pipelines: PipelineDto[];
  nodes: NodeDto[];
}

function comparableTask(task: TaskDefinition | TaskDto): Record<string, unknown> {
  return { description: task.description ?? '', kind: task.kind, config: redactSecretNames(task.config) };
}

/** Returns the pipeline with secret step values from the file replaced by the placeholder. */
function redactPipeline(pipeline: NormalizedPipeline): NormalizedPipeline {
  return {
    ...pipeline,
    steps: pipeline.steps.map((step) => ({
      ...step,
      env: step.env.map((variable) =>
        variable.secret && variable.value !== MASK ? { ...variable, value: SECRET_PLACEHOLDER } : variable,
      ),
    })),
  };
}

function planTask(definition: TaskDefinition, source: string, current: TaskDto | undefined): TaskChange {
  const base = { kind: 'task' as const, name: definition.name, source, definition, current };
  if (!current) {
    return { ...base, action: 'create', changes: [], uncompared: [], fields: [] };
  }

  const desired = comparableTask(definition);
  const existing = comparableTask(current);
  const diff = difference(desired, existing);
  const fields = (['description', 'kind', 'config'] as const).filter(
    (field) => difference(desired[field], existing[field]).changes.length > 0,
  );

  return { ...base, action: fields.length > 0 ? 'update' : 'unchanged', ...diff, fields };
}

/** Rewrites a pipeline read from the server in the file's terms: tasks and nodes by name, defaults filled. */
export function normalizeCurrentPipeline(
  pipeline: PipelineDto,
  taskNames: Map<string, string>,
  nodeNames: Map<string, string>,
): NormalizedPipeline {
  const taskName = (id: string | null): string | null => (id === null ? null : (taskNames.get(id) ?? id));

  return {
    name: pipeline.name,
    description: pipeline.description,
    cron: pipeline.cron,
    timezone: pipeline.timezone,
    enabled: pipeline.enabled,
    mode: pipeline.mode,
    overlap: pipeline.overlap,
    misfire: pipeline.misfire,
    timeoutSeconds: pipeline.timeoutSeconds,
    nodes: pipeline.nodeIds.map((id) => nodeNames.get(id) ?? id).sort(),
    nodeSelector: pipeline.nodeSelector && Object.keys(pipeline.nodeSelector).length > 0 ? pipeline.nodeSelector : null,
    onSuccess: taskName(pipeline.onSuccessTaskId),
    onFailure: taskName(pipeline.onFailureTaskId),
    steps: pipeline.steps.map((step): NormalizedStep => ({
      task: step.taskName || (taskNames.get(step.taskId) ?? step.taskId),
      timeoutSeconds: step.timeoutSeconds,
      retries: step.retries,
      retryIntervalSeconds: step.retryIntervalSeconds,
      retryBackoff: step.retryBackoff,
      onFailure: step.onFailure,
      runAsUser: step.runAsUser,
      workingDirectory: step.workingDirectory,
      env: step.env.map((variable) => ({
        name: variable.name,
        value: variable.value,
        secret: variable.secret ?? false,
      })),
    })),
  };
}

/**
 * Compares the loaded definitions with the server's state and decides, for each task and pipeline,
 * whether it is created, updated or left unchanged. Fails listing every task or node that a pipeline
 * names but neither the files nor the server have, before anything is changed.
 */
export function planChanges(loaded: LoadedDefinitions, state: ServerState): Plan {
  const tasksByName = new Map(state.tasks.map((task) => [task.name, task]));
  const pipelinesByName = new Map(state.pipelines.map((pipeline) => [pipeline.name, pipeline]));
  const taskNames = new Map(state.tasks.map((task) => [task.id, task.name]));
  const nodeNames = new Map(state.nodes.map((node) => [node.id, node.name]));
  const nodesByName = new Map(state.nodes.map((node) => [node.name, node]));
  const knownTasks = new Set([...tasksByName.keys(), ...loaded.tasks.map((task) => task.definition.name)]);
  const problems: string[] = [];

  const tasks = loaded.tasks.map(({ definition, source }) =>
    planTask(definition, source, tasksByName.get(definition.name)),
  );

  const pipelines = loaded.pipelines.map(({ definition, source }): PipelineChange => {
    const desired = normalizePipeline(definition);
    const where = `${source}: pipeline "${desired.name}"`;
    const references = [
      ...desired.steps.map((step, index) => [`steps[${index}].task`, step.task] as const),
      ['onSuccess', desired.onSuccess] as const,
      ['onFailure', desired.onFailure] as const,
    ];
    for (const [field, task] of references) {
      if (task !== null && !knownTasks.has(task)) {
        problems.push(`${where}: ${field} names task "${task}", which neither the files nor the server define`);
      }
    }

    const nodeIds = desired.nodes.flatMap((reference) => {
      const node = nodesByName.get(reference) ?? state.nodes.find((candidate) => candidate.id === reference);
      if (!node) {
        problems.push(
          `${where}: node "${reference}" does not exist; enroll an agent with that name first ` +
            '(ectsctl get nodes lists the nodes)',
        );

        return [];
      }

      return [node.id];
    });
    // Bindings are a set: compare them by canonical name in a stable order.
    desired.nodes = nodeIds.map((id) => nodeNames.get(id) ?? id).sort();

    const current = pipelinesByName.get(desired.name);
    const base = { kind: 'pipeline' as const, name: desired.name, source, desired, nodeIds, current };
    if (!current) {
      return { ...base, action: 'create', changes: [], uncompared: [], fields: [] };
    }

    const existing = normalizeCurrentPipeline(current, taskNames, nodeNames);
    const comparable = redactPipeline(desired);
    const diff = difference(comparable, existing);
    const fields = (Object.keys(comparable) as Array<keyof NormalizedPipeline>).filter(
      (field) => difference(comparable[field], existing[field]).changes.length > 0,
    );

    return { ...base, action: fields.length > 0 ? 'update' : 'unchanged', ...diff, fields };
  });

  if (problems.length > 0) {
    throw new CliError('DEFINITIONS_INVALID', `Cannot apply the definitions:\n  ${problems.join('\n  ')}`);
  }

  return { tasks, pipelines };
}
