// Starts the real system for a scenario: a fresh MariaDB database, the built API (`ects init`, then
// `ects serve`) and agents as separate processes, on an etcd that the benchmark run started.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import mysql from 'mysql2/promise';

import { startEtcd } from '../../tools/test/etcd.mjs';
import { ensureMariaDb } from '../../tools/test/mariadb.mjs';
import { ManagedProcess, runToEnd } from './processes.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const API_CLI = join(ROOT, 'apps', 'api', 'dist', 'cli.js');
const AGENT_MAIN = join(ROOT, 'apps', 'agent', 'dist', 'main.js');

const ADMIN_EMAIL = 'bench@example.com';
const ADMIN_PASSWORD = `bench-${randomBytes(8).toString('hex')}`;
/** Every database a benchmark creates starts with this, so a crashed run's leftovers are easy to find. */
export const DATABASE_PREFIX = 'ects_bench_';

/** @returns {Promise<number>} a TCP port on 127.0.0.1 that was free a moment ago */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/**
 * Polls `read` until `accept` returns true for its value, and returns that value.
 * @template T
 * @param {string} what what is awaited, for the timeout message
 * @param {() => Promise<T>} read
 * @param {(value: T) => boolean} accept
 * @param {number} [timeoutMs]
 * @param {number} [intervalMs]
 * @returns {Promise<T>}
 */
export async function waitFor(what, read, accept, timeoutMs = 30_000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  let lastError;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (accept(last)) {
        return last;
      }
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }

  const lastText = JSON.stringify(last)?.slice(0, 500);
  const errorText = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value ${lastText}${errorText}`);
}

/** A REST client of the API, signed in as the benchmark's admin. */
export class ApiClient {
  /** @param {string} url */
  constructor(url) {
    this.url = url;
    this.token = '';
  }

  /**
   * Sends one request and returns the status and the parsed JSON body.
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<{ status: number, body: any }>}
   */
  async request(method, path, body) {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(this.token === '' ? {} : { authorization: `Bearer ${this.token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();

    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  }

  /**
   * Sends one request and returns the body, or throws when the status is not the expected one.
   * @param {number} status
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  async expect(status, method, path, body) {
    const response = await this.request(method, path, body);
    if (response.status !== status) {
      throw new Error(
        `${method} ${path} returned ${response.status}, expected ${status}: ${JSON.stringify(response.body)}`,
      );
    }

    return response.body;
  }

  async signIn() {
    const body = await this.expect(200, 'POST', '/api/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    this.token = body.accessToken;
  }
}

/**
 * Makes sure MariaDB accepts connections and starts the etcd that every scenario of this run
 * shares. Each scenario works in its own etcd namespace and database.
 */
export async function startServices() {
  const credentials = await ensureMariaDb();
  const etcd = await startEtcd({ name: 'ects-bench' });

  return {
    credentials,
    etcd,
    async stop() {
      await etcd.destroy();
    },
  };
}

/**
 * Creates an empty database for one scenario.
 * @param {{ host: string, port: number, user: string, password: string }} credentials
 */
async function createDatabase(credentials) {
  const name = `${DATABASE_PREFIX}${randomBytes(4).toString('hex')}`;
  const connection = await mysql.createConnection(credentials);
  try {
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await connection.end();
  }
  const user = encodeURIComponent(credentials.user);
  const password = encodeURIComponent(credentials.password);

  return { name, url: `mariadb://${user}:${password}@${credentials.host}:${credentials.port}/${name}` };
}

/**
 * The system under test for one scenario: a database, an API process and agent processes. Tasks,
 * pipelines and runs are reached through `api`, the database through `query`.
 */
export class Cluster {
  /**
   * @param {{ credentials: any, etcd: { endpoint: string } }} services
   * @param {{ name: string, agents?: number, apiEnv?: Record<string, string>, agentEnv?: Record<string, string> }} options
   */
  static async start(services, options) {
    const cluster = new Cluster(services, options);
    try {
      await cluster.startApi();
      for (let index = 1; index <= (options.agents ?? 1); index++) {
        await cluster.startAgent(`${options.name}-agent-${index}`);
      }
      await cluster.waitForAgents();
    } catch (error) {
      await cluster.stop();
      throw error;
    }

    return cluster;
  }

