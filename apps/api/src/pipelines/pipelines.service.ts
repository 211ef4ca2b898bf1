import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MASK } from '@ects/domain';
import { v7 as uuidv7 } from 'uuid';
import { DataSource, In, type EntityManager } from 'typeorm';

import { AuditService } from '../audit/audit.service';
import { EMBEDDED_NODE_NAME } from '../embedded/embedded-node';
import { ChangeFeed } from '../infra/changes/change-feed';
import { APP_CONFIG, type AppConfig } from '../infra/config/config';
import type { FieldErrorDto } from '../infra/http/errors';
import { pageOf, skipOf, type Page } from '../infra/http/pagination';
import { NodeEntity } from '../nodes/entities/node.entity';
import { TaskEntity } from '../tasks/entities/task.entity';
import {
  CreatePipelineDto,
  PipelineDto,
  PipelineQueryDto,
  ReorderStepsDto,
  ScheduleDto,
  StepInputDto,
  UpdatePipelineDto,
} from './dto/pipeline.dto';
import { PipelineNodeEntity } from './entities/pipeline-node.entity';
import { PipelineStepEntity, type StepEnvVar } from './entities/pipeline-step.entity';
import { PipelineEntity } from './entities/pipeline.entity';
import { escapeLike, LIKE_ESCAPE } from '../infra/database/like';
import { toPipelineDto } from './pipelines.mapper';
import { compileSchedule, describeSchedule } from './schedule';

interface LoadedPipeline {
  pipeline: PipelineEntity;
  steps: PipelineStepEntity[];
  nodeIds: string[];
}

@Injectable()
export class PipelinesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly changes: ChangeFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(query: PipelineQueryDto): Promise<Page<PipelineDto>> {
    const builder = this.dataSource.getRepository(PipelineEntity).createQueryBuilder('pipeline');
    if (query.search !== undefined) {
      builder.andWhere(`pipeline.name LIKE :search ESCAPE '${LIKE_ESCAPE}'`, {
        search: `%${escapeLike(query.search)}%`,
      });
    }
    if (query.enabled !== undefined) {
      builder.andWhere('pipeline.enabled = :enabled', { enabled: query.enabled === 'true' });
    }
    if (query.nodeId !== undefined) {
      builder.andWhere(
        'pipeline.id IN (SELECT binding.pipeline_id FROM pipeline_nodes binding WHERE binding.node_id = :nodeId)',
        {
          nodeId: query.nodeId,
        },
      );
    }
    if (query.taskId !== undefined) {
      builder.andWhere(
        '(pipeline.id IN (SELECT step.pipeline_id FROM pipeline_steps step WHERE step.task_id = :taskId) ' +
          'OR pipeline.on_success_task_id = :taskId OR pipeline.on_failure_task_id = :taskId)',
        { taskId: query.taskId },
      );
    }

    const order = query.order ?? (query.sort === 'name' ? 'asc' : 'desc');
    const [pipelines, total] = await builder
      .orderBy(`pipeline.${query.sort}`, order === 'asc' ? 'ASC' : 'DESC')
      .addOrderBy('pipeline.id', 'ASC')
      .skip(skipOf(query))
      .take(query.pageSize)
      .getManyAndCount();

