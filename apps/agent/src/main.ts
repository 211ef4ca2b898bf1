#!/usr/bin/env node
import 'reflect-metadata';

import { hostname } from 'node:os';

import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoNestLogger } from 'nestjs-pino';

import { AgentModule } from './agent.module';
import { helpText, parseSettings } from './config/settings';
import { agentVersion } from './node-facts';

/** Exit code for invalid settings, as for a command-line usage error. */
const EXIT_USAGE = 2;

async function main(): Promise<void> {
  const result = parseSettings(process.argv.slice(2), process.env, hostname());

  switch (result.kind) {
    case 'help':
      process.stdout.write(helpText(hostname()));
      return;
    case 'version':
      process.stdout.write(`${agentVersion()}\n`);
      return;
    case 'invalid':
      process.stderr.write(
        `Invalid agent settings:\n${result.problems.map((problem) => `  - ${problem}`).join('\n')}\n` +
          'Run ects-agent --help to list every setting.\n',
      );
      process.exitCode = EXIT_USAGE;
      return;
    case 'settings':
      break;
  }

  const logger = new Logger('Main');
  // Lines logged while the context starts wait in a buffer until pino, the agent's logger, takes them.
  const app = await NestFactory.createApplicationContext(AgentModule.forRoot(result.settings), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(PinoNestLogger));

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`Received ${signal} again; the agent is already stopping`);
      return;
    }

    stopping = true;
    logger.log(`Received ${signal}; stopping the agent`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(
          `Stopping the agent failed: ${error instanceof Error ? error.message : String(error)}`,
          (error as Error).stack,
        );
        process.exit(1);
      },
    );
  };

  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  const expected = typeof error === 'object' && error !== null && 'code' in error;

  // Errors with a code are expected failures whose message explains the fix, so only others get their stack.
  new Logger('Main').error(`The agent failed to start: ${message}`, expected ? undefined : (error as Error).stack);
  process.exit(1);
});
