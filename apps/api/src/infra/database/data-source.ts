import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import { DataSource, type DataSourceOptions } from 'typeorm';

import type { DatabaseConfig } from '../config/config';
import { ENTITIES, MIGRATIONS } from './entities';

/** Builds the TypeORM options for either database; `synchronize` stays off, migrations own the schema. */
export function dataSourceOptions(database: DatabaseConfig): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
  } as const;

  if (database.kind === 'sqlite') {
    if (database.path !== ':memory:') {
      mkdirSync(dirname(database.path), { recursive: true });
    }

    return {
      ...common,
      type: 'better-sqlite3',
      database: database.path,
      // WAL lets readers go on while the run recorder writes; TypeORM turns foreign keys on itself.
      prepareDatabase: (db: { pragma(statement: string): unknown }) => {
        db.pragma('journal_mode = WAL');
        db.pragma('busy_timeout = 5000');
      },
    };
  }

  return {
    ...common,
    type: database.flavor,
    url: database.url,
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    extra: { connectionLimit: 20 },
  };
}

export function createDataSource(database: DatabaseConfig): DataSource {
  return new DataSource(dataSourceOptions(database));
}
