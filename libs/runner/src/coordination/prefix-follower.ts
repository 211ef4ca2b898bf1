import { RateLimitedWarning, type Coordination, type KeyValue, type Watch, type WatchEvent } from '@ects/etcd';

import { Backoff } from '../backoff';
import { describeError } from '../errors';
import type { RunnerLogger } from '../logger';

const WARNING_INTERVAL_MS = 30_000;

export interface PrefixFollowerHandlers {
  /** Receives every key under the prefix after each full read; keys missing from it are gone. */
  onSnapshot(entries: KeyValue[]): void;
  /** Receives each change after that read, in revision order. */
  onEvent(event: WatchEvent): void;
}

/**
 * Mirrors an etcd prefix: reads it, then watches it from the revision after the read, so no change
 * falls between the two. When the watch is reset (its history was compacted) it reads again. A read
 * that fails is retried with backoff, and the caller keeps what it had meanwhile.
 */
export class PrefixFollower {
  private readonly backoff = new Backoff(250, 10_000);
  private readonly failures: RateLimitedWarning;
  private watch: Watch | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** Raised by every read and by stop(), so events of an older watch are ignored. */
  private generation = 0;
  private syncing: Promise<void> | undefined;
  /** Set when a watch is reset while a read is in progress, so another read follows it. */
  private resyncRequested = false;

  constructor(
    private readonly coordination: Coordination,
    private readonly prefix: string,
    private readonly label: string,
    private readonly handlers: PrefixFollowerHandlers,
    private readonly logger: RunnerLogger,
  ) {
    this.failures = new RateLimitedWarning(logger, WARNING_INTERVAL_MS);
  }

  /** Makes the first read and resolves when it ends; on failure, retries go on in the background. */
  start(): Promise<void> {
    this.stopped = false;

    return this.sync();
  }

  /**
   * Cancels the watch and any retry. A read still in flight is not awaited, because against an
   * unreachable etcd it can take several request timeouts; it cancels its own watch when it ends.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation += 1;
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }

    await this.cancelWatch();
  }

  private sync(): Promise<void> {
    this.syncing ??= this.trySync().finally(() => {
      this.syncing = undefined;
      if (this.resyncRequested && !this.stopped) {
        this.resyncRequested = false;
        void this.sync();
      }
    });

    return this.syncing;
  }

  private async trySync(): Promise<void> {
    await this.cancelWatch();
    const generation = ++this.generation;
    this.resyncRequested = false;

    try {
      const snapshot = await this.coordination.getPrefix(this.prefix);
      if (this.stopped) {
        return;
      }

      this.handlers.onSnapshot(snapshot.entries);

      const watch: Watch = await this.coordination.watchPrefix(
        this.prefix,
        {
          onEvent: (event) => {
            if (!this.stopped && this.generation === generation) {
              this.handlers.onEvent(event);
            }
          },
          onReset: (error) => {
            if (this.stopped || this.generation !== generation) {
              return;
            }

            this.logger.warn(`Watch on ${this.label} was reset, reading it again: ${error.message}`);
            this.resyncRequested = true;
            void this.sync();
          },
        },
        { fromRevision: snapshot.revision + 1 },
      );

      this.watch = watch;
      if (this.stopped) {
        await this.cancelWatch();
        return;
      }

      if (this.backoff.failures > 0) {
        this.logger.log(`Reading ${this.label} works again after ${this.backoff.failures} failed attempts`);
      }
      this.backoff.reset();
      this.failures.reset();
    } catch (error: unknown) {
      this.failures.warn(`Reading ${this.label} from etcd failed, retrying: ${describeError(error)}`);
      this.scheduleRetry();
    }
  }

  private async cancelWatch(): Promise<void> {
    const watch = this.watch;
    this.watch = undefined;
    if (watch === undefined) {
      return;
    }

    try {
      await watch.cancel();
    } catch (error: unknown) {
      this.logger.warn(`Cancelling the watch on ${this.label} failed: ${describeError(error)}`);
    }
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== undefined) {
      return;
    }

    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) {
        void this.sync();
      }
    }, this.backoff.next());
  }
}
