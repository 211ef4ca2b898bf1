import { Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
} from '@nestjs/websockets';
import {
  AGENT_EVENTS,
  AGENT_NAMESPACE,
  type AgentAuth,
  type AgentEventsAck,
  type AgentEventsBatch,
  type MailRequest,
  type MailResult,
} from '@ects/domain';
import type { Socket } from 'socket.io';
import { DataSource } from 'typeorm';

import { NodeEntity } from '../nodes/entities/node.entity';
import { MailService } from '../settings/mail.service';
import { hashSecret } from '../tokens/token-secret';
import { RunRecorder } from './run.recorder';

interface AgentSocketData {
  node: NodeEntity;
}

/** Most events accepted in one batch; agents send smaller ones. */
const MAX_BATCH = 5_000;

/**
 * The `/agents` namespace. An agent authenticates with its node id and credential in the handshake,
 * then sends its spooled events in batches and gets the last stored sequence number back.
 */
@WebSocketGateway({ namespace: AGENT_NAMESPACE })
export class AgentsGateway implements OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger(AgentsGateway.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly recorder: RunRecorder,
    private readonly mail: MailService,
  ) {}

  async handleConnection(socket: Socket): Promise<void> {
    const auth = socket.handshake.auth as Partial<AgentAuth>;
    const node =
      typeof auth.nodeId === 'string' && typeof auth.credential === 'string'
        ? await this.dataSource.getRepository(NodeEntity).findOneBy({ id: auth.nodeId })
        : null;

    if (!node || node.credentialHash === null || node.credentialHash !== hashSecret(auth.credential ?? '')) {
      this.logger.warn(
        `Agent connection ${socket.id} rejected: unknown node ${String(auth.nodeId)} or wrong credential`,
      );
      socket.emit('error', { message: 'Node id or credential is not valid; enroll the agent again' });
      socket.disconnect(true);

      return;
    }

    (socket.data as AgentSocketData).node = node;
    this.logger.log(`Agent of node ${node.name} (${node.id}) connected`);
  }

  handleDisconnect(socket: Socket): void {
    const node = (socket.data as Partial<AgentSocketData>).node;
    if (node) {
      this.logger.log(`Agent of node ${node.name} (${node.id}) disconnected`);
    }
  }

  @SubscribeMessage(AGENT_EVENTS.events)
  async events(@ConnectedSocket() socket: Socket, @MessageBody() batch: AgentEventsBatch): Promise<AgentEventsAck> {
    const node = (socket.data as Partial<AgentSocketData>).node;
    if (!node) {
      return { ok: false, error: 'not authenticated' };
    }
    if (!Array.isArray(batch?.events) || batch.events.length === 0 || batch.events.length > MAX_BATCH) {
      return { ok: false, error: `events must be a list of 1 to ${MAX_BATCH} envelopes` };
    }

    try {
      await this.recorder.apply(node, batch.events);
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.error(
        `Storing ${batch.events.length} events of node ${node.name} from seq ${batch.events[0].seq} failed: ${reason}`,
        error instanceof Error ? error.stack : undefined,
      );

      return { ok: false, error: `storing events failed: ${reason}` };
    }

    return { ok: true, ackedSeq: batch.events[batch.events.length - 1].seq };
  }

  @SubscribeMessage(AGENT_EVENTS.sendMail)
  async sendMail(@ConnectedSocket() socket: Socket, @MessageBody() request: MailRequest): Promise<MailResult> {
    const node = (socket.data as Partial<AgentSocketData>).node;
    if (!node) {
      return { ok: false, error: 'not authenticated' };
    }

    try {
      const { messageId } = await this.mail.send(request);

      return { ok: true, messageId };
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(`Mail for node ${node.name} to ${request?.to?.join(', ')} failed: ${reason}`);

      return { ok: false, error: reason };
    }
  }
}
