import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import mysql from 'mysql2/promise';

const ROOT = join(__dirname, '..', '..', '..');
const API_CLI = join(ROOT, 'apps', 'api', 'dist', 'cli.js');
const AGENT_MAIN = join(ROOT, 'apps', 'agent', 'dist', 'main.js');
const SERVER_URL = process.env['ECTS_TEST_MYSQL_URL'] ?? 'mariadb://root:@127.0.0.1:3306';
const DB_PREFIX = process.env['ECTS_TEST_DB_PREFIX'] ?? 'ects_t_local_';

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'admin-password-1';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (accept(last)) {
        return last;
      }
    } catch (error: unknown) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(last)}${lastError instanceof Error ? `, last error ${lastError.message}` : ''}`,
  );
}

/** A child process whose output is kept for failure messages. */
export class ManagedProcess {
  private output = '';
  private exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const keep = (data: Buffer): void => {
      this.output = (this.output + data.toString()).slice(-20_000);
      if (process.env['ECTS_E2E_VERBOSE']) {
        process.stderr.write(`[${name}] ${data.toString()}`);
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  logs(): string {
    return this.output;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 40_000): Promise<number | null> {
    if (this.running) {
      this.child.kill(signal);
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);

    return code;
  }

  kill(): Promise<number | null> {
    return this.stop('SIGKILL');
  }
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

export class ApiProcess {
  adminToken = '';

  constructor(
    readonly url: string,
    readonly process: ManagedProcess,
    readonly env: Record<string, string>,
  ) {}

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    token: string | null = this.adminToken,
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();

    return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
  }

  async expect<T = any>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.request<T>(method, path, body);
    if (response.status !== status) {
      throw new Error(
        `${method} ${path} answered ${response.status}, expected ${status}: ${JSON.stringify(response.body)}`,
      );
    }

    return response.body;
  }
}

/** A run as the runs list returns it, with the fields the tests read. */
export interface RunSummary {
  id: string;
  status: string;
  nodeId: string;
  pipelineId: string;
  scheduledAt: string;
  startedAt: string;
  trigger: string;
}

/** Lists every run of a pipeline, oldest first, reading all pages. */
export async function listRuns(api: ApiProcess, pipelineId: string): Promise<RunSummary[]> {
  const runs: RunSummary[] = [];
  for (let page = 1; ; page++) {
    const body = await api.expect<{ items: RunSummary[]; total: number }>(
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

export interface Database {
  url: string;
  drop(): Promise<void>;
}

export async function createDatabase(): Promise<Database> {
  const server = new URL(SERVER_URL.replace(/^mariadb:/, 'mysql:'));
  const options = {
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username),
    password: decodeURIComponent(server.password),
  };
  const name = `${DB_PREFIX}${randomBytes(4).toString('hex')}`;
  const connection = await mysql.createConnection(options);
  await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await connection.end();

  return {
    url: `${SERVER_URL.replace(/\/$/, '')}/${name}`,
    drop: async () => {
      const dropper = await mysql.createConnection(options);
      await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await dropper.end();
    },
  };
}

/** Runs `ects init` then `ects serve` as processes against the given database and etcd, and signs in. */
export async function startApi(options: {
  databaseUrl: string;
  etcdEndpoints: string;
  namespace: string;
  env?: Record<string, string>;
}): Promise<ApiProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'ects-e2e-api-'));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'production',
    ECTS_DATA_DIR: dataDir,
    ECTS_DATABASE_URL: options.databaseUrl,
    ECTS_ETCD_ENDPOINTS: options.etcdEndpoints,
    ECTS_ETCD_NAMESPACE: options.namespace,
    ECTS_JWT_SECRET: 'e2e-secret-e2e-secret-e2e-secret-e2e',
    ECTS_ADMIN_EMAIL: ADMIN_EMAIL,
    ECTS_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ECTS_PORT: String(port),
    ECTS_HOST: '127.0.0.1',
    ECTS_LOGIN_LIMIT: '1000',
    ...options.env,
  };

  await runToEnd('ects init', [API_CLI, 'init'], env);
  const managed = new ManagedProcess(
    `api:${port}`,
    spawn(process.execPath, [API_CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const api = new ApiProcess(`http://127.0.0.1:${port}`, managed, env);
  await waitFor(
    'the API to answer',
    () => api.request('GET', '/api/health', undefined, null),
    (response) => response.status === 200,
    30_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\nAPI output:\n${managed.logs()}`);
  });
  const login = await api.request<{ accessToken: string }>(
    'POST',
    '/api/auth/login',
    { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    null,
  );
  api.adminToken = login.body.accessToken;
  managed.child.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));

  return api;
}

/** Restarts an API process on the same port and settings. */
export async function restartApi(api: ApiProcess): Promise<ApiProcess> {
  const managed = new ManagedProcess(
    `api:${api.env['ECTS_PORT']}`,
    spawn(process.execPath, [API_CLI, 'serve'], { env: api.env, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const restarted = new ApiProcess(api.url, managed, api.env);
  restarted.adminToken = api.adminToken;
  await waitFor(
    'the API to answer again',
    () => restarted.request('GET', '/api/health', undefined, null),
    (response) => response.status === 200,
    30_000,
  );

  return restarted;
}

export interface AgentOptions {
  apiUrl: string;
  etcdEndpoints: string;
  namespace: string;
  name: string;
  enrollToken?: string;
  stateDir?: string;
  env?: Record<string, string>;
}

export interface AgentProcess extends ManagedProcess {
  stateDir: string;
}

export function startAgent(options: AgentOptions): AgentProcess {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), `ects-e2e-agent-${options.name}-`));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ECTS_API_URL: options.apiUrl,
    ECTS_ETCD_ENDPOINTS: options.etcdEndpoints,
    ECTS_ETCD_NAMESPACE: options.namespace,
    ECTS_STATE_DIR: stateDir,
    ECTS_NODE_NAME: options.name,
    ECTS_SHUTDOWN_GRACE_SECONDS: '5',
    ...(options.enrollToken ? { ECTS_ENROLL_TOKEN: options.enrollToken } : {}),
    ...options.env,
  };
  const managed = new ManagedProcess(
    `agent:${options.name}`,
    spawn(process.execPath, [AGENT_MAIN, ...[]], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
  );

  return Object.assign<ManagedProcess, { stateDir: string }>(managed, { stateDir });
}

function runToEnd(name: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString()));
    child.stderr.on('data', (data: Buffer) => (output += data.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}:\n${output}`))));
  });
}

export function randomNamespace(): string {
  return `/ects-e2e-${randomBytes(4).toString('hex')}`;
}
