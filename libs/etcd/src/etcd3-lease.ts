import type { Etcd3, EtcdLeaseInvalidError, Lease as Etcd3Lease } from 'etcd3';

import type { Lease, LeaseState, Unsubscribe } from './coordination';
import { LeaseLostError } from './errors';
import { translateEtcdError } from './etcd3-errors';
import { type CoordinationLogger, RateLimitedWarning, describeError } from './logger';

const FAILURE_WARNING_INTERVAL_MS = 5_000;
const EXPIRY_POLL_MS = 250;
const EXPIRY_RETRY_MS = 500;

/**
 * A lease granted through etcd3, with a `lost` notification that fires on time. etcd3 itself
 * reports a loss only after twice the TTL without a renewal. This class also fires it once the
 * TTL has passed since the last renewal that etcd confirmed, the first moment the lease may be gone.
 */
export class Etcd3LeaseHandle implements Lease {
  private currentState: LeaseState = 'alive';
  private lostError: LeaseLostError | undefined;
  private released = false;
  private lastRenewedAt: number;
  private oldestUnconfirmedAt: number | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(error: LeaseLostError) => void>();
  private readonly failureWarning: RateLimitedWarning;

  /**
   * @param requestedAt time just before the grant request, a safe lower bound for the server's
   *   start of the TTL
   */
  constructor(
    readonly owner: object,
    private readonly client: Etcd3,
    private readonly inner: Etcd3Lease,
    readonly id: string,
    readonly ttlSeconds: number,
    readonly keepAlive: boolean,
    private readonly logger: CoordinationLogger,
    requestedAt: number,
  ) {
    this.lastRenewedAt = requestedAt;
    this.failureWarning = new RateLimitedWarning(logger, FAILURE_WARNING_INTERVAL_MS);
  }

  get state(): LeaseState {
    return this.currentState;
  }

  /** Subscribes to etcd3's lease events and arms the deadline; call once, right after the grant. */
  start(): void {
    this.inner.on('lost', (error: EtcdLeaseInvalidError) => {
      this.markLost(
        new LeaseLostError(this.id, `Lease ${this.id} was lost: ${describeError(error)}`, { cause: error }),
      );
    });

    if (!this.keepAlive) {
      // Without keep-alive the lease simply runs out; the check confirms it with etcd first, so
      // `lost` means that its keys are gone.
      this.scheduleExpiryCheck(this.ttlSeconds * 1000);
      return;
    }

    this.inner.on('keepaliveFired', () => {
      this.oldestUnconfirmedAt ??= Date.now();
    });
    this.inner.on('keepaliveSucceeded', () => this.handleRenewal());
    this.inner.on('keepaliveFailed', (error: unknown) => {
      this.failureWarning.warn(`Keep-alive of lease ${this.id} failed (${describeError(error)}); retrying`);
    });
    this.armDeadline();
  }

  onLost(listener: (error: LeaseLostError) => void): Unsubscribe {
    const lostError = this.lostError;
    if (lostError !== undefined) {
      queueMicrotask(() => this.notify(listener, lostError));
      return () => undefined;
    }

    this.listeners.add(listener);

    return () => this.listeners.delete(listener);
  }

  async revoke(): Promise<void> {
    if (this.currentState !== 'alive') {
      return;
    }

    this.currentState = 'revoked';
    this.listeners.clear();
    this.clearDeadline();

    try {
      await this.inner.revoke();
    } catch (error: unknown) {
      throw translateEtcdError(error, `revoke lease ${this.id}`, this.id);
    }
  }

  /** Stops keep-alive without revoking, for close(): the lease expires after its TTL, unseen by listeners. */
  release(): void {
    this.released = true;
    this.listeners.clear();
    this.clearDeadline();
    this.inner.release();
  }

