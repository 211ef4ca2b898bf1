import { CliError } from '../errors';
import {
  PIPELINE_DEFAULTS,
  STEP_DEFAULTS,
  type Definitions,
  type NormalizedPipeline,
  type PipelineDefinition,
  type StepDefinition,
  type TaskDefinition,
} from './model';
import { normalizeCurrentPipeline, type ServerState } from './plan';

/** Copies the fields of `value` that differ from `defaults`, so exported files list only what was chosen. */
function withoutDefaults<T extends object>(value: T, defaults: Partial<T>): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(
      ([key, item]) => item !== undefined && item !== null && item !== defaults[key as keyof T],
    ),
  ) as Partial<T>;
}

function exportStep(step: NormalizedPipeline['steps'][number]): StepDefinition {
  const { task, env, ...settings } = step;
  const exported: StepDefinition = { task, ...withoutDefaults(settings, STEP_DEFAULTS) };
  if (env.length === 0) {
    return exported;
  }

  // A map reads best; a list is needed only to mark values secret. Secret values are already masked.
  const secret = env.some((variable) => variable.secret);
  exported.env = secret
    ? env.map((variable) => (variable.secret ? variable : { name: variable.name, value: variable.value }))
    : Object.fromEntries(env.map((variable) => [variable.name, variable.value]));

  return exported;
}

function exportPipeline(pipeline: NormalizedPipeline): PipelineDefinition {
  const { name, cron, steps, nodes, nodeSelector, onSuccess, onFailure, ...settings } = pipeline;

  return {
    name,
    ...withoutDefaults({ description: settings.description }, PIPELINE_DEFAULTS),
    cron,
    ...withoutDefaults(
      {
        timezone: settings.timezone,
        enabled: settings.enabled,
        mode: settings.mode,
        overlap: settings.overlap,
        misfire: settings.misfire,
        timeoutSeconds: settings.timeoutSeconds,
      },
      PIPELINE_DEFAULTS,
    ),
    ...(nodes.length > 0 ? { nodes } : {}),
    ...(nodeSelector ? { nodeSelector } : {}),
    ...(onSuccess ? { onSuccess } : {}),
    ...(onFailure ? { onFailure } : {}),
    steps: steps.map(exportStep),
  };
}

/**
 * Writes the server's tasks and pipelines in the file format of `apply`, sorted by name, with tasks
 * and nodes by name and secret values masked. With pipeline names, only those pipelines and the tasks
 * they use are written.
 */
export function exportDefinitions(state: ServerState, pipelineNames: string[] = []): Definitions {
  const taskNames = new Map(state.tasks.map((task) => [task.id, task.name]));
  const nodeNames = new Map(state.nodes.map((node) => [node.id, node.name]));

  const missing = pipelineNames.filter((name) => !state.pipelines.some((pipeline) => pipeline.name === name));
  if (missing.length > 0) {
    throw new CliError('NOT_FOUND', `No pipeline is named ${missing.map((name) => `"${name}"`).join(', ')}`);
  }

  const pipelines = state.pipelines
    .filter((pipeline) => pipelineNames.length === 0 || pipelineNames.includes(pipeline.name))
    .map((pipeline) => normalizeCurrentPipeline(pipeline, taskNames, nodeNames))
    .sort((a, b) => a.name.localeCompare(b.name));

  const usedTasks = new Set(
    pipelines.flatMap((pipeline) => [
      ...pipeline.steps.map((step) => step.task),
      ...(pipeline.onSuccess ? [pipeline.onSuccess] : []),
      ...(pipeline.onFailure ? [pipeline.onFailure] : []),
    ]),
  );
  const tasks = state.tasks
    .filter((task) => pipelineNames.length === 0 || usedTasks.has(task.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((task): TaskDefinition => ({
      name: task.name,
      ...(task.description ? { description: task.description } : {}),
      kind: task.kind,
      config: task.config as unknown as Record<string, unknown>,
    }));

  return { tasks, pipelines: pipelines.map(exportPipeline) };
}
