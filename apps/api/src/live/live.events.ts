import { Injectable } from '@nestjs/common';
import { LIVE_EVENTS, type OutputChunk } from '@ects/domain';
import type { Namespace } from 'socket.io';

import type { NodeEntity } from '../nodes/entities/node.entity';
import type { StepRunDto } from '../runs/dto/run.dto';
import type { RunEntity } from '../runs/entities/run.entity';
import { toRunDto } from '../runs/runs.mapper';

export const DASHBOARD_ROOM = 'dashboard';
export const runRoom = (runId: string): string => `run:${runId}`;
export const nodeRoom = (nodeId: string): string => `node:${nodeId}`;

/**
 * Pushes run, step, output and node changes to the browsers following them on the `/live`
 * namespace. Emitting before the gateway is ready, or with nobody listening, does nothing.
 */
@Injectable()
export class LiveEvents {
  private namespace: Namespace | null = null;

  attach(namespace: Namespace): void {
    this.namespace = namespace;
  }

  run(run: RunEntity): void {
    const rooms = [runRoom(run.id), DASHBOARD_ROOM, ...(run.nodeId ? [nodeRoom(run.nodeId)] : [])];
    this.namespace?.to(rooms).emit(LIVE_EVENTS.run, toRunDto(run));
  }

  step(runId: string, step: StepRunDto): void {
    this.namespace?.to(runRoom(runId)).emit(LIVE_EVENTS.step, { runId, step });
  }

  output(runId: string, position: number, chunks: OutputChunk[]): void {
    if (chunks.length > 0) {
      this.namespace?.to(runRoom(runId)).emit(LIVE_EVENTS.output, { runId, position, chunks });
    }
  }

  node(node: NodeEntity): void {
    this.namespace?.to([nodeRoom(node.id), DASHBOARD_ROOM]).emit(LIVE_EVENTS.node, {
      id: node.id,
      name: node.name,
      status: node.status,
      lastSeenAt: node.lastSeenAt?.toISOString() ?? null,
      version: node.version,
    });
  }
}
