#!/usr/bin/env node
import 'reflect-metadata';

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './infra/config/config';
import { buildOpenApiDocument, stringifySorted } from './infra/openapi/openapi';
import { initialize } from './init';
import { serve } from './main';

const USAGE = `Usage: ects <command> [options]

Commands:
  init              Apply database migrations and create the first admin (safe to run again)
  serve             Start the API (and, in embedded mode, its local agent)
  openapi --out F   Write the OpenAPI document, keys sorted, to file F

Settings come from ECTS_* environment variables; see the README.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;

  switch (command) {
    case 'init': {
      const result = await initialize(loadConfig());
      if (result.createdAdmin) {
        const { email, password, generated } = result.createdAdmin;
        process.stdout.write(`Created admin ${email}\n`);
        if (generated) {
          process.stdout.write(`Generated password (shown only now; change it after signing in): ${password}\n`);
        }
      } else {
        process.stdout.write('Users exist already; no admin created\n');
      }
      process.stdout.write(
        `Migrations applied now: ${result.appliedMigrations.length === 0 ? 'none' : result.appliedMigrations.join(', ')}\n`,
      );

      return 0;
    }
    case 'serve':
      await serve();

      return -1;
    case 'openapi': {
      const { values } = parseArgs({ args: rest, options: { out: { type: 'string' } } });
      const app = await createApp(
        loadConfig({
          ECTS_DATABASE_URL: 'sqlite::memory:',
          ECTS_JWT_SECRET: 'openapi-export',
          ECTS_LOG_LEVEL: 'error',
        }),
      );
      const document = stringifySorted(buildOpenApiDocument(app));
      await app.close();
      if (values.out) {
        writeFileSync(values.out, document);
      } else {
        process.stdout.write(document);
      }

      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);

      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}\n`);

      return 2;
  }
}

main(process.argv.slice(2))
  .then((code) => {
    if (code >= 0) {
      process.exit(code);
    }
  })
  .catch((error: unknown) => {
    process.stderr.write(
      error instanceof ConfigError
        ? `${error.message}\n`
        : `ects: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
