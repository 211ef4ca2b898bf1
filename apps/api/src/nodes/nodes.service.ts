import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { v7 as uuidv7 } from 'uuid';
import { DataSource, In, type EntityManager } from 'typeorm';

import { AuditService } from '../audit/audit.service';
import { ChangeFeed } from '../infra/changes/change-feed';
import { pageOf, skipOf, type Page } from '../infra/http/pagination';
import { RunEntity } from '../runs/entities/run.entity';
import { escapeLike, LIKE_ESCAPE } from '../infra/database/like';
import { CreateNodeDto, NodeDto, NodeQueryDto, UpdateNodeDto } from './dto/node.dto';
import { NodeEntity } from './entities/node.entity';

@Injectable()
export class NodesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly changes: ChangeFeed,
  ) {}

  async list(query: NodeQueryDto): Promise<Page<NodeDto>> {
    const builder = this.dataSource.getRepository(NodeEntity).createQueryBuilder('node');
    if (query.search !== undefined) {
      builder.andWhere(`node.name LIKE :search ESCAPE '${LIKE_ESCAPE}'`, { search: `%${escapeLike(query.search)}%` });
    }
    if (query.status !== undefined) {
      builder.andWhere('node.status = :status', { status: query.status });
    }

    let nodes: NodeEntity[];
    let total: number;
    if (query.label === undefined) {
      [nodes, total] = await builder
        .orderBy('node.name', query.order === 'desc' ? 'DESC' : 'ASC')
        .skip(skipOf(query))
        .take(query.pageSize)
        .getManyAndCount();
    } else {
      // Labels are stored as JSON text, so the label filter runs here; node counts stay in the thousands.
      const [key, ...rest] = query.label.split('=');
      const value = rest.join('=');
      const matching = (await builder.orderBy('node.name', query.order === 'desc' ? 'DESC' : 'ASC').getMany()).filter(
        (node) => node.labels[key] === value,
      );
      total = matching.length;
      nodes = matching.slice(skipOf(query), skipOf(query) + query.pageSize);
    }

    return pageOf(await this.toDtos(this.dataSource.manager, nodes), total, query);
  }

  async get(id: string): Promise<NodeDto> {
    const [dto] = await this.toDtos(this.dataSource.manager, [await this.find(this.dataSource.manager, id)]);

    return dto;
  }

  async create(input: CreateNodeDto): Promise<NodeDto> {
    const dto = await this.dataSource.transaction(async (manager) => {
      await this.assertNameFree(manager, input.name);
      const node = manager.create(NodeEntity, {
        id: uuidv7(),
        name: input.name,
        host: input.host ?? '',
        labels: input.labels ?? {},
        version: '',
        os: '',
        status: 'offline',
        lastSeenAt: null,
        credentialHash: null,
      });
      await manager.save(node);

      const [after] = await this.toDtos(manager, [node]);
      await this.audit.record({ action: 'node.create', entityType: 'node', entityId: node.id, after }, manager);

      return after;
    });

    this.changes.emit({ kind: 'node', nodeId: dto.id });

    return dto;
  }

  async update(id: string, input: UpdateNodeDto): Promise<NodeDto> {
    return this.change(id, 'node.update', async (manager, node) => {
      if (input.name !== undefined && input.name !== node.name) {
        await this.assertNameFree(manager, input.name);
        node.name = input.name;
      }
      if (input.host !== undefined) {
        node.host = input.host;
      }
      if (input.labels !== undefined) {
        node.labels = input.labels;
      }
    });
  }

  /** Draining keeps the node registered and its runs going, but it starts no new runs. */
  async setDraining(id: string, draining: boolean): Promise<NodeDto> {
    return this.change(id, draining ? 'node.drain' : 'node.undrain', (_manager, node) => {
      if (draining) {
        node.status = 'draining';
      } else if (node.status === 'draining') {
        node.status = node.lastSeenAt ? 'online' : 'offline';
      }

      return Promise.resolve();
    });
  }

  async remove(id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const node = await this.find(manager, id);
      if (node.status !== 'offline') {
        throw new ConflictException(
          `Node "${node.name}" is ${node.status}; stop its agent and wait until it shows offline, then delete it`,
        );
      }

      const [before] = await this.toDtos(manager, [node]);
      await manager.delete(NodeEntity, { id });
      await this.audit.record({ action: 'node.delete', entityType: 'node', entityId: id, before }, manager);
    });

    this.changes.emit({ kind: 'node_deleted', nodeId: id });
  }

  private async change(
    id: string,
    action: string,
    apply: (manager: EntityManager, node: NodeEntity) => Promise<void>,
  ): Promise<NodeDto> {
    const dto = await this.dataSource.transaction(async (manager) => {
      const node = await this.find(manager, id);
      const [before] = await this.toDtos(manager, [node]);

      await apply(manager, node);
      await manager.save(node);

      const [after] = await this.toDtos(manager, [node]);
      await this.audit.record({ action, entityType: 'node', entityId: id, before, after }, manager);

      return after;
    });

    this.changes.emit({ kind: 'node', nodeId: id });

    return dto;
  }

  private async find(manager: EntityManager, id: string): Promise<NodeEntity> {
    const node = await manager.findOneBy(NodeEntity, { id });
    if (!node) {
      throw new NotFoundException(`Node ${id} not found`);
    }

    return node;
  }

  private async assertNameFree(manager: EntityManager, name: string): Promise<void> {
    if (await manager.existsBy(NodeEntity, { name })) {
      throw new ConflictException(`A node named "${name}" already exists`);
    }
  }

  private async toDtos(manager: EntityManager, nodes: NodeEntity[]): Promise<NodeDto[]> {
    if (nodes.length === 0) {
      return [];
    }

    const counts = await manager
      .createQueryBuilder(RunEntity, 'run')
      .select('run.node_id', 'nodeId')
      .addSelect('COUNT(*)', 'running')
      .where({ nodeId: In(nodes.map((node) => node.id)), status: 'running' })
      .groupBy('run.node_id')
      .getRawMany<{ nodeId: string; running: string | number }>();
    const running = new Map(counts.map((row) => [row.nodeId, Number(row.running)]));

    return nodes.map((node) => ({
      id: node.id,
      name: node.name,
      host: node.host,
      labels: node.labels,
      version: node.version,
      os: node.os,
      status: node.status,
      lastSeenAt: node.lastSeenAt?.toISOString() ?? null,
      enrolled: node.credentialHash !== null,
      runningRuns: running.get(node.id) ?? 0,
      createdAt: node.createdAt.toISOString(),
      updatedAt: node.updatedAt.toISOString(),
    }));
  }
}
