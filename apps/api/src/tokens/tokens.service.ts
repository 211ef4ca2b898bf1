import { Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { roleAtLeast, ROLES, type Role, type TokenScope } from '@ects/domain';
import { v7 as uuidv7 } from 'uuid';
import { DataSource, type FindOptionsWhere } from 'typeorm';

import { AuditService } from '../audit/audit.service';
import type { Actor } from '../infra/context/request-context';
import { pageOf, skipOf, type Page } from '../infra/http/pagination';
import { UserEntity } from '../users/entities/user.entity';
import { CreatedTokenDto, CreateTokenDto, TokenDto, TokenQueryDto } from './dto/token.dto';
import { ApiTokenEntity } from './entities/api-token.entity';
import { API_TOKEN_PREFIX, generateSecret, hashSecret } from './token-secret';

const SCOPE_ROLES: Record<TokenScope, Role> = { read: 'viewer', write: 'operator', admin: 'admin' };
/** Last use is written at most this often per token, so reads do not each cost a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class TokensService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(query: TokenQueryDto): Promise<Page<TokenDto>> {
    const where: FindOptionsWhere<ApiTokenEntity> = query.userId === undefined ? {} : { userId: query.userId };
    const [tokens, total] = await this.dataSource.getRepository(ApiTokenEntity).findAndCount({
      where,
      order: { createdAt: query.order === 'asc' ? 'ASC' : 'DESC' },
      skip: skipOf(query),
      take: query.pageSize,
    });

    return pageOf(tokens.map(toTokenDto), total, query);
  }

  async create(input: CreateTokenDto, actor: Actor): Promise<CreatedTokenDto> {
    const userId = input.userId ?? actor.userId;
    if (userId === null) {
      throw new NotFoundException('userId is required when the creator is not a user');
    }

    return this.dataSource.transaction(async (manager) => {
      const user = await manager.findOneBy(UserEntity, { id: userId });
      if (!user) {
        throw new NotFoundException(`User ${userId} not found`);
      }

      const { secret, hash, prefix } = generateSecret(API_TOKEN_PREFIX);
      const token = manager.create(ApiTokenEntity, {
        id: uuidv7(),
        userId,
        name: input.name,
        hash,
        prefix,
        scopes: input.scopes,
        expiresAt: input.expiresAt ?? null,
        lastUsedAt: null,
        revokedAt: null,
      });
      await manager.save(token);

      const dto = toTokenDto(token);
      await this.audit.record({ action: 'token.create', entityType: 'token', entityId: token.id, after: dto }, manager);

      return { ...dto, secret };
    });
  }

  async revoke(id: string): Promise<TokenDto> {
    return this.dataSource.transaction(async (manager) => {
      const token = await manager.findOneBy(ApiTokenEntity, { id });
      if (!token) {
        throw new NotFoundException(`API token ${id} not found`);
      }

      const before = toTokenDto(token);
      token.revokedAt ??= new Date();
      await manager.save(token);

      const after = toTokenDto(token);
      await this.audit.record({ action: 'token.revoke', entityType: 'token', entityId: id, before, after }, manager);

      return after;
    });
  }

  /** Resolves a presented secret to the actor it stands for, or rejects it with 401. */
  async authenticate(secret: string): Promise<Actor> {
    const tokens = this.dataSource.getRepository(ApiTokenEntity);
    const token = await tokens.findOne({ where: { hash: hashSecret(secret) }, relations: { user: true } });
    const now = new Date();

    if (!token || !token.user) {
      throw new UnauthorizedException('API token is not valid');
    }
    if (token.revokedAt) {
      throw new UnauthorizedException(`API token ${token.prefix}… was revoked`);
    }
    if (token.expiresAt && token.expiresAt <= now) {
      throw new UnauthorizedException(`API token ${token.prefix}… expired at ${token.expiresAt.toISOString()}`);
    }
    if (token.user.disabled) {
      throw new UnauthorizedException(`The owner of API token ${token.prefix}… is disabled`);
    }

    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await tokens.update({ id: token.id }, { lastUsedAt: now });
    }

    return {
      kind: 'token',
      userId: token.userId,
      tokenId: token.id,
      name: `${token.name} (token of ${token.user.email})`,
      role: effectiveRole(token.user.role, token.scopes),
    };
  }
}

/** A token acts with its highest scope, but never above its owner's role. */
export function effectiveRole(ownerRole: Role, scopes: TokenScope[]): Role {
  const scopeRole = scopes
    .map((scope) => SCOPE_ROLES[scope])
    .reduce<Role>((highest, role) => (roleAtLeast(role, highest) ? role : highest), ROLES[0]);

  return roleAtLeast(ownerRole, scopeRole) ? scopeRole : ownerRole;
}

function toTokenDto(token: ApiTokenEntity): TokenDto {
  return {
    id: token.id,
    name: token.name,
    userId: token.userId,
    prefix: token.prefix,
    scopes: token.scopes,
    expiresAt: token.expiresAt?.toISOString() ?? null,
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
    createdAt: token.createdAt.toISOString(),
  };
}
