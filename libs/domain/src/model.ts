/** Roles in increasing order of power: each role may do everything the ones before it may. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

/** Scopes an API token may carry. A token never grants more than its owner's role. */
export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export const NODE_STATUSES = ['online', 'offline', 'draining'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export const TASK_KINDS = ['shell', 'http', 'mail', 'hook'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const EXECUTION_MODES = ['all', 'one'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

export const OVERLAP_POLICIES = ['skip', 'queue', 'replace', 'allow'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

export const MISFIRE_POLICIES = ['skip', 'run_once'] as const;
export type MisfirePolicy = (typeof MISFIRE_POLICIES)[number];

export const STEP_FAILURE_RULES = ['stop', 'continue'] as const;
export type StepFailureRule = (typeof STEP_FAILURE_RULES)[number];

export const RETRY_BACKOFFS = ['fixed', 'exponential'] as const;
export type RetryBackoff = (typeof RETRY_BACKOFFS)[number];

export const RUN_TRIGGERS = ['schedule', 'manual', 'api', 'retry'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'timed_out', 'killed', 'skipped', 'lost'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Run statuses after which nothing about the run changes any more. */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = [
  'succeeded',
  'failed',
  'timed_out',
  'killed',
  'skipped',
  'lost',
];

export const STEP_RUN_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'killed',
  'skipped',
] as const;
export type StepRunStatus = (typeof STEP_RUN_STATUSES)[number];

export const OUTPUT_STREAMS = ['stdout', 'stderr', 'system'] as const;
export type OutputStream = (typeof OUTPUT_STREAMS)[number];

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const ACTOR_KINDS = ['user', 'token', 'node', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export interface ShellTaskConfig {
  command: string;
  cwd?: string;
  env?: Record<string, string>;
}

export interface HttpTaskConfig {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Status codes that count as success; empty or absent means any 2xx. */
  expectedStatus?: number[];
  /** Milliseconds before the request is aborted. */
  timeoutMs?: number;
  followRedirects?: boolean;
  verifyTls?: boolean;
}

export interface MailTaskConfig {
  to: string[];
  cc?: string[];
  subject: string;
  body: string;
}

export interface HookTaskConfig {
  url: string;
  /** Key of the HMAC-SHA256 signature sent in the `X-ECTS-Signature` header. */
  secret?: string;
}

export type TaskConfig = ShellTaskConfig | HttpTaskConfig | MailTaskConfig | HookTaskConfig;

export interface TaskConfigByKind {
  shell: ShellTaskConfig;
  http: HttpTaskConfig;
  mail: MailTaskConfig;
  hook: HookTaskConfig;
}

/** The part of a task that a snapshot or a step run carries: enough to run it without the database. */
export interface TaskSnapshot<K extends TaskKind = TaskKind> {
  id: string;
  name: string;
  kind: K;
  config: TaskConfigByKind[K];
}

export interface StepSnapshot {
  position: number;
  task: TaskSnapshot;
  /** Seconds; 0 means bounded only by the pipeline timeout. */
  timeoutSeconds: number;
  retries: number;
  retryIntervalSeconds: number;
  retryBackoff: RetryBackoff;
  onFailure: StepFailureRule;
  runAsUser: string | null;
  workingDirectory: string | null;
  env: Record<string, string>;
  /** Names in `env` whose values are secret: the agent masks them in output. */
  secretEnvNames: string[];
}

/** Everything an agent needs to fire and run a pipeline, as published under its assignments prefix. */
export interface PipelineSnapshot {
  id: string;
  name: string;
  version: number;
  cron: string;
  timezone: string;
  enabled: boolean;
  mode: ExecutionMode;
  overlap: OverlapPolicy;
  misfire: MisfirePolicy;
  /** Seconds; 0 means no limit. */
  timeoutSeconds: number;
  steps: StepSnapshot[];
  onSuccessTask: TaskSnapshot | null;
  onFailureTask: TaskSnapshot | null;
  /** Every node the pipeline runs on, explicit bindings and label matches together. */
  nodeIds: string[];
}

/** Key/value labels; a selector matches a node that has every one of its pairs. */
export type Labels = Record<string, string>;

export function labelsMatch(selector: Labels | null | undefined, labels: Labels): boolean {
  if (!selector || Object.keys(selector).length === 0) {
    return false;
  }

  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}
