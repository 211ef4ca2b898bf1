import type { ActorKind } from '@ects/domain';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('audit_events')
@Index('IDX_audit_events_created', ['createdAt'])
@Index('IDX_audit_events_actor', ['actorId', 'createdAt'])
@Index('IDX_audit_events_entity', ['entityType', 'entityId', 'createdAt'])
@Index('IDX_audit_events_action', ['action', 'createdAt'])
export class AuditEventEntity {
  /** UUIDv7, so ids sort by time like the events. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'actor_kind', type: 'varchar', length: 8 })
  actorKind!: ActorKind;

  /** User, token or node id; null for the system. */
  @Column({ name: 'actor_id', type: 'varchar', length: 36, nullable: true })
  actorId!: string | null;

  @Column({ name: 'actor_name', type: 'varchar', length: 254 })
  actorName!: string;

  /** Dotted verb such as `pipeline.update`. */
  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ name: 'entity_type', type: 'varchar', length: 32 })
  entityType!: string;

  @Column({ name: 'entity_id', type: 'varchar', length: 64, nullable: true })
  entityId!: string | null;

  /** State before the change, secrets masked; null for creations. */
  @Column({ type: 'simple-json', nullable: true })
  before!: object | null;

  /** State after the change, secrets masked; null for deletions. */
  @Column({ type: 'simple-json', nullable: true })
  after!: object | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 255, nullable: true })
  userAgent!: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
