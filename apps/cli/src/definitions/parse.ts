import { CronError, parseCron, TASK_KINDS } from '@ects/domain';
import { parseAllDocuments } from 'yaml';

import { CliError, messageOf } from '../errors';
import type { Definitions, EnvVarDefinition, PipelineDefinition, StepDefinition, TaskDefinition } from './model';

type Json = Record<string, unknown>;

const TASK_KEYS = ['name', 'description', 'kind', 'config'];
const PIPELINE_KEYS = [
  'name',
  'description',
  'cron',
  'timezone',
  'enabled',
  'mode',
  'overlap',
  'misfire',
  'timeoutSeconds',
  'nodes',
  'nodeSelector',
  'onSuccess',
  'onFailure',
  'steps',
];
const STEP_KEYS = [
  'task',
  'timeoutSeconds',
  'retries',
  'retryIntervalSeconds',
  'retryBackoff',
  'onFailure',
  'runAsUser',
  'workingDirectory',
  'env',
];
const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Maximum length of a task or pipeline name that the API accepts. */
const MAX_NAME_LENGTH = 120;

/** Collects every problem of one file, each prefixed by the file and the path of the field. */
class Checker {
  readonly problems: string[] = [];

  constructor(private readonly source: string) {}

  fail(path: string, message: string): void {
    this.problems.push(`${this.source}: ${path}: ${message}`);
  }

  object(value: unknown, path: string, keys: string[]): Json | null {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(path, `must be a mapping with the fields ${keys.join(', ')}`);

      return null;
    }
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) {
        this.fail(`${path}.${key}`, `unknown field; the fields are ${keys.join(', ')}`);
      }
    }

    return value as Json;
  }

  list(value: unknown, path: string): unknown[] {
    if (value === undefined) {
      return [];
    }
    if (!Array.isArray(value)) {
      this.fail(path, 'must be a list');

      return [];
    }

    return value;
  }

  name(value: unknown, path: string): string {
    if (typeof value !== 'string' || value.trim() === '') {
      this.fail(path, 'is required and must be a non-empty string');

      return '';
    }
    if (value.length > MAX_NAME_LENGTH) {
      this.fail(path, `must be at most ${MAX_NAME_LENGTH} characters, got ${value.length}`);
    }

    return value;
  }

  optionalString(value: unknown, path: string): string | undefined {
    if (value === undefined) {
      return undefined;
    }
    if (typeof value !== 'string') {
      this.fail(path, `must be a string, got ${describe(value)}`);

      return undefined;
    }

    return value;
  }

  nullableString(value: unknown, path: string): string | null | undefined {
    return value === null ? null : this.optionalString(value, path);
  }

  optionalBoolean(value: unknown, path: string): boolean | undefined {
    if (value === undefined) {
      return undefined;
    }
    if (typeof value !== 'boolean') {
      this.fail(path, `must be true or false, got ${describe(value)}`);

      return undefined;
    }

    return value;
  }

  optionalCount(value: unknown, path: string): number | undefined {
    if (value === undefined) {
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      this.fail(path, `must be a whole number of 0 or more, got ${describe(value)}`);

      return undefined;
    }

    return value;
  }

  optionalChoice<T extends string>(value: unknown, path: string, choices: readonly T[]): T | undefined {
    if (value === undefined) {
      return undefined;
    }
    const choice = choices.find((candidate) => candidate === value);
    if (choice === undefined) {
      this.fail(path, `must be one of ${choices.join(', ')}, got ${describe(value)}`);
    }

    return choice;
  }

  stringMap(value: unknown, path: string): Record<string, string> | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(path, 'must be a mapping of names to string values');

      return undefined;
    }
    const entries = Object.entries(value as Json);
    for (const [key, item] of entries) {
      if (typeof item !== 'string') {
        this.fail(`${path}.${key}`, `must be a string, got ${describe(item)}; quote numbers and booleans`);
      }
    }

    return value as Record<string, string>;
  }
}

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  if (typeof value === 'object') {
    return 'a mapping';
  }

  return JSON.stringify(value);
}

