import {
  EXECUTION_MODES,
  MISFIRE_POLICIES,
  OVERLAP_POLICIES,
  RETRY_BACKOFFS,
  STEP_FAILURE_RULES,
  TASK_KINDS,
  type PipelineSnapshot,
} from '@ects/domain';

import { InvalidSnapshotError } from './errors';
import { isRecord } from './state/json-file';

type Check = (value: unknown) => boolean;

const isString: Check = (value) => typeof value === 'string';
const isNonEmptyString: Check = (value) => typeof value === 'string' && value.length > 0;
const isBoolean: Check = (value) => typeof value === 'boolean';
const isNonNegativeNumber: Check = (value) => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isNullableString: Check = (value) => value === null || typeof value === 'string';
const isStringArray: Check = (value) => Array.isArray(value) && value.every(isString);
const isStringRecord: Check = (value) => isRecord(value) && Object.values(value).every(isString);
const oneOf =
  (values: readonly string[]): Check =>
  (value) =>
    typeof value === 'string' && values.includes(value);

function isTask(value: unknown): boolean {
  return (
    isRecord(value) &&
    isNonEmptyString(value.id) &&
    isString(value.name) &&
    oneOf(TASK_KINDS)(value.kind) &&
    isRecord(value.config)
  );
}

const STEP_FIELDS: Record<string, Check> = {
  position: isNonNegativeNumber,
  task: isTask,
  timeoutSeconds: isNonNegativeNumber,
  retries: isNonNegativeNumber,
  retryIntervalSeconds: isNonNegativeNumber,
  retryBackoff: oneOf(RETRY_BACKOFFS),
  onFailure: oneOf(STEP_FAILURE_RULES),
  runAsUser: isNullableString,
  workingDirectory: isNullableString,
  env: isStringRecord,
  secretEnvNames: isStringArray,
};

const PIPELINE_FIELDS: Record<string, Check> = {
  id: isNonEmptyString,
  name: isString,
  version: isNonNegativeNumber,
  cron: isNonEmptyString,
  timezone: isNonEmptyString,
  enabled: isBoolean,
  mode: oneOf(EXECUTION_MODES),
  overlap: oneOf(OVERLAP_POLICIES),
  misfire: oneOf(MISFIRE_POLICIES),
  timeoutSeconds: isNonNegativeNumber,
  steps: (value) => Array.isArray(value),
  onSuccessTask: (value) => value === null || isTask(value),
  onFailureTask: (value) => value === null || isTask(value),
  nodeIds: isStringArray,
};

/** Lists the fields of `value` that fail their checks, as `prefix.field`. */
function invalidFields(value: Record<string, unknown>, fields: Record<string, Check>, prefix: string): string[] {
  return Object.entries(fields)
    .filter(([field, check]) => !check(value[field]))
    .map(([field]) => `${prefix}${field}`);
}

/**
 * Checks that a parsed value has the shape of a PipelineSnapshot, so a malformed assignment fails
 * here with the names of its bad fields instead of deep inside a run. Throws InvalidSnapshotError.
 */
export function toPipelineSnapshot(value: unknown, source: string): PipelineSnapshot {
  if (!isRecord(value)) {
    throw new InvalidSnapshotError(`Invalid pipeline snapshot in ${source}: expected a JSON object`);
  }

  const problems = invalidFields(value, PIPELINE_FIELDS, '');
  if (Array.isArray(value.steps)) {
    value.steps.forEach((step: unknown, index) => {
      if (isRecord(step)) {
        problems.push(...invalidFields(step, STEP_FIELDS, `steps.${index}.`));
      } else {
        problems.push(`steps.${index}`);
      }
    });
  }

  if (problems.length > 0) {
    throw new InvalidSnapshotError(`Invalid pipeline snapshot in ${source}: bad fields ${problems.join(', ')}`);
  }

  return value as unknown as PipelineSnapshot;
}

/** Parses the JSON text of an assignment into a checked PipelineSnapshot; throws InvalidSnapshotError. */
export function parsePipelineSnapshot(text: string, source: string): PipelineSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new InvalidSnapshotError(`Invalid pipeline snapshot in ${source}: not valid JSON`);
  }

  return toPipelineSnapshot(value, source);
}
