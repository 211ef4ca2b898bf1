import { isSecretName, MASK } from '@ects/domain';

/** Differences between a desired and a current value, as `path: old → new` lines. */
export interface Difference {
  /** Fields whose values differ. */
  changes: string[];
  /** Secret fields the server returns masked, so a real value in a file cannot be compared with them. */
  uncompared: string[];
}

const MAX_SHOWN_VALUE = 60;

/** Stands for a secret value from a file in comparisons and messages, so no secret is ever printed. */
export const SECRET_PLACEHOLDER = '(secret)';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function show(value: unknown): string {
  if (value === undefined) {
    return '(none)';
  }

  const text = JSON.stringify(value);

  return text.length <= MAX_SHOWN_VALUE ? text : `${text.slice(0, MAX_SHOWN_VALUE - 1)}…`;
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') {
    return `${path}[${key}]`;
  }

  return path === '' ? key : `${path}.${key}`;
}

function walk(desired: unknown, current: unknown, path: string, result: Difference): void {
  if (current === MASK && typeof desired === 'string') {
    // The server never returns a secret, so sending the mask back keeps it and a real value is unknown.
    if (desired !== MASK) {
      result.uncompared.push(path);
    }

    return;
  }
  if (isRecord(desired) && isRecord(current)) {
    const keys = [...new Set([...Object.keys(desired), ...Object.keys(current)])].sort();
    for (const key of keys) {
      walk(desired[key], current[key], join(path, key), result);
    }

    return;
  }
  if (Array.isArray(desired) && Array.isArray(current) && desired.length === current.length) {
    desired.forEach((item, index) => walk(item, current[index], join(path, index), result));

    return;
  }
  if (JSON.stringify(desired) !== JSON.stringify(current)) {
    result.changes.push(`${path}: ${show(current)} → ${show(desired)}`);
  }
}

/**
 * Compares a desired value with the server's. Objects are compared key by key regardless of key
 * order, arrays item by item. A value the server returns as the mask counts as unchanged.
 */
export function difference(desired: unknown, current: unknown): Difference {
  const result: Difference = { changes: [], uncompared: [] };
  walk(desired, current, '', result);

  return result;
}

/**
 * Returns a copy of a task config in which the values of secret-looking keys are replaced by the
 * placeholder, unless they are the mask. The server masks the same keys, so both sides compare alike.
 */
export function redactSecretNames(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => redactSecretNames(item));
  }
  if (!isRecord(value)) {
    return value;
  }

  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      isSecretName(key) && typeof item === 'string' && item !== MASK && item !== ''
        ? SECRET_PLACEHOLDER
        : redactSecretNames(item),
    ]),
  );
}
