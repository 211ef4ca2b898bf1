import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { labelsMatch, type PipelineSnapshot, type StepSnapshot, type TaskSnapshot } from '@ects/domain';
import { DataSource, In, type EntityManager } from 'typeorm';

import { NodeEntity } from '../nodes/entities/node.entity';
import { PipelineNodeEntity } from '../pipelines/entities/pipeline-node.entity';
import { PipelineStepEntity } from '../pipelines/entities/pipeline-step.entity';
import { PipelineEntity } from '../pipelines/entities/pipeline.entity';
import { TaskEntity } from '../tasks/entities/task.entity';

/**
 * Builds the snapshots agents run from: a pipeline with its steps, the configs of the tasks they use,
 * and every node it runs on (explicit bindings and nodes matching its label selector).
 */
@Injectable()
export class SnapshotBuilder {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Builds snapshots of the given pipelines, or of all when no ids are given; missing ids are left out. */
  async build(
    pipelineIds?: string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Map<string, PipelineSnapshot>> {
    const pipelines =
      pipelineIds === undefined
        ? await manager.find(PipelineEntity)
        : pipelineIds.length === 0
          ? []
          : await manager.findBy(PipelineEntity, { id: In(pipelineIds) });
    if (pipelines.length === 0) {
      return new Map();
    }

    const ids = pipelines.map((pipeline) => pipeline.id);
    const steps = await manager.find(PipelineStepEntity, {
      where: { pipelineId: In(ids) },
      order: { position: 'ASC' },
    });
    const bindings = await manager.find(PipelineNodeEntity, { where: { pipelineId: In(ids) } });
    const selectorNodes = pipelines.some((pipeline) => pipeline.nodeSelector)
      ? await manager.find(NodeEntity, { select: { id: true, labels: true } })
      : [];

    const taskIds = new Set(steps.map((step) => step.taskId));
    for (const pipeline of pipelines) {
      if (pipeline.onSuccessTaskId) {
        taskIds.add(pipeline.onSuccessTaskId);
      }
      if (pipeline.onFailureTaskId) {
        taskIds.add(pipeline.onFailureTaskId);
      }
    }
    const tasks = taskIds.size === 0 ? [] : await manager.findBy(TaskEntity, { id: In([...taskIds]) });
    const taskById = new Map(tasks.map((task) => [task.id, toTaskSnapshot(task)]));

    const snapshots = new Map<string, PipelineSnapshot>();
    for (const pipeline of pipelines) {
      const nodeIds = new Set(
        bindings.filter((binding) => binding.pipelineId === pipeline.id).map((binding) => binding.nodeId),
      );
      for (const node of selectorNodes) {
        if (labelsMatch(pipeline.nodeSelector, node.labels)) {
          nodeIds.add(node.id);
        }
      }

      snapshots.set(pipeline.id, {
        id: pipeline.id,
        name: pipeline.name,
        version: pipeline.version,
        cron: pipeline.cron,
        timezone: pipeline.timezone,
        enabled: pipeline.enabled,
        mode: pipeline.mode,
        overlap: pipeline.overlap,
        misfire: pipeline.misfire,
        timeoutSeconds: pipeline.timeoutSeconds,
        steps: steps
          .filter((step) => step.pipelineId === pipeline.id)
          .map((step) => toStepSnapshot(step, taskById))
          .filter((step): step is StepSnapshot => step !== null),
        onSuccessTask: pipeline.onSuccessTaskId ? (taskById.get(pipeline.onSuccessTaskId) ?? null) : null,
        onFailureTask: pipeline.onFailureTaskId ? (taskById.get(pipeline.onFailureTaskId) ?? null) : null,
        nodeIds: [...nodeIds].sort(),
      });
    }

    return snapshots;
  }
}

function toTaskSnapshot(task: TaskEntity): TaskSnapshot {
  return { id: task.id, name: task.name, kind: task.kind, config: task.config };
}

function toStepSnapshot(step: PipelineStepEntity, tasks: Map<string, TaskSnapshot>): StepSnapshot | null {
  const task = tasks.get(step.taskId);
  if (!task) {
    return null;
  }

  return {
    position: step.position,
    task,
    timeoutSeconds: step.timeoutSeconds,
    retries: step.retries,
    retryIntervalSeconds: step.retryIntervalSeconds,
    retryBackoff: step.retryBackoff,
    onFailure: step.onFailure,
    runAsUser: step.runAsUser,
    workingDirectory: step.workingDirectory,
    env: Object.fromEntries(step.env.map((variable) => [variable.name, variable.value])),
    secretEnvNames: step.env.filter((variable) => variable.secret).map((variable) => variable.name),
  };
}
