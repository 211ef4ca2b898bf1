import type { RetryBackoff, StepFailureRule } from '@ects/domain';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

import { TaskEntity } from '../../tasks/entities/task.entity';
import { PipelineEntity } from './pipeline.entity';

/** One environment variable of a step; a secret one is never shown back. */
export interface StepEnvVar {
  name: string;
  value: string;
  secret: boolean;
}

@Entity('pipeline_steps')
@Index('UQ_pipeline_steps_position', ['pipelineId', 'position'], { unique: true })
@Index('IDX_pipeline_steps_task', ['taskId'])
export class PipelineStepEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'pipeline_id', type: 'varchar', length: 36 })
  pipelineId!: string;

  @ManyToOne(() => PipelineEntity, (pipeline) => pipeline.steps, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'pipeline_id', foreignKeyConstraintName: 'FK_pipeline_steps_pipeline' })
  pipeline?: PipelineEntity;

  /** Zero-based order of the step in its pipeline. */
  @Column({ type: 'int' })
  position!: number;

  @Column({ name: 'task_id', type: 'varchar', length: 36 })
  taskId!: string;

  @ManyToOne(() => TaskEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'task_id', foreignKeyConstraintName: 'FK_pipeline_steps_task' })
  task?: TaskEntity;

  @Column({ name: 'timeout_seconds', type: 'int', default: 0 })
  timeoutSeconds!: number;

  @Column({ type: 'int', default: 0 })
  retries!: number;

  @Column({ name: 'retry_interval_seconds', type: 'int', default: 0 })
  retryIntervalSeconds!: number;

  @Column({ name: 'retry_backoff', type: 'varchar', length: 16, default: 'fixed' })
  retryBackoff!: RetryBackoff;

  @Column({ name: 'on_failure', type: 'varchar', length: 16, default: 'stop' })
  onFailure!: StepFailureRule;

  @Column({ name: 'run_as_user', type: 'varchar', length: 64, nullable: true })
  runAsUser!: string | null;

  @Column({ name: 'working_directory', type: 'varchar', length: 1024, nullable: true })
  workingDirectory!: string | null;

  @Column({ type: 'simple-json' })
  env!: StepEnvVar[];
}
