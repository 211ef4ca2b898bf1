import { RateLimitedWarning, type Coordination, type EtcdKeys, type Lease } from '@ects/etcd';
import type { NodeHealth, NodeRegistration } from '@ects/domain';

import { Backoff } from '../backoff';
import { describeError } from '../errors';
import type { RunnerLogger } from '../logger';
import type { RunnerMetrics } from '../metrics/runner-metrics';

const WARNING_INTERVAL_MS = 30_000;

export interface RegistrationOptions {
  coordination: Coordination;
  keys: EtcdKeys;
  registration: NodeRegistration;
  leaseTtlSeconds: number;
  logger: RunnerLogger;
  metrics: RunnerMetrics;
}

/**
 * Keeps `<ns>/nodes/<nodeId>` written and bound to a lease with keep-alive, so the node shows online
 * while the agent runs and goes offline one TTL after it dies. When the lease is lost, for example
 * after an etcd outage longer than the TTL, a new lease is granted and the key written again, with
 * backoff while etcd stays away.
 */
export class Registration {
  private readonly backoff = new Backoff(250, 10_000);
  private readonly failures: RateLimitedWarning;
  private lease: Lease | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private attempt: Promise<void> | undefined;
  /** The registration as written next, with the latest health. */
  private current: NodeRegistration;

  constructor(private readonly options: RegistrationOptions) {
    this.failures = new RateLimitedWarning(options.logger, WARNING_INTERVAL_MS);
    this.current = options.registration;
  }

  get registered(): boolean {
    return this.lease?.state === 'alive';
  }

  /** Makes the first attempt and resolves when it ends; on failure, retries go on in the background. */
  start(): Promise<void> {
    this.stopped = false;

    return this.register();
  }

  /**
   * Writes the registration again with the agent's new health while the lease is alive. Without a
   * lease the next registration carries it. A failed write is logged and left to the next change.
   */
  async updateHealth(health: NodeHealth): Promise<void> {
    const { coordination, keys, registration, logger } = this.options;
    this.current = { ...this.current, health };

    const lease = this.lease;
    if (this.stopped || lease === undefined || lease.state !== 'alive') {
      return;
    }

    try {
      await coordination.put(keys.node(registration.nodeId), JSON.stringify(this.current), { lease });
    } catch (error: unknown) {
      logger.warn(`Writing the health of node ${registration.nodeId} to etcd failed: ${describeError(error)}`);
    }
  }

  /**
   * Stops retrying and revokes the lease, which deletes the registration key at once. An attempt
   * still in flight is not awaited, because it can take several request timeouts against an
   * unreachable etcd; if it succeeds later, it revokes its own lease.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }

    const lease = this.lease;
    this.lease = undefined;
    if (lease === undefined) {
      return;
    }

    try {
      await lease.revoke();
      this.options.logger.log(`Node ${this.options.registration.nodeId} deregistered`);
    } catch (error: unknown) {
      // The key expires with the lease anyway, one TTL later.
      this.options.logger.warn(
        `Revoking the registration lease of node ${this.options.registration.nodeId} failed; the node shows ` +
          `offline after ${this.options.leaseTtlSeconds} s: ${describeError(error)}`,
      );
    }
  }

  private register(): Promise<void> {
    this.attempt ??= this.tryRegister().finally(() => {
      this.attempt = undefined;
    });

    return this.attempt;
  }

  private async tryRegister(): Promise<void> {
    const { coordination, keys, registration, leaseTtlSeconds, logger } = this.options;
    let lease: Lease | undefined;

    try {
      lease = await coordination.grantLease(leaseTtlSeconds);
      await coordination.put(keys.node(registration.nodeId), JSON.stringify(this.current), { lease });
    } catch (error: unknown) {
      if (lease !== undefined) {
        await lease.revoke().catch((revokeError: unknown) => {
          logger.warn(`Revoking an unused registration lease ${lease?.id} failed: ${describeError(revokeError)}`);
        });
      }

      this.failures.warn(`Registering node ${registration.nodeId} in etcd failed, retrying: ${describeError(error)}`);
      this.scheduleRetry();

      return;
    }

    if (this.stopped) {
      await lease.revoke().catch((error: unknown) => {
        logger.warn(`Revoking the registration lease ${lease.id} after stop failed: ${describeError(error)}`);
      });

      return;
    }

    const unlogged = this.failures.active ? this.failures.reset() : 0;
    logger.log(
      `Node ${registration.nodeId} (${registration.name}) registered with lease ${lease.id}` +
        (this.backoff.failures > 0 ? ` after ${this.backoff.failures} failed attempts` : '') +
        (unlogged > 0 ? `, ${unlogged} of them not logged` : ''),
    );
    this.backoff.reset();
    this.lease = lease;
    this.options.metrics.registered();

    lease.onLost((error) => {
      if (this.stopped || this.lease !== lease) {
        return;
      }

      logger.warn(
        `Registration lease ${lease.id} of node ${registration.nodeId} was lost, registering again: ${error.message}`,
      );
      this.lease = undefined;
      this.options.metrics.leaseLost();
      void this.register();
    });
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== undefined) {
      return;
    }

    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) {
        void this.register();
      }
    }, this.backoff.next());
  }
}
