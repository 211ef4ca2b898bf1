import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { v7 as uuidv7 } from 'uuid';
import { DataSource, In, type EntityManager, type FindOptionsWhere } from 'typeorm';

import { AuditService } from '../audit/audit.service';
import { ChangeFeed } from '../infra/changes/change-feed';
import { pageOf, skipOf, type Page } from '../infra/http/pagination';
import { PipelineStepEntity } from '../pipelines/entities/pipeline-step.entity';
import { PipelineEntity } from '../pipelines/entities/pipeline.entity';
import { containing } from '../infra/database/like';
import { CreateTaskDto, TaskDto, TaskQueryDto, TaskUsageDto, UpdateTaskDto } from './dto/task.dto';
import { TaskEntity } from './entities/task.entity';
import { maskTaskConfig, parseTaskConfig, restoreMaskedValues } from './task-config';

@Injectable()
export class TasksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly changes: ChangeFeed,
  ) {}

  async list(query: TaskQueryDto): Promise<Page<TaskDto>> {
    const where: FindOptionsWhere<TaskEntity> = {};
    if (query.kind !== undefined) {
      where.kind = query.kind;
    }
    if (query.search !== undefined) {
      where.name = containing(query.search, 'searchName');
    }

    // Names read best A to Z, times newest first, unless the client asks otherwise.
    const order = query.order ?? (query.sort === 'name' ? 'asc' : 'desc');
    const [tasks, total] = await this.dataSource.getRepository(TaskEntity).findAndCount({
      where,
      order: { [query.sort]: order === 'asc' ? 'ASC' : 'DESC', id: 'ASC' },
      skip: skipOf(query),
      take: query.pageSize,
    });

    return pageOf(tasks.map(toTaskDto), total, query);
  }

  async get(id: string): Promise<TaskDto> {
    return toTaskDto(await this.find(this.dataSource.manager, id));
  }

  async create(input: CreateTaskDto): Promise<TaskDto> {
    const config = parseTaskConfig(input.kind, input.config);

    return this.dataSource.transaction(async (manager) => {
      await this.assertNameFree(manager, input.name);
      const task = manager.create(TaskEntity, {
        id: uuidv7(),
        name: input.name,
        description: input.description ?? '',
        kind: input.kind,
        config,
      });
      await manager.save(task);

      const after = toTaskDto(task);
      await this.audit.record({ action: 'task.create', entityType: 'task', entityId: task.id, after }, manager);

      return after;
    });
  }

  async update(id: string, input: UpdateTaskDto): Promise<TaskDto> {
    const { dto, pipelineIds } = await this.dataSource.transaction(async (manager) => {
      const task = await this.find(manager, id);
      const before = toTaskDto(task);

      if (input.name !== undefined && input.name !== task.name) {
        await this.assertNameFree(manager, input.name);
        task.name = input.name;
      }
      if (input.description !== undefined) {
        task.description = input.description;
      }

      const kind = input.kind ?? task.kind;
      if (input.config !== undefined || kind !== task.kind) {
        const submitted = input.config ?? (task.config as unknown as Record<string, unknown>);
        const merged = kind === task.kind ? restoreMaskedValues(submitted, task.config) : submitted;
        task.config = parseTaskConfig(kind, merged as Record<string, unknown>);
        task.kind = kind;
      }
      await manager.save(task);

      // A task is part of every pipeline snapshot that uses it, so those pipelines change too.
      const usage = await this.usage(manager, id);
      const affected = usage.map((pipeline) => pipeline.id);
      if (affected.length > 0) {
        await manager.increment(PipelineEntity, { id: In(affected) }, 'version', 1);
      }

      const after = toTaskDto(task);
      await this.audit.record({ action: 'task.update', entityType: 'task', entityId: id, before, after }, manager);

      return { dto: after, pipelineIds: affected };
    });

    if (pipelineIds.length > 0) {
      this.changes.emit({ kind: 'pipelines', pipelineIds });
    }

    return dto;
  }

  async remove(id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const task = await this.find(manager, id);
      const usage = await this.usage(manager, id);
      if (usage.length > 0) {
        const names = usage.map((pipeline) => `"${pipeline.name}"`).join(', ');
        throw new ConflictException(`Task "${task.name}" is used by pipelines ${names}; remove it from them first`);
      }

      await manager.delete(TaskEntity, { id });
      await this.audit.record(
        { action: 'task.delete', entityType: 'task', entityId: id, before: toTaskDto(task) },
        manager,
      );
    });
  }

  async pipelinesUsing(id: string): Promise<TaskUsageDto[]> {
    await this.find(this.dataSource.manager, id);

    return this.usage(this.dataSource.manager, id);
  }

  private async usage(manager: EntityManager, taskId: string): Promise<TaskUsageDto[]> {
    const steps = await manager.find(PipelineStepEntity, {
      where: { taskId },
      relations: { pipeline: true },
      order: { position: 'ASC' },
    });
    const hooks = await manager.find(PipelineEntity, {
      where: [{ onSuccessTaskId: taskId }, { onFailureTaskId: taskId }],
    });

    const byPipeline = new Map<string, TaskUsageDto>();
    const entry = (pipeline: PipelineEntity): TaskUsageDto => {
      const existing = byPipeline.get(pipeline.id) ?? { id: pipeline.id, name: pipeline.name, uses: [] };
      byPipeline.set(pipeline.id, existing);

      return existing;
    };
    for (const step of steps) {
      if (step.pipeline) {
        entry(step.pipeline).uses.push(`step ${step.position + 1}`);
      }
    }
    for (const pipeline of hooks) {
      if (pipeline.onSuccessTaskId === taskId) {
        entry(pipeline).uses.push('on_success');
      }
      if (pipeline.onFailureTaskId === taskId) {
        entry(pipeline).uses.push('on_failure');
      }
    }

    return [...byPipeline.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private async find(manager: EntityManager, id: string): Promise<TaskEntity> {
    const task = await manager.findOneBy(TaskEntity, { id });
    if (!task) {
      throw new NotFoundException(`Task ${id} not found`);
    }

    return task;
  }

  private async assertNameFree(manager: EntityManager, name: string): Promise<void> {
    if (await manager.existsBy(TaskEntity, { name })) {
      throw new ConflictException(`A task named "${name}" already exists`);
    }
  }
}

export function toTaskDto(task: TaskEntity): TaskDto {
  return {
    id: task.id,
    name: task.name,
    description: task.description,
    kind: task.kind,
    config: maskTaskConfig(task.kind, task.config),
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
  };
}
