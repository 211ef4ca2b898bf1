import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { maskSecrets } from '@ects/domain';
import { v7 as uuidv7 } from 'uuid';
import { And, DataSource, LessThan, MoreThanOrEqual, type EntityManager, type FindOptionsWhere } from 'typeorm';

import { currentContext, SYSTEM_ACTOR, type Actor } from '../infra/context/request-context';
import { pageOf, skipOf, type Page } from '../infra/http/pagination';
import { AuditEventDto, AuditQueryDto } from './dto/audit.dto';
import { AuditEventEntity } from './entities/audit-event.entity';

export interface AuditRecord {
  action: string;
  entityType: string;
  entityId: string | null;
  before?: unknown;
  after?: unknown;
  /** Defaults to the actor of the current request, or the system outside one. */
  actor?: Actor;
}

/** Largest serialized before or after state kept; bigger states keep their keys only. */
const MAX_STATE_CHARS = 60_000;

@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Writes one audit event. Pass the transaction's manager so the event commits or rolls back
   * with the change it describes.
   */
  async record(record: AuditRecord, manager: EntityManager = this.dataSource.manager): Promise<void> {
    const context = currentContext();
    const actor = record.actor ?? context?.actor ?? SYSTEM_ACTOR;

    await manager.insert(AuditEventEntity, {
      id: uuidv7(),
      actorKind: actor.kind,
      actorId: actor.tokenId ?? actor.userId,
      actorName: actor.name,
      action: record.action,
      entityType: record.entityType,
      entityId: record.entityId,
      before: boundState(record.before),
      after: boundState(record.after),
      ip: context?.ip ?? null,
      userAgent: context?.userAgent?.slice(0, 255) ?? null,
    });

    if (context) {
      context.audited = true;
    }
    this.logger.debug(`${actor.kind} ${actor.name} ${record.action} ${record.entityType} ${record.entityId ?? ''}`);
  }

  async list(query: AuditQueryDto): Promise<Page<AuditEventDto>> {
    const where: FindOptionsWhere<AuditEventEntity> = {};
    if (query.actor !== undefined) {
      where.actorName = query.actor;
    }
    if (query.action !== undefined) {
      where.action = query.action;
    }
    if (query.entityType !== undefined) {
      where.entityType = query.entityType;
    }
    if (query.entityId !== undefined) {
      where.entityId = query.entityId;
    }
    // Event times are stored in microseconds but returned in milliseconds. So `to` covers its whole
    // millisecond, or an event would fall outside a range that ends at its own returned time.
    const before = query.to === undefined ? undefined : LessThan(new Date(query.to.getTime() + 1));
    if (query.from !== undefined && before !== undefined) {
      where.createdAt = And(MoreThanOrEqual(query.from), before);
    } else if (query.from !== undefined) {
      where.createdAt = MoreThanOrEqual(query.from);
    } else if (before !== undefined) {
      where.createdAt = before;
    }

    const [events, total] = await this.dataSource.getRepository(AuditEventEntity).findAndCount({
      where,
      order: { id: query.order === 'asc' ? 'ASC' : 'DESC' },
      skip: skipOf(query),
      take: query.pageSize,
    });

    return pageOf(events.map(toAuditEventDto), total, query);
  }
}

function boundState(state: unknown): object | null {
  if (state === undefined || state === null) {
    return null;
  }

  const masked = maskSecrets(state);
  if (typeof masked !== 'object') {
    return { value: masked };
  }
  if (JSON.stringify(masked).length <= MAX_STATE_CHARS) {
    return masked;
  }

  return { truncated: true, keys: Object.keys(masked) };
}

function toAuditEventDto(event: AuditEventEntity): AuditEventDto {
  return {
    id: event.id,
    actorKind: event.actorKind,
    actorId: event.actorId,
    actorName: event.actorName,
    action: event.action,
    entityType: event.entityType,
    entityId: event.entityId,
    before: event.before ?? null,
    after: event.after ?? null,
    ip: event.ip,
    userAgent: event.userAgent,
    createdAt: event.createdAt.toISOString(),
  };
}
