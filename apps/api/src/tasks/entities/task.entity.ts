import type { TaskConfig, TaskKind } from '@ects/domain';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('tasks')
@Index('UQ_tasks_name', ['name'], { unique: true })
@Index('IDX_tasks_kind', ['kind'])
export class TaskEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'varchar', length: 1000, default: '' })
  description!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: TaskKind;

  /** Kind-specific settings, validated per kind before they are stored. */
  @Column({ type: 'simple-json' })
  config!: TaskConfig;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt!: Date;
}
