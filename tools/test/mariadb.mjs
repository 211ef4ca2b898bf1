// Makes sure a MariaDB or MySQL server answers on 127.0.0.1:3306 for the tests, and says how to log in.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const HOST = process.env.ECTS_TEST_MYSQL_HOST ?? '127.0.0.1';
const PORT = Number(process.env.ECTS_TEST_MYSQL_PORT ?? 3306);
/** Used when root may log in only over the unix socket, as on a fresh Debian install. */
const TEST_USER = { user: 'ects_test', password: 'ects_test' };

async function tryConnect(credentials) {
  const mysql = require('mysql2/promise');
  try {
    const connection = await mysql.createConnection({ host: HOST, port: PORT, ...credentials, connectTimeout: 3000 });
    await connection.end();

    return null;
  } catch (error) {
    return error;
  }
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.stdout || result.error}`);
  }

  return result.stdout;
}

function serverBinary() {
  return ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find((path) => existsSync(path)) ?? null;
}

function installServer() {
  process.stderr.write('MariaDB is not installed; installing mariadb-server with apt-get\n');
  run('apt-get', ['update']);
  execFileSync('apt-get', ['install', '-y', 'mariadb-server'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function startServer(binary) {
  process.stderr.write(`Starting ${binary}\n`);
  mkdirSync('/run/mysqld', { recursive: true });
  spawnSync('chown', ['mysql:mysql', '/run/mysqld']);
  run('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', binary]);
}

async function waitUntilUp(credentials, seconds) {
  for (let attempt = 0; attempt < seconds * 2; attempt++) {
    const error = await tryConnect(credentials);
    if (!error || error.code === 'ER_ACCESS_DENIED_ERROR' || error.code === 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR') {
      return error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`MariaDB did not answer on ${HOST}:${PORT} within ${seconds} s`);
}

/**
 * Returns credentials that can create and drop databases on 127.0.0.1:3306, starting or installing
 * MariaDB first when needed. Root with an empty password is tried first; when root may only use
 * the unix socket, a dedicated test user is created through the socket.
 */
export async function ensureMariaDb() {
  const root = { user: 'root', password: '' };
  let error = await tryConnect(root);

  if (error && (error.code === 'ECONNREFUSED' || error.code === 'ETIMEDOUT')) {
    let binary = serverBinary();
    if (!binary) {
      installServer();
      binary = serverBinary();
    }
    if (!binary) {
      throw new Error('MariaDB could not be installed; install mariadb-server and run the tests again');
    }
    startServer(binary);
    error = await waitUntilUp(root, 60);
  }
  if (!error) {
    return { host: HOST, port: PORT, ...root };
  }
  if (error.code !== 'ER_ACCESS_DENIED_ERROR' && error.code !== 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR') {
    throw new Error(`Cannot connect to MariaDB on ${HOST}:${PORT}: ${error.message}`);
  }

  if (!(await tryConnect(TEST_USER))) {
    return { host: HOST, port: PORT, ...TEST_USER };
  }
  process.stderr.write('Root may not log in over TCP; creating the ects_test user through the unix socket\n');
  run('mariadb', [
    '-uroot',
    '-e',
    `CREATE USER IF NOT EXISTS '${TEST_USER.user}'@'127.0.0.1' IDENTIFIED BY '${TEST_USER.password}';` +
      `GRANT ALL PRIVILEGES ON *.* TO '${TEST_USER.user}'@'127.0.0.1';`,
  ]);

  return { host: HOST, port: PORT, ...TEST_USER };
}

/** Drops every database whose name starts with `prefix`. */
export async function dropDatabases(credentials, prefix) {
  const mysql = require('mysql2/promise');
  const connection = await mysql.createConnection({ ...credentials });
  try {
    const [rows] = await connection.query('SHOW DATABASES');
    for (const row of rows) {
      const name = row.Database;
      if (name.startsWith(prefix)) {
        await connection.query(`DROP DATABASE \`${name}\``);
      }
    }
  } finally {
    await connection.end();
  }
}
