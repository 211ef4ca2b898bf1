import { ForbiddenException, Injectable, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { roleAtLeast, type Role } from '@ects/domain';
import type { Request } from 'express';

import { currentContext, type Actor } from '../infra/context/request-context';
import { API_TOKEN_PREFIX } from '../tokens/token-secret';
import { TokensService } from '../tokens/tokens.service';
import { PUBLIC_KEY, ROLE_KEY } from './auth.decorators';

/**
 * The global guard. A route is denied unless it is marked `@Public()` or names a role with
 * `@Roles()`. Bearer credentials are either an API token (`ects_…`) or a JWT checked by passport-jwt.
 */
@Injectable()
export class AccessGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    // Socket.IO gateways authenticate each connection themselves, with a node credential or a JWT.
    if (context.getType() !== 'http') {
      return true;
    }

    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) {
      return true;
    }

    const required = this.reflector.getAllAndOverride<Role | undefined>(ROLE_KEY, targets);
    if (!required) {
      throw new ForbiddenException('This route has no role rule, so it is closed to everyone');
    }

    const request = context.switchToHttp().getRequest<Request & { user?: Actor }>();
    const bearer = bearerOf(request);
    if (bearer?.startsWith(API_TOKEN_PREFIX)) {
      request.user = await this.tokens.authenticate(bearer);
    } else {
      await super.canActivate(context);
    }

    const actor = request.user;
    if (!actor) {
      throw new UnauthorizedException('Sign in, or send an API token as "Authorization: Bearer <token>"');
    }

    const store = currentContext();
    if (store) {
      store.actor = actor;
    }
    if (!roleAtLeast(actor.role, required)) {
      throw new ForbiddenException(`This action requires the ${required} role; ${actor.name} has ${actor.role}`);
    }

    return true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false, info: unknown): TUser {
    if (error) {
      throw error instanceof Error ? error : new UnauthorizedException();
    }
    if (!user) {
      const reason = info instanceof Error ? info.message : 'no credentials';
      throw new UnauthorizedException(`Authentication failed (${reason}); sign in again or send a valid token`);
    }

    return user;
  }
}

function bearerOf(request: Request): string | null {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer ')) {
    return null;
  }

  return header.slice('Bearer '.length).trim();
}
