import 'reflect-metadata';

import { Logger } from '@nestjs/common';

import { createApp } from './app.factory';
import { EmbeddedAgent } from './embedded/embedded-agent.service';
import { ConfigError, loadConfig } from './infra/config/config';

/** Starts the API: `ects serve`, or `node dist/main.js`. */
export async function serve(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  await app.get(EmbeddedAgent).start();

  const mode =
    config.database.kind === 'sqlite' ? `embedded (SQLite at ${config.database.path})` : 'distributed (MySQL)';
  new Logger('Main').log(`ECTS API listening on http://${config.host}:${config.port}/ in ${mode} mode`);
}

if (require.main === module) {
  serve().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      new Logger('Main').error(
        `ECTS API failed to start: ${String(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }
    process.exit(1);
  });
}
