import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  AGENT_EVENTS,
  AGENT_NAMESPACE,
  type AgentEvent,
  type AgentEventEnvelope,
  type AgentEventsAck,
  type AgentEventsBatch,
  type MailRequest,
  type MailResult,
} from '@ects/domain';
import { Server } from 'socket.io';

export interface TestApiOptions {
  /** Port to listen on; 0 picks a free one. Passing the port of a stopped server restarts it there. */
  port?: number;
  /** Credential the namespace accepts for any node id; defaults to `secret`. */
  credential?: string;
  /** Returns the result of each mail request; defaults to success. */
  mail?: (request: MailRequest) => MailResult | Promise<MailResult>;
  /** Delay before each events acknowledgement, in milliseconds. */
  ackDelayMs?: number;
}

/**
 * A real Socket.IO server on 127.0.0.1 in place of the API's `/agents` namespace: it checks
 * the handshake credential, stores each event batch and acknowledges it with the batch's last seq.
 */
export class TestApi {
  /** Every envelope received with the node that sent it, in arrival order, duplicates included. */
  readonly received: { nodeId: string; envelope: AgentEventEnvelope }[] = [];
  readonly mails: MailRequest[] = [];
  batches = 0;
  connections = 0;
  rejectedConnections = 0;

  private constructor(
    private readonly http: HttpServer,
    private readonly io: Server,
    readonly port: number,
  ) {}

  static async start(options: TestApiOptions = {}): Promise<TestApi> {
    const http = createServer();
    const io = new Server(http, { transports: ['websocket'], maxHttpBufferSize: 64 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });

    const api = new TestApi(http, io, (http.address() as AddressInfo).port);
    const credential = options.credential ?? 'secret';
    const namespace = io.of(AGENT_NAMESPACE);

    namespace.use((socket, next) => {
      const auth = socket.handshake.auth as { nodeId?: unknown; credential?: unknown };
      if (typeof auth.nodeId === 'string' && auth.credential === credential) {
        next();
        return;
      }

      api.rejectedConnections += 1;
      next(new Error('invalid node credential'));
    });

    namespace.on('connection', (socket) => {
      const nodeId = (socket.handshake.auth as { nodeId: string }).nodeId;
      api.connections += 1;

      socket.on(AGENT_EVENTS.events, (batch: AgentEventsBatch, ack: (reply: AgentEventsAck) => void) => {
        const reply = (): void => {
          api.batches += 1;
          api.received.push(...batch.events.map((envelope) => ({ nodeId, envelope })));
          ack({ ok: true, ackedSeq: batch.events[batch.events.length - 1].seq });
        };

        if (options.ackDelayMs !== undefined && options.ackDelayMs > 0) {
          setTimeout(reply, options.ackDelayMs);
        } else {
          reply();
        }
      });

      socket.on(AGENT_EVENTS.sendMail, (request: MailRequest, ack: (result: MailResult) => void) => {
        api.mails.push(request);
        const fallback: MailResult = { ok: true, messageId: `<${api.mails.length}@test>` };
        void Promise.resolve(options.mail?.(request) ?? fallback).then(ack);
      });
    });

    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Events received from one node, or from all, without duplicates, in seq order per node. */
  events(nodeId?: string): AgentEvent[] {
    const nodes = nodeId === undefined ? [...new Set(this.received.map((entry) => entry.nodeId))] : [nodeId];

    return nodes.flatMap((node) => this.envelopes(node).map((envelope) => envelope.event));
  }

  /** Envelopes received from one node, one per seq, in seq order. */
  envelopes(nodeId: string): AgentEventEnvelope[] {
    const bySeq = new Map<number, AgentEventEnvelope>();
    for (const entry of this.received) {
      if (entry.nodeId === nodeId) {
        bySeq.set(entry.envelope.seq, entry.envelope);
      }
    }

    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Seqs received from a node in arrival order, duplicates included. */
  receivedSeqs(nodeId: string): number[] {
    return this.received.filter((entry) => entry.nodeId === nodeId).map((entry) => entry.envelope.seq);
  }

  /** Waits until the predicate holds for the received events; throws with the event types after the timeout. */
  async waitFor(
    predicate: (events: AgentEvent[]) => boolean,
    timeoutMs = 10_000,
    what = 'events',
  ): Promise<AgentEvent[]> {
    const deadline = Date.now() + timeoutMs;

    while (Date.now() < deadline) {
      const events = this.events();
      if (predicate(events)) {
        return events;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const seen = this.events().map((event) => `${event.type}${'status' in event ? `(${event.status})` : ''}`);
    throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; received: ${seen.join(', ')}`);
  }

  async close(): Promise<void> {
    this.io.disconnectSockets(true);
    await new Promise<void>((resolve) => {
      void this.io.close(() => resolve());
    });
    this.http.closeAllConnections();
  }
}
