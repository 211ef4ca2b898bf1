import { createHash, randomBytes } from 'node:crypto';

export const API_TOKEN_PREFIX = 'ects_';
/** Characters of a secret shown in lists; enough to tell tokens apart, far too few to guess the rest. */
const VISIBLE_PREFIX_LENGTH = 12;

export interface GeneratedSecret {
  secret: string;
  hash: string;
  prefix: string;
}

/** Makes a new random secret starting with `kind` (for example `ects_`), with its hash and visible prefix. */
export function generateSecret(kind: string): GeneratedSecret {
  const secret = `${kind}${randomBytes(30).toString('base64url')}`;

  return { secret, hash: hashSecret(secret), prefix: secret.slice(0, VISIBLE_PREFIX_LENGTH) };
}

/**
 * Hashes a high-entropy secret for storage. SHA-256 suffices because the secrets are random 240-bit
 * values, unlike passwords, which get bcrypt.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
