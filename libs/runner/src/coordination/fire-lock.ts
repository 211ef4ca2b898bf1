import { LeaseLostError, type Coordination, type EtcdKeys, type Lease } from '@ects/etcd';

import type { Clock } from '../clock';

/** TTL of the lease that lock keys are bound to; a lock outlives its fire by one to two minutes. */
const LOCK_LEASE_TTL_SECONDS = 120;
const WINDOW_MS = 60_000;

/**
 * Decides which agent runs a fire of a `one` mode pipeline: the agents bound to it race to create
 * `<ns>/locks/<pipelineId>/<fireTime>`, and the one whose create succeeds runs it. Lock keys are bound
 * to a lease without keep-alive, so they expire by themselves. One lease serves every lock made in
 * the same minute, so the agent grants one lease a minute however many pipelines fire.
 */
export class FireLock {
  private lease: { window: number; lease: Promise<Lease> } | undefined;

  constructor(
    private readonly coordination: Coordination,
    private readonly keys: EtcdKeys,
    private readonly nodeId: string,
    private readonly clock: Clock,
  ) {}

  /** Resolves true when this node won the fire; rejects when etcd cannot be reached. */
  async acquire(pipelineId: string, fireTime: number): Promise<boolean> {
    const key = this.keys.lock(pipelineId, fireTime);

    try {
      const result = await this.coordination.createIfAbsent(key, this.nodeId, { lease: await this.currentLease() });

      return result.created;
    } catch (error: unknown) {
      if (!(error instanceof LeaseLostError)) {
        throw error;
      }

      // The shared lease expired early, for example because etcd restarted: take a new one once.
      this.lease = undefined;
      const result = await this.coordination.createIfAbsent(key, this.nodeId, { lease: await this.currentLease() });

      return result.created;
    }
  }

  private currentLease(): Promise<Lease> {
    const window = Math.floor(this.clock.now() / WINDOW_MS);

    if (this.lease === undefined || this.lease.window !== window) {
      const lease = this.coordination.grantLease(LOCK_LEASE_TTL_SECONDS, { keepAlive: false });
      const entry = { window, lease };
      this.lease = entry;
      // A failed grant must not be reused by later fires of the same minute.
      lease.catch(() => {
        if (this.lease === entry) {
          this.lease = undefined;
        }
      });
    }

    return this.lease.lease;
  }
}
