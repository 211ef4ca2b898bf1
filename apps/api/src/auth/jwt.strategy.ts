import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Role } from '@ects/domain';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { DataSource } from 'typeorm';

import { APP_CONFIG, type AppConfig } from '../infra/config/config';
import type { Actor } from '../infra/context/request-context';
import { UserEntity } from '../users/entities/user.entity';

export interface JwtPayload {
  sub: string;
  /** The user's token version when the JWT was issued; sign-out bumps it. */
  ver: number;
  role: Role;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.jwt.secret,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  async validate(payload: JwtPayload): Promise<Actor> {
    const user = await this.dataSource.getRepository(UserEntity).findOneBy({ id: payload.sub });
    if (!user || user.disabled || user.tokenVersion !== payload.ver) {
      throw new UnauthorizedException('Session has ended; sign in again');
    }

    return { kind: 'user', userId: user.id, tokenId: null, name: user.email, role: user.role };
  }
}
