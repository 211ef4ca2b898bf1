import type { StepRunStatus, TaskKind } from '@ects/domain';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

import { RunEntity } from './run.entity';

export const STEP_RUN_ROLES = ['step', 'on_success', 'on_failure'] as const;
export type StepRunRole = (typeof STEP_RUN_ROLES)[number];

/** The task a step ran, as it was at the time, with secrets masked. */
export interface StepTaskSnapshot {
  id: string;
  name: string;
  kind: TaskKind;
  config: Record<string, unknown>;
}

@Entity('step_runs')
@Index('UQ_step_runs_position', ['runId', 'position'], { unique: true })
export class StepRunEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'run_id', type: 'varchar', length: 36 })
  runId!: string;

  @ManyToOne(() => RunEntity, (run) => run.steps, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id', foreignKeyConstraintName: 'FK_step_runs_run' })
  run?: RunEntity;

  /** Pipeline steps take 0…n-1; the on-success or on-failure task comes after them. */
  @Column({ type: 'int' })
  position!: number;

  @Column({ type: 'varchar', length: 16, default: 'step' })
  role!: StepRunRole;

  @Column({ name: 'task_snapshot', type: 'simple-json' })
  task!: StepTaskSnapshot;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: StepRunStatus;

  @Column({ name: 'exit_code', type: 'int', nullable: true })
  exitCode!: number | null;

  @Column({ name: 'http_status', type: 'int', nullable: true })
  httpStatus!: number | null;

  @Column({ name: 'error_message', type: 'varchar', length: 1000, nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'started_at', type: 'datetime', precision: 3, nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'datetime', precision: 3, nullable: true })
  finishedAt!: Date | null;

  /** Bytes of output produced, stored or not. */
  @Column({ name: 'output_bytes', type: 'bigint', default: 0, transformer: { to: (v: number) => v, from: Number } })
  outputBytes!: number;

  /** Bytes of output dropped because the stored output reached its bound. */
  @Column({ name: 'dropped_bytes', type: 'bigint', default: 0, transformer: { to: (v: number) => v, from: Number } })
  droppedBytes!: number;

  @Column({ type: 'boolean', default: false })
  truncated!: boolean;
}
