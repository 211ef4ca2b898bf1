import { BadRequestException } from '@nestjs/common';
import { MASK, maskSecrets, type TaskConfig, type TaskKind } from '@ects/domain';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { flattenValidationErrors } from '../infra/http/validation';
import { TASK_CONFIG_CLASSES } from './dto/task-config.dto';

/**
 * Validates a task's config against the rules of its kind and returns it as plain JSON. Fields of
 * another kind or unknown fields are rejected, with errors named `config.<field>`.
 */
export function parseTaskConfig(kind: TaskKind, config: Record<string, unknown>): TaskConfig {
  const configClass: new () => object = TASK_CONFIG_CLASSES[kind];
  const instance = plainToInstance(configClass, config);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const fieldErrors = flattenValidationErrors(errors, 'config');

    throw new BadRequestException({
      message: `Invalid ${kind} task config: ${fieldErrors.map((error) => error.message).join('; ')}`,
      errors: fieldErrors,
    });
  }

  return JSON.parse(JSON.stringify(instance)) as TaskConfig;
}

/** Returns the config for display: secrets such as a hook secret or an Authorization header are masked. */
export function maskTaskConfig(kind: TaskKind, config: TaskConfig): Record<string, unknown> {
  const masked = maskSecrets(config) as unknown as Record<string, unknown>;
  if (kind === 'http' && masked['headers']) {
    masked['headers'] = maskSecrets(masked['headers']);
  }

  return masked;
}

/**
 * Keeps the stored value wherever an update sends the mask back, so a client can save a form it
 * loaded without knowing the secrets in it.
 */
export function restoreMaskedValues(next: unknown, previous: unknown): unknown {
  if (next === MASK) {
    return previous;
  }
  if (
    next === null ||
    typeof next !== 'object' ||
    Array.isArray(next) ||
    previous === null ||
    typeof previous !== 'object'
  ) {
    return next;
  }

  const restored: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next as Record<string, unknown>)) {
    restored[key] = restoreMaskedValues(value, (previous as Record<string, unknown>)[key]);
  }

  return restored;
}
