import type { Labels, NodeStatus } from '@ects/domain';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('nodes')
@Index('UQ_nodes_name', ['name'], { unique: true })
@Index('IDX_nodes_status', ['status'])
export class NodeEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'varchar', length: 255, default: '' })
  host!: string;

  @Column({ type: 'simple-json' })
  labels!: Labels;

  @Column({ type: 'varchar', length: 40, default: '' })
  version!: string;

  @Column({ type: 'varchar', length: 120, default: '' })
  os!: string;

  @Column({ type: 'varchar', length: 16, default: 'offline' })
  status!: NodeStatus;

  @Column({ name: 'last_seen_at', type: 'datetime', precision: 3, nullable: true })
  lastSeenAt!: Date | null;

  /** SHA-256 of the credential the agent presents; null until an agent has enrolled as this node. */
  @Column({ name: 'credential_hash', type: 'varchar', length: 64, nullable: true })
  credentialHash!: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt!: Date;
}
