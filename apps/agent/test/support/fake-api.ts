import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  AGENT_EVENTS,
  AGENT_NAMESPACE,
  type AgentEvent,
  type AgentEventsAck,
  type AgentEventsBatch,
  type EnrollRequest,
  type EnrollResponse,
} from '@ects/domain';
import { Server } from 'socket.io';

/**
 * The parts of the API an agent talks to, on 127.0.0.1: `POST /api/agents/enroll` accepting one
 * token, and the `/agents` Socket.IO namespace checking the issued credential and storing events.
 */
export class FakeApi {
  readonly enrollments: EnrollRequest[] = [];
  readonly events: AgentEvent[] = [];

  private constructor(
    private readonly http: HttpServer,
    private readonly io: Server,
  ) {}

  static async start(token: string, enrolled: EnrollResponse): Promise<FakeApi> {
    const http = createServer();
    const io = new Server(http, { transports: ['websocket'] });
    const api = new FakeApi(http, io);

    http.on('request', (request, response) => {
      if (request.url !== '/api/agents/enroll' || request.method !== 'POST') {
        return;
      }

      let body = '';
      request.on('data', (data: Buffer) => (body += data.toString()));
      request.on('end', () => {
        const enroll = JSON.parse(body) as EnrollRequest;
        api.enrollments.push(enroll);
        response.setHeader('Content-Type', 'application/json');
        if (enroll.token === token) {
          response.writeHead(201).end(JSON.stringify(enrolled));
        } else {
          response.writeHead(401).end(JSON.stringify({ statusCode: 401, message: 'Enrollment token is not valid' }));
        }
      });
    });

    const namespace = io.of(AGENT_NAMESPACE);
    namespace.use((socket, next) => {
      const auth = socket.handshake.auth as { nodeId?: unknown; credential?: unknown };
      next(
        auth.nodeId === enrolled.nodeId && auth.credential === enrolled.credential
          ? undefined
          : new Error('invalid credential'),
      );
    });
    namespace.on('connection', (socket) => {
      socket.on(AGENT_EVENTS.events, (batch: AgentEventsBatch, ack: (reply: AgentEventsAck) => void) => {
        api.events.push(...batch.events.map((envelope) => envelope.event));
        ack({ ok: true, ackedSeq: batch.events[batch.events.length - 1].seq });
      });
    });

    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));

    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.io.disconnectSockets(true);
    await new Promise<void>((resolve) => {
      void this.io.close(() => resolve());
    });
    this.http.closeAllConnections();
  }
}
