import type { OutputStream } from '@ects/domain';
import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

import { StepRunEntity } from './step-run.entity';

/** One chunk of a step's output, in the order the agent numbered it. */
@Entity('step_logs')
export class StepLogEntity {
  @PrimaryColumn({ name: 'step_run_id', type: 'varchar', length: 36, primaryKeyConstraintName: 'PK_step_logs' })
  stepRunId!: string;

  @ManyToOne(() => StepRunEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'step_run_id', foreignKeyConstraintName: 'FK_step_logs_step_run' })
  stepRun?: StepRunEntity;

  /** Order of the chunk within its step, from 0; a replayed chunk has the same number and is ignored. */
  @PrimaryColumn({ type: 'int', primaryKeyConstraintName: 'PK_step_logs' })
  sequence!: number;

  @Column({ type: 'varchar', length: 8 })
  stream!: OutputStream;

  @Column({ type: 'text' })
  chunk!: string;
}
