import type { RunDto, StepRunDto } from './dto/run.dto';
import type { RunEntity } from './entities/run.entity';
import type { StepRunEntity } from './entities/step-run.entity';

export function toRunDto(run: RunEntity): RunDto {
  return {
    id: run.id,
    pipelineId: run.pipelineId,
    pipelineName: run.pipelineName,
    pipelineVersion: run.pipelineVersion,
    nodeId: run.nodeId,
    nodeName: run.nodeName,
    trigger: run.trigger,
    triggeredBy: run.triggeredBy,
    scheduledAt: run.scheduledAt.toISOString(),
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    durationMs: run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null,
    status: run.status,
    exitSummary: run.exitSummary,
  };
}

export function toStepRunDto(step: StepRunEntity): StepRunDto {
  return {
    id: step.id,
    position: step.position,
    role: step.role,
    taskName: step.task.name,
    taskKind: step.task.kind,
    taskConfig: step.task.config,
    attempts: step.attempts,
    status: step.status,
    exitCode: step.exitCode,
    httpStatus: step.httpStatus,
    errorMessage: step.errorMessage,
    startedAt: step.startedAt?.toISOString() ?? null,
    finishedAt: step.finishedAt?.toISOString() ?? null,
    outputBytes: step.outputBytes,
    droppedBytes: step.droppedBytes,
    truncated: step.truncated,
  };
}
