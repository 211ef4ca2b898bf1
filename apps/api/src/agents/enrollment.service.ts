import {
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { v7 as uuidv7 } from 'uuid';
import { DataSource } from 'typeorm';

import { AuditService } from '../audit/audit.service';
import { ChangeFeed } from '../infra/changes/change-feed';
import { APP_CONFIG, type AppConfig } from '../infra/config/config';
import type { Actor } from '../infra/context/request-context';
import { pageOf, skipOf, type Page } from '../infra/http/pagination';
import { EnrollmentTokenEntity } from '../nodes/entities/enrollment-token.entity';
import { NodeEntity } from '../nodes/entities/node.entity';
import { generateSecret, hashSecret } from '../tokens/token-secret';
import {
  CreatedEnrollmentTokenDto,
  CreateEnrollmentTokenDto,
  EnrollDto,
  EnrolledDto,
  EnrollmentTokenDto,
  EnrollmentTokenQueryDto,
} from './dto/enrollment.dto';

export const ENROLLMENT_TOKEN_PREFIX = 'ectse_';
export const NODE_CREDENTIAL_PREFIX = 'ectsn_';

/** Enrollment tokens, and the exchange of one for a node identity when an agent joins. */
@Injectable()
export class EnrollmentService {
  private readonly logger = new Logger(EnrollmentService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly changes: ChangeFeed,
  ) {}

  async list(query: EnrollmentTokenQueryDto): Promise<Page<EnrollmentTokenDto>> {
    const [tokens, total] = await this.dataSource.getRepository(EnrollmentTokenEntity).findAndCount({
      order: { createdAt: query.order === 'asc' ? 'ASC' : 'DESC' },
      skip: skipOf(query),
      take: query.pageSize,
    });

    return pageOf(tokens.map(toDto), total, query);
  }

  async create(input: CreateEnrollmentTokenDto, actor: Actor): Promise<CreatedEnrollmentTokenDto> {
    return this.dataSource.transaction(async (manager) => {
      const { secret, hash, prefix } = generateSecret(ENROLLMENT_TOKEN_PREFIX);
      const token = manager.create(EnrollmentTokenEntity, {
        id: uuidv7(),
        name: input.name,
        hash,
        prefix,
        labels: input.labels ?? {},
        maxUses: input.maxUses ?? null,
        uses: 0,
        expiresAt: input.expiresAt ?? null,
        revokedAt: null,
        createdById: actor.userId,
      });
      await manager.save(token);

      const dto = toDto(token);
      await this.audit.record(
        { action: 'enrollment_token.create', entityType: 'enrollment_token', entityId: token.id, after: dto },
        manager,
      );

      const etcd =
        this.config.etcd.endpoints.length > 0 ? this.config.etcd.endpoints.join(',') : 'http://ETCD_HOST:2379';
      const command = `ects agent --api-url ${this.config.publicUrl} --etcd-endpoints ${etcd} --enroll-token ${secret}`;

      return { ...dto, token: secret, command };
    });
  }

  async revoke(id: string): Promise<EnrollmentTokenDto> {
    return this.dataSource.transaction(async (manager) => {
      const token = await manager.findOneBy(EnrollmentTokenEntity, { id });
      if (!token) {
        throw new NotFoundException(`Enrollment token ${id} not found`);
      }

      const before = toDto(token);
      token.revokedAt ??= new Date();
      await manager.save(token);
      const after = toDto(token);
      await this.audit.record(
        { action: 'enrollment_token.revoke', entityType: 'enrollment_token', entityId: id, before, after },
        manager,
      );

      return after;
    });
  }

  /**
   * Exchanges an enrollment token for a node identity. A pre-registered node of the same name that no
   * agent has claimed yet is taken over; a name already enrolled is a conflict.
   */
  async enroll(input: EnrollDto): Promise<EnrolledDto> {
    const result = await this.dataSource.transaction(async (manager) => {
      const token = await manager.findOneBy(EnrollmentTokenEntity, { hash: hashSecret(input.token) });
      const now = new Date();
      if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= now)) {
        throw new UnauthorizedException(
          'Enrollment token is not valid, revoked or expired; ask an admin for a new one',
        );
      }
      if (token.maxUses !== null && token.uses >= token.maxUses) {
        throw new UnauthorizedException(
          `Enrollment token ${token.prefix}… has been used ${token.uses} times, its limit`,
        );
      }

      const credential = generateSecret(NODE_CREDENTIAL_PREFIX);
      let node = await manager.findOneBy(NodeEntity, { name: input.name });
      if (node?.credentialHash) {
        throw new ConflictException(
          `Node "${input.name}" has enrolled already; delete it in the console first, or give this agent another name`,
        );
      }

      const labels = { ...token.labels, ...input.labels };
      node ??= manager.create(NodeEntity, { id: uuidv7(), name: input.name, status: 'offline', lastSeenAt: null });
      Object.assign(node, {
        host: input.host,
        labels: { ...(node.labels ?? {}), ...labels },
        version: input.version,
        os: input.os,
        credentialHash: credential.hash,
      });
      await manager.save(node);
      token.uses += 1;
      await manager.save(token);

      await this.audit.record(
        {
          action: 'node.enroll',
          entityType: 'node',
          entityId: node.id,
          after: { name: node.name, host: node.host, labels: node.labels, token: token.prefix },
          actor: {
            kind: 'system',
            userId: null,
            tokenId: null,
            name: `enrollment token ${token.name}`,
            role: 'viewer',
          },
        },
        manager,
      );

      return { nodeId: node.id, name: node.name, credential: credential.secret };
    });

    this.logger.log(`Agent enrolled as node ${result.name} (${result.nodeId})`);
    this.changes.emit({ kind: 'node', nodeId: result.nodeId });

    return result;
  }
}

function toDto(token: EnrollmentTokenEntity): EnrollmentTokenDto {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    labels: token.labels,
    maxUses: token.maxUses,
    uses: token.uses,
    expiresAt: token.expiresAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
    createdAt: token.createdAt.toISOString(),
  };
}
