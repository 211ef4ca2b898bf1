import { AuditEventEntity } from '../../audit/entities/audit-event.entity';
import { EnrollmentTokenEntity } from '../../nodes/entities/enrollment-token.entity';
import { NodeEntity } from '../../nodes/entities/node.entity';
import { PipelineNodeEntity } from '../../pipelines/entities/pipeline-node.entity';
import { PipelineStepEntity } from '../../pipelines/entities/pipeline-step.entity';
import { PipelineEntity } from '../../pipelines/entities/pipeline.entity';
import { TaskEntity } from '../../tasks/entities/task.entity';
import { RunEntity } from '../../runs/entities/run.entity';
import { StepLogEntity } from '../../runs/entities/step-log.entity';
import { StepRunEntity } from '../../runs/entities/step-run.entity';
import { SettingEntity } from '../../settings/entities/setting.entity';
import { ApiTokenEntity } from '../../tokens/entities/api-token.entity';
import { UserEntity } from '../../users/entities/user.entity';
import { InitialSchema1764892800000 } from './migrations/1764892800000-initial-schema';

export const ENTITIES = [
  UserEntity,
  ApiTokenEntity,
  NodeEntity,
  EnrollmentTokenEntity,
  TaskEntity,
  PipelineEntity,
  PipelineStepEntity,
  PipelineNodeEntity,
  RunEntity,
  StepRunEntity,
  StepLogEntity,
  AuditEventEntity,
  SettingEntity,
];

export const MIGRATIONS = [InitialSchema1764892800000];
