import type { TokenScope } from '@ects/domain';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

import { UserEntity } from '../../users/entities/user.entity';

@Entity('api_tokens')
@Index('UQ_api_tokens_hash', ['hash'], { unique: true })
@Index('IDX_api_tokens_user', ['userId'])
export class ApiTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_api_tokens_user' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  /** SHA-256 of the secret, hex; the secret itself is shown once and never stored. */
  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  /** First characters of the secret, enough to recognise a token in a list. */
  @Column({ type: 'varchar', length: 16 })
  prefix!: string;

  @Column({ type: 'simple-json' })
  scopes!: TokenScope[];

  @Column({ name: 'expires_at', type: 'datetime', precision: 3, nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'datetime', precision: 3, nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3, nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
