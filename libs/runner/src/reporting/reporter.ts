import { RateLimitedWarning } from '@ects/etcd';
import {
  AGENT_EVENTS,
  AGENT_NAMESPACE,
  type AgentAuth,
  type AgentEventsAck,
  type AgentEventsBatch,
  type MailRequest,
  type MailResult,
} from '@ects/domain';
import { io, type Socket } from 'socket.io-client';

import { Backoff } from '../backoff';
import { sleep } from '../clock';
import { describeError } from '../errors';
import type { RunnerLogger } from '../logger';
import type { EventSpool } from './spool';

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_ACK_TIMEOUT_MS = 30_000;
const WARNING_INTERVAL_MS = 30_000;

export interface ReporterOptions {
  apiUrl: string;
  auth: AgentAuth;
  spool: EventSpool;
  logger: RunnerLogger;
  /** Events per batch; defaults to 500. */
  batchSize?: number;
  /** Time the API has to acknowledge a batch before it is sent again; defaults to 30 s. */
  ackTimeoutMs?: number;
}

/** Reason the API gave for not storing a batch; logged, and the batch is sent again after a pause. */
class BatchRejectedError extends Error {}

/**
 * Sends the spool to the API's `/agents` Socket.IO namespace, one batch at a time, in seq order. A
 * batch leaves the spool when the API acknowledges it. After a reconnect sending resumes at the
 * first unacknowledged event, so a batch whose acknowledgement was lost is sent twice, which the API
 * tolerates because it applies events idempotently.
 */
export class Reporter {
  private readonly socket: Socket;
  private readonly spool: EventSpool;
  private readonly logger: RunnerLogger;
  private readonly batchSize: number;
  private readonly ackTimeoutMs: number;
  private readonly connectFailures: RateLimitedWarning;
  private readonly sendFailures: RateLimitedWarning;
  private readonly reconnectBackoff = new Backoff(500, 10_000);
  private readonly sendBackoff = new Backoff(200, 10_000);
  private readonly unsubscribe: () => void;

  /** Next seq to send on the current connection. */
  private cursor = 0;
  private pumping = false;
  private pumpScheduled = false;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Aborted on disconnect, so a pause between retries ends when the connection does. */
  private connection = new AbortController();
  private readonly drainWaiters = new Set<() => void>();

