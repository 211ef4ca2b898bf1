import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

import { NodeEntity } from '../../nodes/entities/node.entity';
import { PipelineEntity } from './pipeline.entity';

/** An explicit binding of a pipeline to a node. */
@Entity('pipeline_nodes')
@Index('IDX_pipeline_nodes_node', ['nodeId'])
export class PipelineNodeEntity {
  @PrimaryColumn({ name: 'pipeline_id', type: 'varchar', length: 36, primaryKeyConstraintName: 'PK_pipeline_nodes' })
  pipelineId!: string;

  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 36, primaryKeyConstraintName: 'PK_pipeline_nodes' })
  nodeId!: string;

  @ManyToOne(() => PipelineEntity, (pipeline) => pipeline.bindings, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'pipeline_id', foreignKeyConstraintName: 'FK_pipeline_nodes_pipeline' })
  pipeline?: PipelineEntity;

  @ManyToOne(() => NodeEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'node_id', foreignKeyConstraintName: 'FK_pipeline_nodes_node' })
  node?: NodeEntity;
}
