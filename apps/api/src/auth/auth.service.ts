import { BadRequestException, Inject, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, type AppConfig } from '../infra/config/config';
import type { Actor } from '../infra/context/request-context';
import { UserEntity } from '../users/entities/user.entity';
import { hashPassword, verifyPassword } from '../users/passwords';
import { toUserDto } from '../users/users.mapper';
import { ChangePasswordDto, LoginDto, MeDto, SessionDto } from './dto/auth.dto';
import type { JwtPayload } from './jwt.strategy';

/** Compared against when the e-mail is unknown, so a failed login takes as long either way. */
const DUMMY_HASH = '$2b$11$G05RHizRScOgfWA938Z.eeV.p8rX5u6v.s8RyBcqB4PPyij2z0pjq';

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly audit: AuditService,
  ) {}

  async login(input: LoginDto): Promise<SessionDto> {
    const user = await this.dataSource.getRepository(UserEntity).findOneBy({ email: input.email });
    const valid = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);

    if (!user || !valid || user.disabled) {
      this.logger.warn(`Failed sign-in for ${input.email}`);
      await this.audit.record({
        action: 'auth.login_failed',
        entityType: 'user',
        entityId: user?.id ?? null,
        after: { email: input.email },
        actor: { kind: 'system', userId: null, tokenId: null, name: input.email, role: 'viewer' },
      });
      throw new UnauthorizedException('E-mail or password is wrong, or the account is disabled');
    }

    const actor: Actor = { kind: 'user', userId: user.id, tokenId: null, name: user.email, role: user.role };
    await this.audit.record({ action: 'auth.login', entityType: 'user', entityId: user.id, actor });

    return this.issue(user);
  }

  /** Ends every session of the user by bumping their token version; API tokens stay valid. */
  async logout(actor: Actor): Promise<void> {
    const userId = requireUser(actor);
    await this.dataSource.transaction(async (manager) => {
      await manager.increment(UserEntity, { id: userId }, 'tokenVersion', 1);
      await this.audit.record({ action: 'auth.logout', entityType: 'user', entityId: userId }, manager);
    });
  }

  async me(actor: Actor): Promise<MeDto> {
    const user = await this.dataSource.getRepository(UserEntity).findOneByOrFail({ id: requireUser(actor) });

    return { ...toUserDto(user), via: actor.kind === 'token' ? 'token' : 'user', effectiveRole: actor.role };
  }

  /** Changes the caller's password, ends their other sessions, and returns a fresh session. */
  async changePassword(actor: Actor, input: ChangePasswordDto): Promise<SessionDto> {
    if (actor.kind !== 'user') {
      throw new BadRequestException('Passwords can only be changed in a signed-in session, not with an API token');
    }

    return this.dataSource.transaction(async (manager) => {
      const user = await manager.findOneByOrFail(UserEntity, { id: requireUser(actor) });
      if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
        throw new BadRequestException({
          message: 'currentPassword is wrong',
          errors: [
            { field: 'currentPassword', message: 'currentPassword is wrong; enter the password you signed in with' },
          ],
        });
      }
      if (input.currentPassword === input.newPassword) {
        throw new BadRequestException({
          message: 'newPassword must differ from the current password',
          errors: [{ field: 'newPassword', message: 'newPassword must differ from the current password' }],
        });
      }

      user.passwordHash = await hashPassword(input.newPassword);
      user.tokenVersion += 1;
      await manager.save(user);
      await this.audit.record({ action: 'auth.change_password', entityType: 'user', entityId: user.id }, manager);

      return this.issue(user);
    });
  }

  private async issue(user: UserEntity): Promise<SessionDto> {
    const payload: JwtPayload = { sub: user.id, ver: user.tokenVersion, role: user.role };
    const accessToken = await this.jwt.signAsync(payload, {
      secret: this.config.jwt.secret,
      expiresIn: this.config.jwt.ttlSeconds,
      algorithm: 'HS256',
    });
    const expiresAt = new Date(Date.now() + this.config.jwt.ttlSeconds * 1000).toISOString();

    return { accessToken, expiresAt, user: toUserDto(user) };
  }
}

function requireUser(actor: Actor): string {
  if (actor.userId === null) {
    throw new UnauthorizedException('This request has no user');
  }

  return actor.userId;
}
