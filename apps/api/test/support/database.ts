import { randomBytes } from 'node:crypto';

import mysql from 'mysql2/promise';

/** Server URL without a database; `npm test` sets it, and direct Vitest runs fall back to the local MariaDB. */
const SERVER_URL = process.env['ECTS_TEST_MYSQL_URL'] ?? 'mariadb://root:@127.0.0.1:3306';
/** Every database a test run creates starts with this, so the runner can drop them all afterwards. */
const PREFIX = process.env['ECTS_TEST_DB_PREFIX'] ?? 'ects_t_local_';

export interface TestDatabase {
  /** URL for ECTS_DATABASE_URL. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

function connectionOptions(): mysql.ConnectionOptions {
  const url = new URL(SERVER_URL.replace(/^mariadb:/, 'mysql:'));

  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

/** Creates an empty database of its own for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${PREFIX}${randomBytes(4).toString('hex')}`;
  const connection = await mysql.createConnection(connectionOptions());
  await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await connection.end();

  return {
    url: `${SERVER_URL.replace(/\/$/, '')}/${name}`,
    name,
    drop: async () => {
      const dropper = await mysql.createConnection(connectionOptions());
      await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await dropper.end();
    },
  };
}