function readTask(check: Checker, value: unknown, path: string): TaskDefinition | null {
  const task = check.object(value, path, TASK_KEYS);
  if (!task) {
    return null;
  }

  const name = check.name(task['name'], `${path}.name`);
  const kind = check.optionalChoice(task['kind'], `${path}.kind`, TASK_KINDS);
  if (task['kind'] === undefined) {
    check.fail(`${path}.kind`, `is required: one of ${TASK_KINDS.join(', ')}`);
  }
  const config = task['config'];
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    check.fail(`${path}.config`, 'is required and must be a mapping of the settings of the task kind');

    return null;
  }
  if (kind === 'shell' && typeof (config as Json)['command'] !== 'string') {
    check.fail(`${path}.config.command`, 'is required for a shell task and must be a string');
  }

  const description = check.optionalString(task['description'], `${path}.description`);

  return kind === undefined
    ? null
    : { name, kind, config: config as Json, ...(description === undefined ? {} : { description }) };
}

function readEnv(check: Checker, value: unknown, path: string): StepDefinition['env'] {
  if (value === undefined) {
    return undefined;
  }
  if (!Array.isArray(value)) {
    const map = check.stringMap(value, path);
    for (const name of Object.keys(map ?? {})) {
      if (!ENV_VAR_NAME.test(name)) {
        check.fail(
          `${path}.${name}`,
          'is not a valid variable name: use letters, digits and _, not starting with a digit',
        );
      }
    }

    return map;
  }

  return value.flatMap((item, index): EnvVarDefinition[] => {
    const itemPath = `${path}[${index}]`;
    const variable = check.object(item, itemPath, ['name', 'value', 'secret']);
    if (!variable) {
      return [];
    }
    const name = check.name(variable['name'], `${itemPath}.name`);
    if (name !== '' && !ENV_VAR_NAME.test(name)) {
      check.fail(`${itemPath}.name`, `"${name}" is not a valid variable name: use letters, digits and _`);
    }
    if (typeof variable['value'] !== 'string') {
      check.fail(`${itemPath}.value`, `is required and must be a string, got ${describe(variable['value'])}`);

      return [];
    }
    const secret = check.optionalBoolean(variable['secret'], `${itemPath}.secret`);

    return [{ name, value: variable['value'], ...(secret === undefined ? {} : { secret }) }];
  });
}

function readStep(check: Checker, value: unknown, path: string): StepDefinition | null {
  const step = check.object(value, path, STEP_KEYS);
  if (!step) {
    return null;
  }

  const definition: StepDefinition = { task: check.name(step['task'], `${path}.task`) };
  const counts = ['timeoutSeconds', 'retries', 'retryIntervalSeconds'] as const;
  for (const key of counts) {
    const count = check.optionalCount(step[key], `${path}.${key}`);
    if (count !== undefined) {
      definition[key] = count;
    }
  }
  const retryBackoff = check.optionalChoice(step['retryBackoff'], `${path}.retryBackoff`, ['fixed', 'exponential']);
  const onFailure = check.optionalChoice(step['onFailure'], `${path}.onFailure`, ['stop', 'continue']);
  const runAsUser = check.nullableString(step['runAsUser'], `${path}.runAsUser`);
  const workingDirectory = check.nullableString(step['workingDirectory'], `${path}.workingDirectory`);
  const env = readEnv(check, step['env'], `${path}.env`);

  return {
    ...definition,
    ...(retryBackoff === undefined ? {} : { retryBackoff }),
    ...(onFailure === undefined ? {} : { onFailure }),
    ...(runAsUser === undefined ? {} : { runAsUser }),
    ...(workingDirectory === undefined ? {} : { workingDirectory }),
    ...(env === undefined ? {} : { env }),
  };
}

