import { join } from 'node:path';

import { describeError } from '../errors';
import type { RunnerLogger } from '../logger';
import { isRecord, readJsonFile, writeJsonFileAtomic } from './json-file';

const FILE_NAME = 'handled-commands.json';
/** Command keys are leased by the API and expire soon, so remembering the last few hundred ids is enough. */
const MAX_REMEMBERED = 500;

/**
 * Ids of commands this agent has acted on. A command key is deleted after the agent acts on it, but a
 * crash or an etcd outage between the two would leave the key behind. This list keeps a restarted
 * agent from starting the same run-now command twice. It is saved at once, because commands are rare.
 */
export class HandledCommands {
  private readonly path: string;
  private readonly ids: string[] = [];
  private readonly known = new Set<string>();

  constructor(
    stateDir: string,
    private readonly logger: RunnerLogger,
  ) {
    this.path = join(stateDir, FILE_NAME);
  }

  load(): void {
    try {
      const content = readJsonFile(this.path);
      const ids = isRecord(content) && Array.isArray(content.commandIds) ? content.commandIds : [];
      for (const id of ids) {
        if (typeof id === 'string') {
          this.remember(id);
        }
      }
    } catch (error: unknown) {
      this.logger.warn(`Ignoring the list of handled commands: ${describeError(error)}`);
    }
  }

  has(commandId: string): boolean {
    return this.known.has(commandId);
  }

  add(commandId: string): void {
    if (this.known.has(commandId)) {
      return;
    }

    this.remember(commandId);
    try {
      writeJsonFileAtomic(this.path, { version: 1, commandIds: this.ids });
    } catch (error: unknown) {
      this.logger.warn(`Saving handled command ${commandId} failed: ${describeError(error)}`);
    }
  }

  private remember(commandId: string): void {
    this.ids.push(commandId);
    this.known.add(commandId);

    while (this.ids.length > MAX_REMEMBERED) {
      const dropped = this.ids.shift();
      if (dropped !== undefined) {
        this.known.delete(dropped);
      }
    }
  }
}