  constructor(options: ReporterOptions) {
    this.spool = options.spool;
    this.logger = options.logger;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
    this.connectFailures = new RateLimitedWarning(this.logger, WARNING_INTERVAL_MS);
    this.sendFailures = new RateLimitedWarning(this.logger, WARNING_INTERVAL_MS);

    this.socket = io(`${options.apiUrl.replace(/\/+$/, '')}${AGENT_NAMESPACE}`, {
      auth: { nodeId: options.auth.nodeId, credential: options.auth.credential },
      transports: ['websocket'],
      autoConnect: false,
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 500,
      reconnectionDelayMax: 10_000,
      randomizationFactor: 0.5,
      timeout: 10_000,
    });

    this.socket.on('connect', () => this.onConnect());
    this.socket.on('disconnect', (reason) => this.onDisconnect(reason));
    this.socket.on('connect_error', (error) => this.onConnectError(error));
    // The API sends `error` with a message before it closes a connection it rejected.
    this.socket.on('error', (payload: unknown) => {
      const message =
        typeof payload === 'object' && payload !== null && 'message' in payload ? payload.message : payload;
      this.connectFailures.warn(`The API rejected the agent connection: ${String(message)}`);
    });

    this.unsubscribe = this.spool.onAppend(() => this.schedulePump());
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  start(): void {
    this.socket.connect();
  }

  /**
   * Asks the API to send a mail and waits for its result. While disconnected the request waits for
   * the connection, so it is never queued and sent after its timeout.
   */
  async sendMail(request: MailRequest, timeoutMs: number, signal?: AbortSignal): Promise<MailResult> {
    const deadline = Date.now() + timeoutMs;

    const connected = await this.waitForConnection(timeoutMs, signal);
    if (!connected) {
      return { ok: false, error: `the API was not reachable within ${Math.round(timeoutMs / 1000)} s` };
    }

    const remaining = Math.max(1, deadline - Date.now());
    try {
      const result = (await this.socket.timeout(remaining).emitWithAck(AGENT_EVENTS.sendMail, request)) as MailResult;

      return result;
    } catch (error: unknown) {
      return {
        ok: false,
        error: `the API did not confirm the mail within ${Math.round(timeoutMs / 1000)} s: ${describeError(error)}`,
      };
    }
  }

  /** Resolves true once every spooled event is acknowledged, or false after `timeoutMs`. */
  async waitUntilDrained(timeoutMs: number): Promise<boolean> {
    if (this.spool.pendingCount === 0) {
      return true;
    }

    let release: () => void = () => undefined;
    const drained = new Promise<void>((resolve) => {
      release = resolve;
      this.drainWaiters.add(resolve);
    });

    const timer = new AbortController();
    await Promise.race([drained, sleep(timeoutMs, timer.signal)]);
    timer.abort();
    this.drainWaiters.delete(release);

    return this.spool.pendingCount === 0;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    this.connection.abort();
    if (this.reconnectTimer !== undefined) {
      clearTimeout(this.reconnectTimer);
    }

    this.socket.removeAllListeners();
    this.socket.disconnect();
  }

  private onConnect(): void {
    const resumed = this.connectFailures.reset();
    this.logger.log(
      `Connected to the API; ${this.spool.pendingCount} spooled events to send` +
        (resumed > 0 ? ` (after ${resumed} unlogged connection failures)` : ''),
    );

    this.connection = new AbortController();
    this.reconnectBackoff.reset();
    this.cursor = this.spool.ackedSeq + 1;
    this.schedulePump();
  }

  private onDisconnect(reason: Socket.DisconnectReason): void {
    this.connection.abort();
    if (this.closed) {
      return;
    }

    this.logger.warn(`Disconnected from the API (${reason}); events stay in the spool until it is back`);

    // Socket.IO reconnects by itself unless the server closed the connection on purpose.
    if (reason === 'io server disconnect') {
      this.scheduleReconnect();
    }
  }

  private onConnectError(error: Error): void {
    this.connectFailures.warn(`Connecting to the API failed: ${error.message}`);

    // A connection the server rejected in a middleware is not retried by Socket.IO itself.
    if (!this.socket.active) {
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) {
      return;
    }

    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed && !this.socket.connected) {
        this.socket.connect();
      }
    }, this.reconnectBackoff.next());
  }

  private waitForConnection(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.socket.connected) {
      return Promise.resolve(true);
    }

    return new Promise((resolve) => {
      const finish = (connected: boolean): void => {
        clearTimeout(timer);
        this.socket.off('connect', onConnect);
        signal?.removeEventListener('abort', onAbort);
        resolve(connected);
      };
      const onConnect = (): void => finish(true);
      const onAbort = (): void => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);

      this.socket.on('connect', onConnect);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Coalesces appends made in one tick into one pump. */
  private schedulePump(): void {
    if (this.pumpScheduled || this.pumping) {
      return;
    }

    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      return;
    }

    this.pumping = true;
    try {
      while (!this.closed && this.socket.connected) {
        const batch = this.spool.read(Math.max(this.cursor, this.spool.ackedSeq + 1), this.batchSize);
        if (batch.length === 0) {
          break;
        }

        await this.sendBatch({ events: batch });
      }
    } finally {
      this.pumping = false;
    }

    this.notifyDrained();
  }

  /** Sends one batch; on a failure it waits a backoff pause and rewinds to the first unacknowledged event. */
  private async sendBatch(batch: AgentEventsBatch): Promise<void> {
    const first = batch.events[0].seq;
    const last = batch.events[batch.events.length - 1].seq;
    const signal = this.connection.signal;

    try {
      const ack = (await this.socket
        .timeout(this.ackTimeoutMs)
        .emitWithAck(AGENT_EVENTS.events, batch)) as AgentEventsAck;
      if (!ack.ok) {
        throw new BatchRejectedError(ack.error);
      }

      this.spool.ack(Math.min(ack.ackedSeq, last));
      this.cursor = ack.ackedSeq >= last ? last + 1 : this.spool.ackedSeq + 1;
      this.sendBackoff.reset();
      this.sendFailures.reset();
    } catch (error: unknown) {
      const reason =
        error instanceof BatchRejectedError ? `the API rejected it: ${error.message}` : describeError(error);
      this.sendFailures.warn(`Sending events ${first}-${last} failed (${reason}); sending them again`);

      this.cursor = this.spool.ackedSeq + 1;
      await sleep(this.sendBackoff.next(), signal);
    }
  }

  private notifyDrained(): void {
    if (this.spool.pendingCount > 0) {
      return;
    }

    for (const waiter of this.drainWaiters) {
      waiter();
    }
    this.drainWaiters.clear();
  }
}
