import type { RunStatus, RunTrigger } from '@ects/domain';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, OneToMany, PrimaryColumn } from 'typeorm';

import { NodeEntity } from '../../nodes/entities/node.entity';
import { PipelineEntity } from '../../pipelines/entities/pipeline.entity';
import { StepRunEntity } from './step-run.entity';

/**
 * One execution of a pipeline on one node. History outlives its pipeline and node: deleting either
 * clears the reference and keeps the name the run was recorded with.
 */
@Entity('runs')
@Index('IDX_runs_started', ['startedAt'])
@Index('IDX_runs_pipeline_started', ['pipelineId', 'startedAt'])
@Index('IDX_runs_node_started', ['nodeId', 'startedAt'])
@Index('IDX_runs_status_started', ['status', 'startedAt'])
export class RunEntity {
  /** UUIDv7 made by the agent, so a replayed event can never create a second run. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'pipeline_id', type: 'varchar', length: 36, nullable: true })
  pipelineId!: string | null;

  @ManyToOne(() => PipelineEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'pipeline_id', foreignKeyConstraintName: 'FK_runs_pipeline' })
  pipeline?: PipelineEntity | null;

  @Column({ name: 'pipeline_name', type: 'varchar', length: 120 })
  pipelineName!: string;

  @Column({ name: 'pipeline_version', type: 'int' })
  pipelineVersion!: number;

  @Column({ name: 'node_id', type: 'varchar', length: 36, nullable: true })
  nodeId!: string | null;

  @ManyToOne(() => NodeEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'node_id', foreignKeyConstraintName: 'FK_runs_node' })
  node?: NodeEntity | null;

  @Column({ name: 'node_name', type: 'varchar', length: 120 })
  nodeName!: string;

  @Column({ type: 'varchar', length: 16 })
  trigger!: RunTrigger;

  /** Who asked for a manual or API run: a user or token name; null for scheduled runs. */
  @Column({ name: 'triggered_by', type: 'varchar', length: 200, nullable: true })
  triggeredBy!: string | null;

  /** Nominal fire time for scheduled runs, request time otherwise. */
  @Column({ name: 'scheduled_at', type: 'datetime', precision: 3 })
  scheduledAt!: Date;

  @Column({ name: 'started_at', type: 'datetime', precision: 3 })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'datetime', precision: 3, nullable: true })
  finishedAt!: Date | null;

  @Column({ type: 'varchar', length: 16 })
  status!: RunStatus;

  /** Short human-readable outcome, e.g. "step 2 (backup) exited with code 1". */
  @Column({ name: 'exit_summary', type: 'varchar', length: 1000, nullable: true })
  exitSummary!: string | null;

  @OneToMany(() => StepRunEntity, (step) => step.run)
  steps?: StepRunEntity[];

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