    return pageOf(await this.toDtos(this.dataSource.manager, pipelines), total, query);
  }

  async get(id: string): Promise<PipelineDto> {
    const [dto] = await this.toDtos(this.dataSource.manager, [await this.find(this.dataSource.manager, id)]);

    return dto;
  }

  async create(input: CreatePipelineDto): Promise<PipelineDto> {
    const timezone = input.timezone ?? 'UTC';
    compileSchedule(input.cron, timezone);

    const dto = await this.dataSource.transaction(async (manager) => {
      await this.assertNameFree(manager, input.name);
      await this.assertReferences(manager, input);

      const pipeline = manager.create(PipelineEntity, {
        id: uuidv7(),
        name: input.name,
        description: input.description ?? '',
        cron: input.cron,
        timezone,
        enabled: input.enabled ?? true,
        mode: input.mode ?? 'all',
        overlap: input.overlap ?? 'skip',
        misfire: input.misfire ?? 'skip',
        timeoutSeconds: input.timeoutSeconds ?? 0,
        onSuccessTaskId: input.onSuccessTaskId ?? null,
        onFailureTaskId: input.onFailureTaskId ?? null,
        nodeSelector: emptyToNull(input.nodeSelector),
        version: 1,
      });
      await manager.save(pipeline);
      await this.replaceSteps(manager, pipeline.id, input.steps, []);
      await this.replaceBindings(manager, pipeline.id, input.nodeIds ?? (await this.defaultNodeIds(manager, input)));

      const [after] = await this.toDtos(manager, [pipeline]);
      await this.audit.record(
        { action: 'pipeline.create', entityType: 'pipeline', entityId: pipeline.id, after },
        manager,
      );

      return after;
    });

    this.changes.emit({ kind: 'pipelines', pipelineIds: [dto.id] });

    return dto;
  }

  async update(id: string, input: UpdatePipelineDto): Promise<PipelineDto> {
    return this.change(id, 'pipeline.update', async (manager, loaded) => {
      const { pipeline } = loaded;
      const cron = input.cron ?? pipeline.cron;
      const timezone = input.timezone ?? pipeline.timezone;
      compileSchedule(cron, timezone);

      if (input.name !== undefined && input.name !== pipeline.name) {
        await this.assertNameFree(manager, input.name);
      }
      await this.assertReferences(manager, input);

      Object.assign(pipeline, {
        name: input.name ?? pipeline.name,
        description: input.description ?? pipeline.description,
        cron,
        timezone,
        enabled: input.enabled ?? pipeline.enabled,
        mode: input.mode ?? pipeline.mode,
        overlap: input.overlap ?? pipeline.overlap,
        misfire: input.misfire ?? pipeline.misfire,
        timeoutSeconds: input.timeoutSeconds ?? pipeline.timeoutSeconds,
        onSuccessTaskId: input.onSuccessTaskId === undefined ? pipeline.onSuccessTaskId : input.onSuccessTaskId,
        onFailureTaskId: input.onFailureTaskId === undefined ? pipeline.onFailureTaskId : input.onFailureTaskId,
        nodeSelector: input.nodeSelector === undefined ? pipeline.nodeSelector : emptyToNull(input.nodeSelector),
      });
      if (input.steps !== undefined) {
        await this.replaceSteps(manager, id, input.steps, loaded.steps);
      }
      if (input.nodeIds !== undefined) {
        await this.replaceBindings(manager, id, input.nodeIds);
      }
    });
  }

  async setEnabled(id: string, enabled: boolean): Promise<PipelineDto> {
    return this.change(id, enabled ? 'pipeline.enable' : 'pipeline.disable', (_manager, { pipeline }) => {
      pipeline.enabled = enabled;

      return Promise.resolve();
    });
  }

  async reorderSteps(id: string, input: ReorderStepsDto): Promise<PipelineDto> {
    return this.change(id, 'pipeline.reorder_steps', async (manager, { steps }) => {
      const current = new Set(steps.map((step) => step.id));
      const complete = input.stepIds.length === current.size && input.stepIds.every((stepId) => current.has(stepId));
      if (!complete) {
        throw new BadRequestException({
          message: 'stepIds must list every step of the pipeline exactly once',
          errors: [
            {
              field: 'stepIds',
              message: `stepIds must list every step of the pipeline exactly once: ${[...current].join(', ')}`,
            },
          ],
        });
      }

      // Positions are unique per pipeline, so steps move out of the way before taking their new places.
      for (const step of steps) {
        await manager.update(PipelineStepEntity, { id: step.id }, { position: -1 - step.position });
      }
      for (const [position, stepId] of input.stepIds.entries()) {
        await manager.update(PipelineStepEntity, { id: stepId }, { position });
      }
    });
  }

  async bindNode(id: string, nodeId: string): Promise<PipelineDto> {
    return this.change(id, 'pipeline.bind_node', async (manager, { nodeIds }) => {
      if (!(await manager.existsBy(NodeEntity, { id: nodeId }))) {
        throw new NotFoundException(`Node ${nodeId} not found`);
      }
      if (!nodeIds.includes(nodeId)) {
        await manager.insert(PipelineNodeEntity, { pipelineId: id, nodeId });
      }
    });
  }

  async unbindNode(id: string, nodeId: string): Promise<PipelineDto> {
    return this.change(id, 'pipeline.unbind_node', async (manager, { nodeIds }) => {
      if (!nodeIds.includes(nodeId)) {
        throw new NotFoundException(`Pipeline ${id} is not bound to node ${nodeId}`);
      }
      await manager.delete(PipelineNodeEntity, { pipelineId: id, nodeId });
    });
  }

  async remove(id: string): Promise<void> {
    const nodeIds = await this.dataSource.transaction(async (manager) => {
      const pipeline = await this.find(manager, id);
      const [before] = await this.toDtos(manager, [pipeline]);

      await manager.delete(PipelineEntity, { id });
      await this.audit.record({ action: 'pipeline.delete', entityType: 'pipeline', entityId: id, before }, manager);

      return before.nodeIds;
    });

    this.changes.emit({ kind: 'pipeline_deleted', pipelineId: id, nodeIds });
  }

  async schedule(id: string, count: number): Promise<ScheduleDto> {
    const pipeline = await this.find(this.dataSource.manager, id);

    return describeSchedule(pipeline.cron, pipeline.timezone, count);
  }

  preview(cron: string, timezone: string, count: number): ScheduleDto {
    return describeSchedule(cron, timezone, count);
  }

  /**
   * Applies one change to a pipeline in a transaction: loads it, lets `apply` mutate it, bumps the
   * version, writes the audit event with before and after, and announces the change once committed.
   */
  private async change(
    id: string,
    action: string,
    apply: (manager: EntityManager, loaded: LoadedPipeline) => Promise<void>,
  ): Promise<PipelineDto> {
    const dto = await this.dataSource.transaction(async (manager) => {
      const pipeline = await this.find(manager, id);
      const [before] = await this.toDtos(manager, [pipeline]);
      const loaded: LoadedPipeline = {
        pipeline,
        steps: await manager.find(PipelineStepEntity, { where: { pipelineId: id }, order: { position: 'ASC' } }),
        nodeIds: before.nodeIds,
      };

      await apply(manager, loaded);
      pipeline.version += 1;
      await manager.save(pipeline);

      const [after] = await this.toDtos(manager, [pipeline]);
      await this.audit.record({ action, entityType: 'pipeline', entityId: id, before, after }, manager);

      return after;
    });

    this.changes.emit({ kind: 'pipelines', pipelineIds: [id] });

    return dto;
  }

  private async replaceSteps(
    manager: EntityManager,
    pipelineId: string,
    inputs: StepInputDto[],
    previous: PipelineStepEntity[],
  ): Promise<void> {
    const previousById = new Map(previous.map((step) => [step.id, step]));
    await manager.delete(PipelineStepEntity, { pipelineId });

    const steps = inputs.map((input, position) => {
      const earlier = (input.id !== undefined ? previousById.get(input.id) : undefined) ?? previous[position];

      return manager.create(PipelineStepEntity, {
        id: input.id !== undefined && previousById.has(input.id) ? input.id : uuidv7(),
        pipelineId,
        position,
        taskId: input.taskId,
        timeoutSeconds: input.timeoutSeconds ?? 0,
        retries: input.retries ?? 0,
        retryIntervalSeconds: input.retryIntervalSeconds ?? 0,
        retryBackoff: input.retryBackoff ?? 'fixed',
        onFailure: input.onFailure ?? 'stop',
        runAsUser: input.runAsUser ?? null,
        workingDirectory: input.workingDirectory ?? null,
        env: mergeEnv(input, earlier, position),
      });
    });
    if (steps.length > 0) {
      await manager.save(steps);
    }
  }

  /**
   * In embedded mode a pipeline created without nodes or a selector runs on the embedded agent, so
   * a first pipeline works without knowing about nodes. Elsewhere it runs nowhere until bound.
   */
  private async defaultNodeIds(manager: EntityManager, input: CreatePipelineDto): Promise<string[]> {
    if (!this.config.embeddedAgent || input.nodeSelector) {
      return [];
    }
    const local = await manager.findOneBy(NodeEntity, { name: EMBEDDED_NODE_NAME });

    return local ? [local.id] : [];
  }

  private async replaceBindings(manager: EntityManager, pipelineId: string, nodeIds: string[]): Promise<void> {
    await manager.delete(PipelineNodeEntity, { pipelineId });
    if (nodeIds.length > 0) {
      await manager.insert(
        PipelineNodeEntity,
        nodeIds.map((nodeId) => ({ pipelineId, nodeId })),
      );
    }
  }

  /** Checks that every task and node the input names exists, reporting each missing one by field. */
  private async assertReferences(manager: EntityManager, input: UpdatePipelineDto): Promise<void> {
    const errors: FieldErrorDto[] = [];
    const taskIds = new Set<string>();
    input.steps?.forEach((step) => taskIds.add(step.taskId));
    if (input.onSuccessTaskId) {
      taskIds.add(input.onSuccessTaskId);
    }
    if (input.onFailureTaskId) {
      taskIds.add(input.onFailureTaskId);
    }

    const found = taskIds.size === 0 ? [] : await manager.findBy(TaskEntity, { id: In([...taskIds]) });
    const known = new Set(found.map((task) => task.id));
    input.steps?.forEach((step, index) => {
      if (!known.has(step.taskId)) {
        errors.push({
          field: `steps.${index}.taskId`,
          message: `steps.${index}.taskId: task ${step.taskId} not found`,
        });
      }
    });
    if (input.onSuccessTaskId && !known.has(input.onSuccessTaskId)) {
      errors.push({ field: 'onSuccessTaskId', message: `onSuccessTaskId: task ${input.onSuccessTaskId} not found` });
    }
    if (input.onFailureTaskId && !known.has(input.onFailureTaskId)) {
      errors.push({ field: 'onFailureTaskId', message: `onFailureTaskId: task ${input.onFailureTaskId} not found` });
    }

    if (input.nodeIds && input.nodeIds.length > 0) {
      const nodes = await manager.findBy(NodeEntity, { id: In(input.nodeIds) });
      const knownNodes = new Set(nodes.map((node) => node.id));
      input.nodeIds.forEach((nodeId, index) => {
        if (!knownNodes.has(nodeId)) {
          errors.push({ field: `nodeIds.${index}`, message: `nodeIds.${index}: node ${nodeId} not found` });
        }
      });
    }

    if (errors.length > 0) {
      throw new BadRequestException({ message: errors.map((error) => error.message).join('; '), errors });
    }
  }

  private async find(manager: EntityManager, id: string): Promise<PipelineEntity> {
    const pipeline = await manager.findOneBy(PipelineEntity, { id });
    if (!pipeline) {
      throw new NotFoundException(`Pipeline ${id} not found`);
    }

    return pipeline;
  }

  private async assertNameFree(manager: EntityManager, name: string): Promise<void> {
    if (await manager.existsBy(PipelineEntity, { name })) {
      throw new ConflictException(`A pipeline named "${name}" already exists`);
    }
  }

  /** Loads steps, bindings and task names for a page of pipelines in three queries. */
  private async toDtos(manager: EntityManager, pipelines: PipelineEntity[]): Promise<PipelineDto[]> {
    if (pipelines.length === 0) {
      return [];
    }

    const ids = pipelines.map((pipeline) => pipeline.id);
    const steps = await manager.find(PipelineStepEntity, {
      where: { pipelineId: In(ids) },
      order: { position: 'ASC' },
    });
    const bindings = await manager.find(PipelineNodeEntity, { where: { pipelineId: In(ids) } });
    const taskIds = [...new Set(steps.map((step) => step.taskId))];
    const tasks = taskIds.length === 0 ? [] : await manager.findBy(TaskEntity, { id: In(taskIds) });
    const taskById = new Map(tasks.map((task) => [task.id, task]));

    return pipelines.map((pipeline) =>
      toPipelineDto(
        pipeline,
        steps.filter((step) => step.pipelineId === pipeline.id),
        bindings.filter((binding) => binding.pipelineId === pipeline.id).map((binding) => binding.nodeId),
        taskById,
      ),
    );
  }
}