  /** Marks the lease lost, stops renewing it and calls the listeners. Later calls do nothing. */
  markLost(error: LeaseLostError): void {
    if (this.currentState !== 'alive') {
      return;
    }

    this.currentState = 'lost';
    this.lostError = error;
    this.clearDeadline();
    this.inner.release();

    if (this.released) {
      return;
    }

    this.logger.warn(`Lease ${this.id} was lost: ${error.message}`);
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) {
      this.notify(listener, error);
    }
  }

  private handleRenewal(): void {
    // The server renewed the lease no earlier than the oldest keep-alive still unanswered was sent.
    this.lastRenewedAt = this.oldestUnconfirmedAt ?? Date.now();
    this.oldestUnconfirmedAt = undefined;

    const repeats = this.failureWarning.active ? this.failureWarning.reset() : undefined;
    if (repeats !== undefined) {
      this.logger.log(`Keep-alive of lease ${this.id} works again`);
    }

    this.armDeadline();
  }

  private armDeadline(): void {
    this.clearDeadline();

    const remaining = this.lastRenewedAt + this.ttlSeconds * 1000 - Date.now();
    this.deadlineTimer = setTimeout(() => this.handleDeadline(), Math.max(remaining, 0));
  }

  private handleDeadline(): void {
    this.deadlineTimer = undefined;
    const silentFor = Date.now() - this.lastRenewedAt;

    this.markLost(
      new LeaseLostError(
        this.id,
        `Lease ${this.id} got no confirmed renewal for ${silentFor} ms, longer than its TTL of ${this.ttlSeconds} s`,
      ),
    );
    this.revokeInBackground();
  }

  /**
   * Revokes a lease given up as lost, so its keys do not linger for another TTL once etcd is back:
   * etcd restarts the TTL of every lease when it restarts.
   */
  private revokeInBackground(): void {
    this.client.leaseClient.leaseRevoke({ ID: this.id }).catch((error: unknown) => {
      this.logger.warn(`Failed to revoke lost lease ${this.id}; it expires on its own (${describeError(error)})`);
    });
  }

  private scheduleExpiryCheck(delayMs: number): void {
    this.clearDeadline();
    if (this.currentState !== 'alive' || this.released) {
      return;
    }
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = undefined;
      this.checkExpiry().catch((error: unknown) => {
        this.logger.error(`Failed to check the expiry of lease ${this.id}: ${describeError(error)}`);
      });
    }, delayMs);
  }

  /** Asks etcd for the remaining TTL and marks the lease lost once etcd no longer has it. */
  private async checkExpiry(): Promise<void> {
    if (this.currentState !== 'alive' || this.released) {
      return;
    }

    let remainingSeconds: number;
    try {
      const response = await this.client.leaseClient.leaseTimeToLive({ ID: this.id });
      remainingSeconds = Number(response.TTL);
    } catch (error: unknown) {
      this.failureWarning.warn(`Failed to read the TTL of lease ${this.id} (${describeError(error)}); retrying`);
      this.scheduleExpiryCheck(EXPIRY_RETRY_MS);
      return;
    }

    // etcd returns TTL -1 for a lease it no longer has, and truncates the remaining time to whole seconds.
    if (remainingSeconds < 0) {
      this.markLost(new LeaseLostError(this.id, `Lease ${this.id} expired after its TTL of ${this.ttlSeconds} s`));
      return;
    }

    this.scheduleExpiryCheck(Math.max(remainingSeconds * 1000, EXPIRY_POLL_MS));
  }

  private clearDeadline(): void {
    if (this.deadlineTimer !== undefined) {
      clearTimeout(this.deadlineTimer);
      this.deadlineTimer = undefined;
    }
  }

  private notify(listener: (error: LeaseLostError) => void, error: LeaseLostError): void {
    try {
      listener(error);
    } catch (listenerError: unknown) {
      this.logger.error(
        `A lost listener of lease ${this.id} threw: ${describeError(listenerError)}`,
        listenerError instanceof Error ? listenerError.stack : undefined,
      );
    }
  }
}
