import { Injectable, Logger } from '@nestjs/common';

export type ChangeListener = (change: Change) => void | Promise<void>;

/** Something that may change what an agent must run. */
export type Change =
  | { kind: 'pipelines'; pipelineIds: string[] }
  | { kind: 'pipeline_deleted'; pipelineId: string; nodeIds: string[] }
  | { kind: 'node'; nodeId: string }
  | { kind: 'node_deleted'; nodeId: string };

/**
 * Carries committed changes from the services that make them to those that act on them, such as
 * the publisher of agent assignments, without the two knowing each other.
 */
@Injectable()
export class ChangeFeed {
  private readonly logger = new Logger(ChangeFeed.name);
  private readonly listeners = new Set<ChangeListener>();

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);

    return () => this.listeners.delete(listener);
  }

  /** Announces a change; call it after the transaction that made the change has committed. */
  emit(change: Change): void {
    for (const listener of this.listeners) {
      Promise.resolve()
        .then(() => listener(change))
        .catch((error: unknown) => {
          this.logger.error(
            `Change listener failed for ${change.kind}: ${String(error)}`,
            error instanceof Error ? error.stack : undefined,
          );
        });
    }
  }
}
