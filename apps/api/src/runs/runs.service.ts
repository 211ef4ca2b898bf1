import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, MoreThan } from 'typeorm';

import { pageOf, skipOf, type Page } from '../infra/http/pagination';
import { RunDetailDto, RunDto, RunQueryDto, StepLogDto, StepLogQueryDto } from './dto/run.dto';
import { RunEntity } from './entities/run.entity';
import { StepLogEntity } from './entities/step-log.entity';
import { StepRunEntity } from './entities/step-run.entity';
import { toRunDto, toStepRunDto } from './runs.mapper';

@Injectable()
export class RunsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(query: RunQueryDto): Promise<Page<RunDto>> {
    const builder = this.dataSource.getRepository(RunEntity).createQueryBuilder('run');
    if (query.pipelineId !== undefined) {
      builder.andWhere('run.pipeline_id = :pipelineId', { pipelineId: query.pipelineId });
    }
    if (query.nodeId !== undefined) {
      builder.andWhere('run.node_id = :nodeId', { nodeId: query.nodeId });
    }
    if (query.status !== undefined) {
      builder.andWhere('run.status = :status', { status: query.status });
    }
    if (query.trigger !== undefined) {
      builder.andWhere('run.trigger = :trigger', { trigger: query.trigger });
    }
    if (query.from !== undefined) {
      builder.andWhere('run.started_at >= :from', { from: query.from });
    }
    if (query.to !== undefined) {
      builder.andWhere('run.started_at < :to', { to: query.to });
    }

    const direction = query.order === 'asc' ? 'ASC' : 'DESC';
    const [runs, total] = await builder
      .orderBy('run.started_at', direction)
      .addOrderBy('run.id', direction)
      .skip(skipOf(query))
      .take(query.pageSize)
      .getManyAndCount();

    return pageOf(runs.map(toRunDto), total, query);
  }

  async get(id: string): Promise<RunDetailDto> {
    const run = await this.dataSource.getRepository(RunEntity).findOneBy({ id });
    if (!run) {
      throw new NotFoundException(`Run ${id} not found`);
    }

    const steps = await this.dataSource
      .getRepository(StepRunEntity)
      .find({ where: { runId: id }, order: { position: 'ASC' } });

    return { ...toRunDto(run), steps: steps.map(toStepRunDto) };
  }

  async logs(runId: string, position: number, query: StepLogQueryDto): Promise<StepLogDto> {
    const step = await this.dataSource.getRepository(StepRunEntity).findOneBy({ runId, position });
    if (!step) {
      throw new NotFoundException(`Run ${runId} has no step at position ${position}`);
    }

    const chunks = await this.dataSource.getRepository(StepLogEntity).find({
      where: { stepRunId: step.id, sequence: MoreThan(query.afterSequence) },
      order: { sequence: 'ASC' },
      take: query.limit + 1,
    });

    return {
      chunks: chunks
        .slice(0, query.limit)
        .map((chunk) => ({ sequence: chunk.sequence, stream: chunk.stream, chunk: chunk.chunk })),
      more: chunks.length > query.limit,
    };
  }
}
