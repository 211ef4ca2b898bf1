/** Codes of every error the coordination layer throws or reports; the API maps them to HTTP at its edge. */
export type CoordinationErrorCode =
  | 'COORDINATION_KEY_INVALID'
  | 'COORDINATION_ARGUMENT_INVALID'
  | 'COORDINATION_LEASE_LOST'
  | 'COORDINATION_UNAVAILABLE'
  | 'COORDINATION_CLOSED'
  | 'COORDINATION_WATCH_RESET'
  | 'COORDINATION_CAMPAIGN_LOST'
  | 'COORDINATION_FAILED';

/** Base class of the coordination errors, each with a stable `code`. */
export class CoordinationError extends Error {
  constructor(
    readonly code: CoordinationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An etcd key, prefix or id in a key is malformed, for example empty or containing a slash. */
export class InvalidKeyError extends CoordinationError {
  constructor(message: string) {
    super('COORDINATION_KEY_INVALID', message);
  }
}

/** A caller passed an invalid argument, such as a TTL below one second or another adapter's lease. */
export class InvalidArgumentError extends CoordinationError {
  constructor(message: string) {
    super('COORDINATION_ARGUMENT_INVALID', message);
  }
}

/** A lease expired, was revoked, or was not found on the server, so keys bound to it are gone or going. */
export class LeaseLostError extends CoordinationError {
  constructor(
    readonly leaseId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('COORDINATION_LEASE_LOST', message, options);
  }
}

/** The store could not be reached or did not respond in time, even after retries. */
export class CoordinationUnavailableError extends CoordinationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('COORDINATION_UNAVAILABLE', message, options);
  }
}

/** A method was called after close(). */
export class CoordinationClosedError extends CoordinationError {
  constructor(operation: string) {
    super('COORDINATION_CLOSED', `Cannot ${operation}: the coordination client is closed`);
  }
}

/**
 * Why a watch ended: `compacted` when the history it needed was compacted away, `canceled` when the
 * server canceled it for another reason.
 */
export type WatchResetReason = 'compacted' | 'canceled';

/** A watch ended on the server's side; the caller must read the prefix again and start a new watch. */
export class WatchResetError extends CoordinationError {
  constructor(
    readonly prefix: string,
    readonly reason: WatchResetReason,
    message: string,
    readonly compactRevision?: number,
    options?: { cause?: unknown },
  ) {
    super('COORDINATION_WATCH_RESET', message, options);
  }
}

/** A campaign's candidate key disappeared although its lease is alive, for example because someone deleted it. */
export class CampaignLostError extends CoordinationError {
  constructor(
    readonly election: string,
    message: string,
  ) {
    super('COORDINATION_CAMPAIGN_LOST', message);
  }
}