/** Keeps a secret value that came back masked, looking it up in the step the input replaces. */
function mergeEnv(input: StepInputDto, earlier: PipelineStepEntity | undefined, position: number): StepEnvVar[] {
  const variables = input.env ?? [];
  const names = new Set<string>();

  return variables.map((variable, index) => {
    if (names.has(variable.name)) {
      throw new BadRequestException({
        message: `steps.${position}.env.${index}.name: variable ${variable.name} appears twice`,
        errors: [
          {
            field: `steps.${position}.env.${index}.name`,
            message: `variable ${variable.name} appears twice; keep one`,
          },
        ],
      });
    }
    names.add(variable.name);

    const secret = variable.secret ?? false;
    if (secret && variable.value === MASK) {
      const stored = earlier?.env.find((candidate) => candidate.name === variable.name && candidate.secret);
      if (!stored) {
        throw new BadRequestException({
          message: `steps.${position}.env.${index}.value: no stored secret to keep for ${variable.name}; send the real value`,
          errors: [
            {
              field: `steps.${position}.env.${index}.value`,
              message: `no stored secret to keep for ${variable.name}; send the real value`,
            },
          ],
        });
      }

      return { name: variable.name, value: stored.value, secret };
    }

    return { name: variable.name, value: variable.value, secret };
  });
}

function emptyToNull(selector: Record<string, string> | null | undefined): Record<string, string> | null {
  return selector && Object.keys(selector).length > 0 ? selector : null;
}
