import { isBrokenCircuitError, isTaskCancelledError } from 'cockatiel';
import { ClientClosedError, EtcdLeaseInvalidError, isRecoverableError } from 'etcd3';

import { CoordinationClosedError, CoordinationError, CoordinationUnavailableError, LeaseLostError } from './errors';

/**
 * Translates an error from etcd3 or cockatiel into a coordination error. Network faults, timeouts
 * and an open circuit breaker become CoordinationUnavailableError, and a lease that etcd no longer
 * has becomes LeaseLostError.
 */
export function translateEtcdError(error: unknown, operation: string, leaseId?: string): CoordinationError {
  if (error instanceof CoordinationError) {
    return error;
  }

  const message = error instanceof Error ? error.message : String(error);

  if (error instanceof EtcdLeaseInvalidError) {
    const id = leaseId ?? 'unknown';

    return new LeaseLostError(id, `Failed to ${operation}: lease ${id} was not found on the server`, { cause: error });
  }

  if (error instanceof ClientClosedError) {
    return new CoordinationClosedError(operation);
  }

  const unavailable =
    error instanceof Error && (isRecoverableError(error) || isBrokenCircuitError(error) || isTaskCancelledError(error));
  if (unavailable) {
    return new CoordinationUnavailableError(`Failed to ${operation}: etcd is unavailable (${message})`, {
      cause: error,
    });
  }

  return new CoordinationError('COORDINATION_FAILED', `Failed to ${operation}: ${message}`, { cause: error });
}
