import { Inject, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayInit,
} from '@nestjs/websockets';
import { LIVE_EVENTS, LIVE_NAMESPACE } from '@ects/domain';
import type { Namespace, Socket } from 'socket.io';
import { DataSource } from 'typeorm';

import type { JwtPayload } from '../auth/jwt.strategy';
import { APP_CONFIG, type AppConfig } from '../infra/config/config';
import { API_TOKEN_PREFIX } from '../tokens/token-secret';
import { TokensService } from '../tokens/tokens.service';
import { UserEntity } from '../users/entities/user.entity';
import { LiveEvents } from './live.events';

const ROOM_PATTERN = /^(dashboard|run:[0-9a-f-]{36}|node:[0-9a-f-]{36})$/;

interface JoinRequest {
  room?: unknown;
}

/**
 * The `/live` namespace: a browser connects with its JWT (or an API token) in `auth.token`, then
 * joins the rooms it wants to follow. Any role may follow; viewers read everything anyway.
 */
@WebSocketGateway({ namespace: LIVE_NAMESPACE, cors: { origin: true } })
export class LiveGateway implements OnGatewayInit, OnGatewayConnection {
  private readonly logger = new Logger(LiveGateway.name);

  constructor(
    private readonly live: LiveEvents,
    private readonly jwt: JwtService,
    private readonly tokens: TokensService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  afterInit(namespace: Namespace): void {
    this.live.attach(namespace);
  }

  async handleConnection(socket: Socket): Promise<void> {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    try {
      if (typeof token !== 'string' || token === '') {
        throw new Error('no token in auth.token');
      }
      await this.authenticate(token);
    } catch (error: unknown) {
      this.logger.warn(
        `Live connection ${socket.id} rejected: ${error instanceof Error ? error.message : String(error)}`,
      );
      socket.emit('error', { message: 'Authentication failed; connect with a valid JWT in auth.token' });
      socket.disconnect(true);
    }
  }

  @SubscribeMessage(LIVE_EVENTS.join)
  async join(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: JoinRequest,
  ): Promise<{ ok: boolean; error?: string }> {
    if (typeof request?.room !== 'string' || !ROOM_PATTERN.test(request.room)) {
      return { ok: false, error: 'room must be "dashboard", "run:<id>" or "node:<id>"' };
    }
    await socket.join(request.room);

    return { ok: true };
  }

  @SubscribeMessage(LIVE_EVENTS.leave)
  async leave(@ConnectedSocket() socket: Socket, @MessageBody() request: JoinRequest): Promise<{ ok: boolean }> {
    if (typeof request?.room === 'string') {
      await socket.leave(request.room);
    }

    return { ok: true };
  }

  private async authenticate(token: string): Promise<void> {
    if (token.startsWith(API_TOKEN_PREFIX)) {
      await this.tokens.authenticate(token);

      return;
    }

    const payload = await this.jwt.verifyAsync<JwtPayload>(token, {
      secret: this.config.jwt.secret,
      algorithms: ['HS256'],
    });
    const user = await this.dataSource.getRepository(UserEntity).findOneBy({ id: payload.sub });
    if (!user || user.disabled || user.tokenVersion !== payload.ver) {
      throw new Error('session has ended');
    }
  }
}
