import type { TaskKind } from '@ects/domain';

/**
 * The file format of `apply` and `export`: tasks and pipelines by name, so definitions can live in
 * git and be applied to any ECTS server. Pipelines refer to tasks and nodes by name, never by id.
 */
export interface Definitions {
  tasks: TaskDefinition[];
  pipelines: PipelineDefinition[];
}

export interface TaskDefinition {
  name: string;
  description?: string;
  kind: TaskKind;
  config: Record<string, unknown>;
}

export interface EnvVarDefinition {
  name: string;
  value: string;
  secret?: boolean;
}

export interface StepDefinition {
  task: string;
  timeoutSeconds?: number;
  retries?: number;
  retryIntervalSeconds?: number;
  retryBackoff?: 'fixed' | 'exponential';
  onFailure?: 'stop' | 'continue';
  runAsUser?: string | null;
  workingDirectory?: string | null;
  /** A map of plain values, or a list when some values are secret. */
  env?: EnvVarDefinition[] | Record<string, string>;
}

export interface PipelineDefinition {
  name: string;
  description?: string;
  cron: string;
  timezone?: string;
  enabled?: boolean;
  mode?: 'all' | 'one';
  overlap?: 'skip' | 'queue' | 'replace' | 'allow';
  misfire?: 'skip' | 'run_once';
  timeoutSeconds?: number;
  /** Node names (or ids) the pipeline is bound to. */
  nodes?: string[];
  nodeSelector?: Record<string, string> | null;
  /** Task run after a successful run, by name. */
  onSuccess?: string | null;
  /** Task run after a failed, timed-out or killed run, by name. */
  onFailure?: string | null;
  steps: StepDefinition[];
}

/** A definition and the file it came from, for messages. */
export interface Sourced<T> {
  definition: T;
  source: string;
}

export interface LoadedDefinitions {
  tasks: Sourced<TaskDefinition>[];
  pipelines: Sourced<PipelineDefinition>[];
}

/** Every field of a pipeline with the API's defaults filled in, as plans compare them. */
export interface NormalizedPipeline {
  name: string;
  description: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  mode: 'all' | 'one';
  overlap: 'skip' | 'queue' | 'replace' | 'allow';
  misfire: 'skip' | 'run_once';
  timeoutSeconds: number;
  nodes: string[];
  nodeSelector: Record<string, string> | null;
  onSuccess: string | null;
  onFailure: string | null;
  steps: NormalizedStep[];
}

export interface NormalizedStep {
  task: string;
  timeoutSeconds: number;
  retries: number;
  retryIntervalSeconds: number;
  retryBackoff: 'fixed' | 'exponential';
  onFailure: 'stop' | 'continue';
  runAsUser: string | null;
  workingDirectory: string | null;
  env: Required<EnvVarDefinition>[];
}

export const PIPELINE_DEFAULTS = {
  description: '',
  timezone: 'UTC',
  enabled: true,
  mode: 'all',
  overlap: 'skip',
  misfire: 'skip',
  timeoutSeconds: 0,
} as const;

export const STEP_DEFAULTS = {
  timeoutSeconds: 0,
  retries: 0,
  retryIntervalSeconds: 0,
  retryBackoff: 'fixed',
  onFailure: 'stop',
} as const;

export function normalizeEnv(env: StepDefinition['env']): Required<EnvVarDefinition>[] {
  if (env === undefined) {
    return [];
  }
  if (Array.isArray(env)) {
    return env.map((variable) => ({ name: variable.name, value: variable.value, secret: variable.secret ?? false }));
  }

  return Object.entries(env).map(([name, value]) => ({ name, value, secret: false }));
}

export function normalizePipeline(definition: PipelineDefinition): NormalizedPipeline {
  return {
    name: definition.name,
    description: definition.description ?? PIPELINE_DEFAULTS.description,
    cron: definition.cron.trim(),
    timezone: definition.timezone ?? PIPELINE_DEFAULTS.timezone,
    enabled: definition.enabled ?? PIPELINE_DEFAULTS.enabled,
    mode: definition.mode ?? PIPELINE_DEFAULTS.mode,
    overlap: definition.overlap ?? PIPELINE_DEFAULTS.overlap,
    misfire: definition.misfire ?? PIPELINE_DEFAULTS.misfire,
    timeoutSeconds: definition.timeoutSeconds ?? PIPELINE_DEFAULTS.timeoutSeconds,
    nodes: [...(definition.nodes ?? [])],
    nodeSelector:
      definition.nodeSelector && Object.keys(definition.nodeSelector).length > 0 ? definition.nodeSelector : null,
    onSuccess: definition.onSuccess ?? null,
    onFailure: definition.onFailure ?? null,
    steps: definition.steps.map((step) => ({
      task: step.task,
      timeoutSeconds: step.timeoutSeconds ?? STEP_DEFAULTS.timeoutSeconds,
      retries: step.retries ?? STEP_DEFAULTS.retries,
      retryIntervalSeconds: step.retryIntervalSeconds ?? STEP_DEFAULTS.retryIntervalSeconds,
      retryBackoff: step.retryBackoff ?? STEP_DEFAULTS.retryBackoff,
      onFailure: step.onFailure ?? STEP_DEFAULTS.onFailure,
      runAsUser: step.runAsUser ?? null,
      workingDirectory: step.workingDirectory ?? null,
      env: normalizeEnv(step.env),
    })),
  };
}
