import type { IEvent, IWatchResponse, Watcher } from 'etcd3';

import type { Watch, WatchEvent, WatchHandlers } from './coordination';
import { CoordinationClosedError, type WatchResetReason, WatchResetError } from './errors';
import { type CoordinationLogger, RateLimitedWarning, describeError } from './logger';

const DISCONNECT_WARNING_INTERVAL_MS = 10_000;
const CANCEL_TIMEOUT_MS = 2_000;

function toWatchEvent(event: IEvent): WatchEvent {
  const key = event.kv.key.toString();
  const modRevision = Number(event.kv.mod_revision);

  if (event.type === 'Delete') {
    return { type: 'delete', key, modRevision };
  }

  return {
    type: 'put',
    key,
    value: event.kv.value.toString(),
    createRevision: Number(event.kv.create_revision),
    modRevision,
  };
}

/**
 * Tells why etcd canceled a watch. etcd 3.4 cancels a watch without a reason only when compaction
 * removed revisions it still had to send, and etcd3 then reports "Watcher canceled: " with nothing after it.
 */
function resetReason(message: string): WatchResetReason {
  const reason = message.replace(/^.*Watcher canceled:/, '').trim();

  return reason === '' || /compact/i.test(reason) ? 'compacted' : 'canceled';
}

/**
 * A watch on an etcd3 Watcher. etcd3 reconnects a broken stream on its own and resumes from the
 * revision this class keeps: the one after the last event delivered.
 */
export class Etcd3Watch implements Watch {
  /** Resolves once etcd accepted the watch, or once the watch ended before that. */
  readonly ready: Promise<void>;

  private nextRevision: number | undefined;
  private ended = false;
  private accepted = false;
  private settleReady: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private readonly disconnectWarning: RateLimitedWarning;

  constructor(
    readonly prefix: string,
    private readonly watcher: Watcher,
    private readonly handlers: WatchHandlers,
    private readonly logger: CoordinationLogger,
    fromRevision: number | undefined,
    private readonly onEnd: (watch: Etcd3Watch) => void,
  ) {
    this.nextRevision = fromRevision;
    this.disconnectWarning = new RateLimitedWarning(logger, DISCONNECT_WARNING_INTERVAL_MS);
    this.ready = new Promise((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });

    watcher.on('connected', (response) => this.handleConnected(response));
    watcher.on('data', (response) => this.handleData(response));
    watcher.on('disconnected', (error) => this.handleDisconnected(error));
    watcher.on('error', (error) => this.handleCanceled(error));
  }

  async cancel(): Promise<void> {
    if (this.ended) {
      return;
    }

    this.end();

    // etcd3 waits for etcd to confirm the cancel, and no confirmation comes while etcd is down.
    // The watch has already ended here, so giving up on the confirmation after a timeout is safe.

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CANCEL_TIMEOUT_MS);
    });

    try {
      await Promise.race([this.watcher.cancel(), timeout]);
    } catch (error: unknown) {
      this.logger.warn(`Failed to cancel the watch on ${this.prefix} cleanly: ${describeError(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends a watch whose client is closing; a watchPrefix() still waiting for it rejects. */
  async abort(): Promise<void> {
    this.settleReady?.reject(new CoordinationClosedError(`watch ${this.prefix}`));
    this.settleReady = undefined;
    await this.cancel();
  }

  private end(): void {
    this.ended = true;
    this.onEnd(this);
  }

  private handleConnected(response: IWatchResponse): void {
    if (this.ended) {
      return;
    }

    // Only changes after the header revision can be new to a watch that started without a revision.
    this.nextRevision ??= Number(response.header.revision) + 1;

    if (!this.accepted) {
      this.accepted = true;
      this.settleReady?.resolve();
      this.settleReady = undefined;
    } else if (this.disconnectWarning.active) {
      this.disconnectWarning.reset();
      this.logger.log(`Watch on ${this.prefix} resumed at revision ${this.nextRevision}`);
    }

    this.pinResumeRevision();
  }

  private handleData(response: IWatchResponse): void {
    if (this.ended) {
      return;
    }

    const firstNew = this.nextRevision ?? 0;
    let lastRevision: number | undefined;

    for (const event of response.events) {
      const watchEvent = toWatchEvent(event);

      // After a reconnect etcd may send revisions this watch already delivered.
      if (watchEvent.modRevision < firstNew) {
        continue;
      }

      lastRevision = watchEvent.modRevision;
      this.deliver(watchEvent);
      if (this.ended) {
        return;
      }
    }

    if (lastRevision !== undefined) {
      this.nextRevision = lastRevision + 1;
    } else if (response.events.length === 0) {
      // An empty response is a progress notification, which etcd sends only to a watch that has
      // received every event up to the header revision.
      this.nextRevision = Math.max(firstNew, Number(response.header.revision) + 1);
    }

    this.pinResumeRevision();
  }

  /**
   * Points etcd3's reconnect at the revision after the last event delivered. etcd3 itself resumes
   * after the revision in the last response header. A created response carries the current revision
   * before the catch-up events arrive, so a reconnect at that moment would skip those events.
   */
  private pinResumeRevision(): void {
    if (this.nextRevision !== undefined) {
      this.watcher.request.start_revision = String(this.nextRevision);
    }
  }

  private handleDisconnected(error: unknown): void {
    if (this.ended) {
      return;
    }

    this.disconnectWarning.warn(
      `Watch on ${this.prefix} disconnected (${describeError(error)}); reconnecting from revision ${this.nextRevision ?? 'now'}`,
    );
  }

  private handleCanceled(error: unknown): void {
    if (this.ended) {
      return;
    }

    const message = describeError(error);
    const reason = resetReason(message);
    const reset = new WatchResetError(
      this.prefix,
      reason,
      `Watch on ${this.prefix} was canceled by etcd (${reason}) at revision ${this.nextRevision ?? 'unknown'}: ${message}`,
      undefined,
      { cause: error },
    );

    this.end();
    this.settleReady?.resolve();
    this.settleReady = undefined;
    this.logger.warn(reset.message);

    // The handler runs after watchPrefix() has handed the watch to its caller.
    setImmediate(() => {
      try {
        this.handlers.onReset(reset);
      } catch (handlerError: unknown) {
        this.logger.error(
          `The reset handler of the watch on ${this.prefix} threw: ${describeError(handlerError)}`,
          handlerError instanceof Error ? handlerError.stack : undefined,
        );
      }
    });
  }

  private deliver(event: WatchEvent): void {
    try {
      this.handlers.onEvent(event);
    } catch (error: unknown) {
      this.logger.error(
        `The event handler of the watch on ${this.prefix} threw at revision ${event.modRevision}: ${describeError(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }
  }
}
