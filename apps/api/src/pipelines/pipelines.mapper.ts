import { MASK } from '@ects/domain';

import type { TaskEntity } from '../tasks/entities/task.entity';
import type { PipelineDto, StepDto } from './dto/pipeline.dto';
import type { PipelineStepEntity } from './entities/pipeline-step.entity';
import type { PipelineEntity } from './entities/pipeline.entity';
import { nextFireAt } from './schedule';

export function toStepDto(step: PipelineStepEntity, task: TaskEntity | undefined): StepDto {
  return {
    id: step.id,
    position: step.position,
    taskId: step.taskId,
    taskName: task?.name ?? '',
    taskKind: task?.kind ?? 'shell',
    timeoutSeconds: step.timeoutSeconds,
    retries: step.retries,
    retryIntervalSeconds: step.retryIntervalSeconds,
    retryBackoff: step.retryBackoff,
    onFailure: step.onFailure,
    runAsUser: step.runAsUser,
    workingDirectory: step.workingDirectory,
    env: step.env.map((variable) => ({
      name: variable.name,
      value: variable.secret ? MASK : variable.value,
      secret: variable.secret,
    })),
  };
}

export function toPipelineDto(
  pipeline: PipelineEntity,
  steps: PipelineStepEntity[],
  nodeIds: string[],
  tasks: Map<string, TaskEntity>,
): PipelineDto {
  return {
    id: pipeline.id,
    name: pipeline.name,
    description: pipeline.description,
    cron: pipeline.cron,
    timezone: pipeline.timezone,
    enabled: pipeline.enabled,
    mode: pipeline.mode,
    overlap: pipeline.overlap,
    misfire: pipeline.misfire,
    timeoutSeconds: pipeline.timeoutSeconds,
    onSuccessTaskId: pipeline.onSuccessTaskId,
    onFailureTaskId: pipeline.onFailureTaskId,
    nodeSelector: pipeline.nodeSelector,
    nodeIds: [...nodeIds].sort(),
    steps: [...steps].sort((a, b) => a.position - b.position).map((step) => toStepDto(step, tasks.get(step.taskId))),
    version: pipeline.version,
    nextFireAt: pipeline.enabled ? nextFireAt(pipeline.cron, pipeline.timezone) : null,
    createdAt: pipeline.createdAt.toISOString(),
    updatedAt: pipeline.updatedAt.toISOString(),
  };
}
