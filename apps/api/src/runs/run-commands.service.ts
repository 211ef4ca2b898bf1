import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AgentCommand } from '@ects/domain';
import { describeError, EtcdKeys, type Coordination } from '@ects/etcd';
import { v7 as uuidv7 } from 'uuid';
import { DataSource, In } from 'typeorm';

import { AuditService } from '../audit/audit.service';
import { COORDINATION } from '../infra/coordination/coordination.token';
import type { Actor } from '../infra/context/request-context';
import { LiveEvents } from '../live/live.events';
import { NodeEntity } from '../nodes/entities/node.entity';
import { SnapshotBuilder } from '../publishing/snapshot.builder';
import { KillResultDto, RunNowDto, RunNowResultDto } from './dto/run-command.dto';
import { RunEntity } from './entities/run.entity';

/** Seconds a command waits in etcd for its agent before it expires unanswered. */
const COMMAND_TTL_SECONDS = 120;

/** Run-now and kill: commands written under the target node's commands prefix in etcd. */
@Injectable()
export class RunCommandsService {
  private readonly logger = new Logger(RunCommandsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(COORDINATION) private readonly coordination: Coordination,
    private readonly keys: EtcdKeys,
    private readonly snapshots: SnapshotBuilder,
    private readonly audit: AuditService,
    private readonly live: LiveEvents,
  ) {}

  async runNow(pipelineId: string, input: RunNowDto, actor: Actor): Promise<RunNowResultDto> {
    const pipeline = (await this.snapshots.build([pipelineId])).get(pipelineId);
    if (!pipeline) {
      throw new NotFoundException(`Pipeline ${pipelineId} not found`);
    }
    if (pipeline.steps.length === 0) {
      throw new ConflictException(`Pipeline "${pipeline.name}" has no steps; add one before running it`);
    }
    if (input.nodeId !== undefined && !pipeline.nodeIds.includes(input.nodeId)) {
      throw new BadRequestException({
        message: `nodeId: node ${input.nodeId} is not bound to pipeline "${pipeline.name}"`,
        errors: [
          {
            field: 'nodeId',
            message: `node ${input.nodeId} is not bound to the pipeline; bind it first or pick a bound node`,
          },
        ],
      });
    }

    const candidates = input.nodeId !== undefined ? [input.nodeId] : pipeline.nodeIds;
    const online = await this.dataSource
      .getRepository(NodeEntity)
      .findBy({ id: In(candidates.length > 0 ? candidates : ['']), status: 'online' });
    if (online.length === 0) {
      throw new ConflictException(
        `No online node runs pipeline "${pipeline.name}"; start an agent on a bound node or bind an online one`,
      );
    }

    // In `one` mode a manual run goes to one node too; the least busy one is picked.
    const targets = input.nodeId === undefined && pipeline.mode === 'one' ? [await this.leastBusy(online)] : online;
    const trigger = actor.kind === 'token' ? 'api' : 'manual';
    const now = new Date();
    const lease = await this.commandLease();

    const runs: RunEntity[] = [];
    for (const node of targets) {
      const run = this.dataSource.getRepository(RunEntity).create({
        id: uuidv7(),
        pipelineId: pipeline.id,
        pipelineName: pipeline.name,
        pipelineVersion: pipeline.version,
        nodeId: node.id,
        nodeName: node.name,
        trigger,
        triggeredBy: actor.name,
        scheduledAt: now,
        startedAt: now,
        finishedAt: null,
        status: 'running',
        exitSummary: null,
      });
      await this.dataSource.getRepository(RunEntity).save(run);

      const command: AgentCommand = {
        type: 'run',
        commandId: uuidv7(),
        runId: run.id,
        pipeline,
        trigger,
        triggeredBy: actor.name,
        requestedAt: now.toISOString(),
      };
      try {
        await this.coordination.put(this.keys.command(node.id, command.commandId), JSON.stringify(command), { lease });
      } catch (error: unknown) {
        await this.dataSource.getRepository(RunEntity).delete({ id: run.id });
        this.logger.warn(
          `Sending run ${run.id} of pipeline ${pipeline.id} to node ${node.id} failed: ${describeError(error)}`,
        );
        throw new ServiceUnavailableException('etcd is not reachable, so the run could not be sent; try again shortly');
      }
      runs.push(run);
      this.live.run(run);
    }

    const result = { runs: runs.map((run) => ({ runId: run.id, nodeId: run.nodeId ?? '' })) };
    await this.audit.record({ action: 'pipeline.run', entityType: 'pipeline', entityId: pipeline.id, after: result });

    return result;
  }

  async kill(runId: string, actor: Actor): Promise<KillResultDto> {
    const run = await this.dataSource.getRepository(RunEntity).findOneBy({ id: runId });
    if (!run) {
      throw new NotFoundException(`Run ${runId} not found`);
    }
    if (run.status !== 'running') {
      throw new ConflictException(`Run ${runId} is ${run.status}, not running; there is nothing to kill`);
    }
    if (!run.nodeId) {
      throw new ConflictException(`Run ${runId} has no node any more; it cannot be reached`);
    }

    const command: AgentCommand = {
      type: 'kill',
      commandId: uuidv7(),
      runId,
      requestedBy: actor.name,
      requestedAt: new Date().toISOString(),
    };
    try {
      await this.coordination.put(this.keys.command(run.nodeId, command.commandId), JSON.stringify(command), {
        lease: await this.commandLease(),
      });
    } catch (error: unknown) {
      this.logger.warn(`Sending kill of run ${runId} to node ${run.nodeId} failed: ${describeError(error)}`);
      throw new ServiceUnavailableException('etcd is not reachable, so the kill could not be sent; try again shortly');
    }
    await this.audit.record({ action: 'run.kill', entityType: 'run', entityId: runId, after: { nodeId: run.nodeId } });

    return { runId, requested: true };
  }

  private async leastBusy(nodes: NodeEntity[]): Promise<NodeEntity> {
    const counts = await this.dataSource
      .getRepository(RunEntity)
      .createQueryBuilder('run')
      .select('run.node_id', 'nodeId')
      .addSelect('COUNT(*)', 'running')
      .where({ nodeId: In(nodes.map((node) => node.id)), status: 'running' })
      .groupBy('run.node_id')
      .getRawMany<{ nodeId: string; running: string | number }>();
    const running = new Map(counts.map((row) => [row.nodeId, Number(row.running)]));

    return [...nodes].sort((a, b) => (running.get(a.id) ?? 0) - (running.get(b.id) ?? 0))[0];
  }

  /** A lease without keep-alive, so a command no agent acts on expires by itself. */
  private async commandLease() {
    try {
      return await this.coordination.grantLease(COMMAND_TTL_SECONDS, { keepAlive: false });
    } catch (error: unknown) {
      this.logger.warn(`Granting a command lease failed: ${describeError(error)}`);
      throw new ServiceUnavailableException(
        'etcd is not reachable, so the command could not be sent; try again shortly',
      );
    }
  }
}
