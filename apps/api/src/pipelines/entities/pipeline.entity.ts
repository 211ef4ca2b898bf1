import type { ExecutionMode, Labels, MisfirePolicy, OverlapPolicy } from '@ects/domain';
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';

import { TaskEntity } from '../../tasks/entities/task.entity';
import { PipelineNodeEntity } from './pipeline-node.entity';
import { PipelineStepEntity } from './pipeline-step.entity';

@Entity('pipelines')
@Index('UQ_pipelines_name', ['name'], { unique: true })
@Index('IDX_pipelines_enabled', ['enabled'])
@Index('IDX_pipelines_on_success_task', ['onSuccessTaskId'])
@Index('IDX_pipelines_on_failure_task', ['onFailureTaskId'])
export class PipelineEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'varchar', length: 1000, default: '' })
  description!: string;

  @Column({ type: 'varchar', length: 200 })
  cron!: string;

  /** IANA time zone the cron expression is evaluated in. */
  @Column({ type: 'varchar', length: 64, default: 'UTC' })
  timezone!: string;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ type: 'varchar', length: 8, default: 'all' })
  mode!: ExecutionMode;

  @Column({ type: 'varchar', length: 8, default: 'skip' })
  overlap!: OverlapPolicy;

  @Column({ type: 'varchar', length: 16, default: 'skip' })
  misfire!: MisfirePolicy;

  /** Bound on a whole run, in seconds; 0 means none. */
  @Column({ name: 'timeout_seconds', type: 'int', default: 0 })
  timeoutSeconds!: number;

  @Column({ name: 'on_success_task_id', type: 'varchar', length: 36, nullable: true })
  onSuccessTaskId!: string | null;

  @ManyToOne(() => TaskEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'on_success_task_id', foreignKeyConstraintName: 'FK_pipelines_on_success_task' })
  onSuccessTask?: TaskEntity | null;

  @Column({ name: 'on_failure_task_id', type: 'varchar', length: 36, nullable: true })
  onFailureTaskId!: string | null;

  @ManyToOne(() => TaskEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'on_failure_task_id', foreignKeyConstraintName: 'FK_pipelines_on_failure_task' })
  onFailureTask?: TaskEntity | null;

  /** Nodes whose labels contain every pair run the pipeline too; null binds by node only. */
  @Column({ name: 'node_selector', type: 'simple-json', nullable: true })
  nodeSelector!: Labels | null;

  /** Bumped on every change to the pipeline, its steps, its bindings or the tasks it uses. */
  @Column({ type: 'int', default: 1 })
  version!: number;

  @OneToMany(() => PipelineStepEntity, (step) => step.pipeline)
  steps?: PipelineStepEntity[];

  @OneToMany(() => PipelineNodeEntity, (binding) => binding.pipeline)
  bindings?: PipelineNodeEntity[];

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt!: Date;
}
