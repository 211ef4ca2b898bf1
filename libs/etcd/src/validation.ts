import { InvalidArgumentError, InvalidKeyError } from './errors';

/** Rejects an empty key, which etcd would refuse and which would read or delete nothing useful. */
export function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidKeyError('Invalid key: expected a non-empty string');
  }
}

/** Rejects an empty prefix, because a prefix read or delete on it would cover the whole store. */
export function assertPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new InvalidKeyError(
      'Invalid prefix: expected a non-empty string, because an empty one covers the whole store',
    );
  }
}

/** Checks a lease TTL: etcd grants whole seconds, one at least. */
export function assertTtl(ttlSeconds: number): void {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new InvalidArgumentError(`Invalid lease TTL ${ttlSeconds}: expected a whole number of seconds, at least 1`);
  }
}

/** Checks a watch start revision: etcd revisions are positive integers. */
export function assertRevision(revision: number | undefined): void {
  if (revision !== undefined && (!Number.isSafeInteger(revision) || revision < 1)) {
    throw new InvalidArgumentError(`Invalid revision ${revision}: expected a positive integer`);
  }
}
