import type { Coordination, EtcdKeys, WatchEvent } from '@ects/etcd';
import type { AgentCommand } from '@ects/domain';

import { InvalidCommandError, describeError } from '../errors';
import type { RunnerLogger } from '../logger';
import { toPipelineSnapshot } from '../snapshot';
import { isRecord } from '../state/json-file';
import type { HandledCommands } from '../state/handled-commands';
import { PrefixFollower } from './prefix-follower';

export type RunCommand = Extract<AgentCommand, { type: 'run' }>;
export type KillCommand = Extract<AgentCommand, { type: 'kill' }>;

export interface CommandHandler {
  /** Starts the run that the command requests. */
  run(command: RunCommand): void;
  /** Ends the run; returns false when no run of that id is active here. */
  kill(command: KillCommand): boolean;
}

export interface CommandsOptions {
  coordination: Coordination;
  keys: EtcdKeys;
  nodeId: string;
  logger: RunnerLogger;
  handler: CommandHandler;
  handled: HandledCommands;
}

/** Checks the shape of a command read from etcd; throws InvalidCommandError. */
export function parseCommand(text: string, source: string): AgentCommand {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new InvalidCommandError(`Invalid command in ${source}: not valid JSON`);
  }

  if (!isRecord(value) || typeof value.commandId !== 'string' || typeof value.runId !== 'string') {
    throw new InvalidCommandError(`Invalid command in ${source}: expected commandId and runId strings`);
  }

  if (value.type === 'run') {
    if (value.trigger !== 'manual' && value.trigger !== 'api') {
      throw new InvalidCommandError(`Invalid run command in ${source}: trigger must be manual or api`);
    }
    toPipelineSnapshot(value.pipeline, `${source} (pipeline)`);

    return value as unknown as RunCommand;
  }

  if (value.type === 'kill') {
    return value as unknown as KillCommand;
  }

  throw new InvalidCommandError(`Invalid command in ${source}: unknown type ${String(value.type)}`);
}

/**
 * Acts on the run-now and kill requests under `<ns>/commands/<nodeId>/`, then deletes each key.
 * Commands already acted on, according to the handled-commands list, are only deleted.
 */
export class Commands {
  private readonly follower: PrefixFollower;

  constructor(private readonly options: CommandsOptions) {
    this.follower = new PrefixFollower(
      options.coordination,
      options.keys.commandsPrefix(options.nodeId),
      `the commands of node ${options.nodeId}`,
      {
        onSnapshot: (entries) => entries.forEach((entry) => this.handle(entry.key, entry.value)),
        onEvent: (event) => this.onEvent(event),
      },
      options.logger,
    );
  }

  start(): Promise<void> {
    return this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  private onEvent(event: WatchEvent): void {
    if (event.type === 'put') {
      this.handle(event.key, event.value);
    }
  }

  private handle(key: string, value: string): void {
    const { logger, handler, handled } = this.options;

    let command: AgentCommand;
    try {
      command = parseCommand(value, key);
    } catch (error: unknown) {
      logger.warn(`Deleting command ${key}: ${describeError(error)}`);
      this.delete(key);
      return;
    }

    if (handled.has(command.commandId)) {
      this.delete(key);
      return;
    }

    if (command.type === 'run') {
      logger.log(
        `Run-now command ${command.commandId}: run ${command.runId} of pipeline ${command.pipeline.id} ` +
          `requested by ${command.triggeredBy}`,
      );
      handler.run(command);
    } else if (handler.kill(command)) {
      logger.log(`Kill command ${command.commandId}: killing run ${command.runId} for ${command.requestedBy}`);
    } else {
      logger.warn(`Ignoring kill command ${command.commandId}: run ${command.runId} is not active on this node`);
    }

    handled.add(command.commandId);
    this.delete(key);
  }

  private delete(key: string): void {
    this.options.coordination.delete(key).catch((error: unknown) => {
      // The key is leased and expires; the handled-commands list keeps it from acting twice meanwhile.
      this.options.logger.warn(`Deleting command ${key} failed: ${describeError(error)}`);
    });
  }
}