function readPipeline(check: Checker, value: unknown, path: string): PipelineDefinition | null {
  const pipeline = check.object(value, path, PIPELINE_KEYS);
  if (!pipeline) {
    return null;
  }

  const name = check.name(pipeline['name'], `${path}.name`);
  const cron = typeof pipeline['cron'] === 'string' ? pipeline['cron'].trim() : '';
  if (cron === '') {
    check.fail(`${path}.cron`, 'is required: a cron expression such as "0 2 * * *" (quote it in YAML)');
  }
  const timezone = check.optionalString(pipeline['timezone'], `${path}.timezone`);
  if (cron !== '') {
    try {
      parseCron(cron, timezone ?? 'UTC');
    } catch (error: unknown) {
      const field = error instanceof CronError && error.field === 'timezone' ? 'timezone' : 'cron';
      check.fail(`${path}.${field}`, messageOf(error));
    }
  }

  const nodes = check.list(pipeline['nodes'], `${path}.nodes`).flatMap((node, index) => {
    const nodeName = check.name(node, `${path}.nodes[${index}]`);

    return nodeName === '' ? [] : [nodeName];
  });
  const steps = check
    .list(pipeline['steps'], `${path}.steps`)
    .map((step, index) => readStep(check, step, `${path}.steps[${index}]`))
    .filter((step): step is StepDefinition => step !== null);
  if (pipeline['steps'] === undefined) {
    check.fail(`${path}.steps`, 'is required: a list of steps, each naming a task');
  }

  const optional: Partial<PipelineDefinition> = {
    description: check.optionalString(pipeline['description'], `${path}.description`),
    timezone,
    enabled: check.optionalBoolean(pipeline['enabled'], `${path}.enabled`),
    mode: check.optionalChoice(pipeline['mode'], `${path}.mode`, ['all', 'one']),
    overlap: check.optionalChoice(pipeline['overlap'], `${path}.overlap`, ['skip', 'queue', 'replace', 'allow']),
    misfire: check.optionalChoice(pipeline['misfire'], `${path}.misfire`, ['skip', 'run_once']),
    timeoutSeconds: check.optionalCount(pipeline['timeoutSeconds'], `${path}.timeoutSeconds`),
    nodeSelector:
      pipeline['nodeSelector'] === undefined || pipeline['nodeSelector'] === null
        ? pipeline['nodeSelector']
        : check.stringMap(pipeline['nodeSelector'], `${path}.nodeSelector`),
    onSuccess: check.nullableString(pipeline['onSuccess'], `${path}.onSuccess`),
    onFailure: check.nullableString(pipeline['onFailure'], `${path}.onFailure`),
  };
  const defined = Object.fromEntries(Object.entries(optional).filter(([, item]) => item !== undefined));

  return { name, cron, ...defined, ...(nodes.length > 0 ? { nodes } : {}), steps };
}

/** Reads the documents of a YAML file, or the one document of a JSON file, as plain values. */
function readDocuments(text: string, source: string): unknown[] {
  if (source.endsWith('.json')) {
    try {
      return [JSON.parse(text)];
    } catch (error: unknown) {
      throw new CliError('DEFINITIONS_INVALID', `${source}: invalid JSON: ${messageOf(error)}`);
    }
  }

  const documents = parseAllDocuments(text, { prettyErrors: true });
  if (!Array.isArray(documents)) {
    return [];
  }
  const errors = documents.flatMap((document) => document.errors.map((error) => error.message));
  if (errors.length > 0) {
    throw new CliError(
      'DEFINITIONS_INVALID',
      `${source}: invalid YAML: ${errors.join('; ')}` +
        (text.includes('*') ? ' (a cron expression that starts with * must be quoted)' : ''),
    );
  }

  return documents.map((document) => document.toJS() as unknown);
}

/**
 * Parses and checks one definitions file. Every problem in it is reported at once, each with the
 * path of the field, so a file can be fixed in one pass.
 */
export function parseDefinitions(text: string, source: string): Definitions {
  const check = new Checker(source);
  const definitions: Definitions = { tasks: [], pipelines: [] };

  readDocuments(text, source).forEach((document, index) => {
    if (document === null || document === undefined) {
      return;
    }
    const path = index === 0 ? '' : `document ${index + 1}`;
    const root = check.object(document, path || '(top level)', ['tasks', 'pipelines']);
    if (!root) {
      return;
    }
    const prefix = path ? `${path}: ` : '';
    check.list(root['tasks'], `${prefix}tasks`).forEach((task, taskIndex) => {
      const definition = readTask(check, task, `${prefix}tasks[${taskIndex}]`);
      if (definition) {
        definitions.tasks.push(definition);
      }
    });
    check.list(root['pipelines'], `${prefix}pipelines`).forEach((pipeline, pipelineIndex) => {
      const definition = readPipeline(check, pipeline, `${prefix}pipelines[${pipelineIndex}]`);
      if (definition) {
        definitions.pipelines.push(definition);
      }
    });
  });

  if (check.problems.length > 0) {
    throw new CliError('DEFINITIONS_INVALID', `Invalid definitions:\n  ${check.problems.join('\n  ')}`);
  }

  return definitions;
}
