import { CoordinationError, type Coordination } from '@ects/etcd';

/** Methods of the Coordination port whose failures are counted; all of them reach the store. */
const COUNTED_OPERATIONS = new Set<string>([
  'get',
  'getPrefix',
  'put',
  'delete',
  'deletePrefix',
  'createIfAbsent',
  'watchPrefix',
  'grantLease',
  'campaign',
  'leader',
  'compact',
]);

/** Receives each failed coordination request with its method name and error code. */
export type CoordinationErrorListener = (operation: string, code: string) => void;

/**
 * Returns a Coordination that behaves like `coordination` and calls `onError` for every request
 * that rejects, with the CoordinationError code (`COORDINATION_UNAVAILABLE`, `COORDINATION_LEASE_LOST`, …) or
 * `UNKNOWN`. Keep-alive and watch faults that the adapter retries inside do not reject, so they are
 * not counted.
 */
export function countCoordinationErrors(coordination: Coordination, onError: CoordinationErrorListener): Coordination {
  return new Proxy(coordination, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !COUNTED_OPERATIONS.has(property) || typeof value !== 'function') {
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }

      return (...args: unknown[]): unknown => {
        const result: unknown = Reflect.apply(value, target, args);
        if (result instanceof Promise) {
          return result.catch((error: unknown) => {
            onError(property, error instanceof CoordinationError ? error.code : 'UNKNOWN');
            throw error;
          });
        }

        return result;
      };
    },
  });
}
