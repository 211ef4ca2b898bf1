/** Placeholder shown wherever a secret value would appear. */
export const MASK = '********';

const SECRET_KEY = /(pass(word)?|secret|token|api[-_]?key|credential|authorization|private[-_]?key)/i;

/** Tells whether a field or variable name looks like it holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_KEY.test(name);
}

/** Returns a copy of a JSON value with the values of every secret-looking key replaced by the mask. */
export function maskSecrets<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map((item: unknown) => maskSecrets(item)) as T;
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }

  const masked: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    // Only text and numbers can hold a secret; flags such as `secret: true` or `passwordSet` stay readable.
    const hidesValue = (typeof item === 'string' && item !== '') || typeof item === 'number';
    masked[key] = isSecretName(key) && hidesValue ? MASK : maskSecrets(item);
  }

  return masked as T;
}