  constructor(services, options) {
    this.services = services;
    this.options = options;
    this.namespace = `/ects-bench-${options.name}-${randomBytes(3).toString('hex')}`;
    this.etcdEndpoint = services.etcd.endpoint;
    /** @type {{ name: string, process: ManagedProcess, stateDir: string, metricsPort: number, nodeId?: string }[]} */
    this.agents = [];
    /** @type {string[]} */
    this.temporaryDirectories = [];
    this.database = undefined;
    this.apiProcess = undefined;
    this.connection = undefined;
  }

  async startApi() {
    this.database = await createDatabase(this.services.credentials);
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'ects-bench-api-'));
    this.temporaryDirectories.push(dataDir);
    this.apiEnv = {
      ...process.env,
      NODE_ENV: 'production',
      ECTS_DATA_DIR: dataDir,
      ECTS_DATABASE_URL: this.database.url,
      ECTS_ETCD_ENDPOINTS: this.etcdEndpoint,
      ECTS_ETCD_NAMESPACE: this.namespace,
      ECTS_JWT_SECRET: randomBytes(32).toString('hex'),
      ECTS_ADMIN_EMAIL: ADMIN_EMAIL,
      ECTS_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ECTS_HOST: '127.0.0.1',
      ECTS_PORT: String(port),
      ECTS_LOGIN_LIMIT: '10000',
      ECTS_LOG_LEVEL: 'warn',
      ...this.options.apiEnv,
    };

    await runToEnd(process.execPath, [API_CLI, 'init'], { env: this.apiEnv });
    this.apiProcess = new ManagedProcess('api', process.execPath, [API_CLI, 'serve'], { env: this.apiEnv });
    this.api = new ApiClient(`http://127.0.0.1:${port}`);
    await waitFor(
      'the API to report healthy',
      async () => (await fetch(`${this.api.url}/api/health`)).status,
      (status) => status === 200,
      60_000,
      200,
    ).catch((error) => {
      throw new Error(`${error.message}\nAPI output:\n${this.apiProcess.logs()}`);
    });
    await this.api.signIn();
    this.enrollToken = (await this.api.expect(201, 'POST', '/api/enrollment-tokens', { name: 'bench' })).token;
  }

  /** Stops the API process and starts `ects serve` again with the same settings and port. */
  async restartApi() {
    await this.apiProcess.stop('SIGTERM', 30_000);
    this.apiProcess = new ManagedProcess('api', process.execPath, [API_CLI, 'serve'], { env: this.apiEnv });
    await waitFor(
      'the restarted API to report healthy',
      async () => (await fetch(`${this.api.url}/api/health`)).status,
      (status) => status === 200,
      60_000,
      200,
    );
  }

  /**
   * Reads one agent's Prometheus metrics into a map of sample name (with labels) to value.
   * @param {{ metricsPort: number }} agent
   */
  async agentMetrics(agent) {
    const text = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
    const samples = new Map();
    for (const line of text.split('\n')) {
      const match = /^([^#\s][^\s]*)\s+(\S+)$/.exec(line);
      if (match !== null) {
        samples.set(match[1], Number(match[2]));
      }
    }

    return samples;
  }

  /**
   * Starts one more agent with a new state directory, enrolled with the cluster's token.
   * @param {string} name
   * @param {Record<string, string>} [env]
   */
  async startAgent(name, env = {}) {
    const stateDir = mkdtempSync(join(tmpdir(), `ects-bench-${name}-`));
    this.temporaryDirectories.push(stateDir);
    const agent = { name, stateDir, metricsPort: await freePort(), process: undefined, nodeId: undefined, env };
    this.spawnAgent(agent);
    this.agents.push(agent);

    return agent;
  }

  /** Starts a stopped agent again on its state directory, so with its node identity and caches, and a new metrics port. */
  async restartAgent(agent) {
    agent.metricsPort = await freePort();
    this.spawnAgent(agent);
  }

  spawnAgent(agent) {
    const env = {
      ...process.env,
      NODE_ENV: 'production',
      ECTS_API_URL: this.api.url,
      ECTS_ETCD_ENDPOINTS: this.etcdEndpoint,
      ECTS_ETCD_NAMESPACE: this.namespace,
      ECTS_STATE_DIR: agent.stateDir,
      ECTS_NODE_NAME: agent.name,
      ECTS_ENROLL_TOKEN: this.enrollToken,
      ECTS_SHUTDOWN_GRACE_SECONDS: '5',
      // Agents share the host, so each serves its metrics on a port of its own.
      ECTS_METRICS_ADDRESS: `127.0.0.1:${agent.metricsPort}`,
      ...this.options.agentEnv,
      ...agent.env,
    };
    agent.process = new ManagedProcess(agent.name, process.execPath, [AGENT_MAIN], { env });
  }

  /** Waits until every agent's node is online, and records the node ids. */
  async waitForAgents(timeoutMs = 60_000) {
    const nodes = await waitFor(
      `${this.agents.length} agents to come online`,
      async () => (await this.api.expect(200, 'GET', '/api/nodes?pageSize=200')).items,
      (found) =>
        this.agents.every((agent) => found.some((node) => node.name === agent.name && node.status === 'online')),
      timeoutMs,
      200,
    ).catch((error) => {
      const logs = this.agents.map((agent) => `${agent.name}:\n${agent.process.logs()}`).join('\n');
      throw new Error(`${error.message}\nAgent output:\n${logs}`);
    });
    for (const agent of this.agents) {
      agent.nodeId = nodes.find((node) => node.name === agent.name).id;
    }
  }

  /**
   * Runs SQL on the scenario's database.
   * @param {string} sql
   * @param {unknown[]} [values]
   */
  async query(sql, values) {
    this.connection ??= await mysql.createConnection({
      ...this.services.credentials,
      database: this.database.name,
      dateStrings: false,
      timezone: 'Z',
    });
    const [rows] = await this.connection.query(sql, values);

    return rows;
  }

  /**
   * Creates a shell task.
   * @param {string} name
   * @param {string} command
   */
  createShellTask(name, command) {
    return this.api.expect(201, 'POST', '/api/tasks', { name, kind: 'shell', config: { command } });
  }

  /**
   * Creates a pipeline; `body` gets a UTC time zone and mode `all` unless it says otherwise.
   * @param {Record<string, unknown>} body
   */
  createPipeline(body) {
    return this.api.expect(201, 'POST', '/api/pipelines', { timezone: 'UTC', mode: 'all', ...body });
  }

  /**
   * Runs `worker` over `items` with at most `concurrency` calls at once, and returns their results in order.
   * @template T, R
   * @param {T[]} items
   * @param {number} concurrency
   * @param {(item: T, index: number) => Promise<R>} worker
   * @returns {Promise<R[]>}
   */
  static async mapConcurrently(items, concurrency, worker) {
    const results = new Array(items.length);
    let next = 0;
    const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await worker(items[index], index);
      }
    });
    await Promise.all(lanes);

    return results;
  }

  /**
   * Every run of a pipeline, oldest first.
   * @param {string} pipelineId
   */
  async runsOf(pipelineId) {
    const runs = [];
    for (let page = 1; ; page++) {
      const body = await this.api.expect(
        200,
        'GET',
        `/api/runs?pipelineId=${pipelineId}&pageSize=200&page=${page}&order=asc`,
      );
      runs.push(...body.items);
      if (runs.length >= body.total || body.items.length === 0) {
        return runs;
      }
    }
  }

  /** Stops the agents and the API, drops the database and removes the temporary directories. */
  async stop() {
    await Promise.allSettled(this.agents.map((agent) => agent.process?.stop('SIGTERM', 15_000)));
    await this.apiProcess?.stop('SIGTERM', 15_000);
    await this.connection?.end().catch((error) => process.stderr.write(`[bench] closing MariaDB failed: ${error}\n`));
    if (this.database !== undefined) {
      const connection = await mysql.createConnection(this.services.credentials);
      try {
        await connection.query(`DROP DATABASE IF EXISTS \`${this.database.name}\``);
      } finally {
        await connection.end();
      }
    }
    for (const directory of this.temporaryDirectories) {
      rmSync(directory, { recursive: true, force: true });
    }
  }
}
