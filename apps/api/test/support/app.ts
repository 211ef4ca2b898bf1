import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Role } from '@ects/domain';
import { DataSource } from 'typeorm';

import { createApp } from '../../src/app.factory';
import { EmbeddedAgent } from '../../src/embedded/embedded-agent.service';
import { loadConfig, type AppConfig } from '../../src/infra/config/config';
import { initialize } from '../../src/init';
import { createTestDatabase, type TestDatabase } from './database';

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'admin-password-1';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** Raw body text, for malformed or oversized payloads. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  baseUrl: string;
  dataSource: DataSource;
  adminToken: string;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  login(email: string, password: string): Promise<string>;
  /** Creates a user with the role through the API and returns a JWT for them. */
  userWithRole(role: Role): Promise<{ id: string; email: string; token: string }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  database?: 'mariadb' | 'sqlite';
  /** Coordinate through this etcd (a fresh namespace per app) instead of in process. */
  etcdEndpoint?: string;
  /** Start the agent inside the API, as `ects serve` does in embedded mode. */
  embeddedAgent?: boolean;
  env?: Record<string, string>;
}

let userCounter = 0;

/** Starts the real API on a fresh database (MariaDB by default) on a free loopback port. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ects-api-test-'));
  let database: TestDatabase | null = null;
  let databaseUrl = `sqlite:${join(dataDir, 'ects.sqlite')}`;
  if ((options.database ?? 'mariadb') === 'mariadb') {
    database = await createTestDatabase();
    databaseUrl = database.url;
  }

  const config = loadConfig({
    NODE_ENV: 'test',
    ECTS_DATA_DIR: dataDir,
    ECTS_DATABASE_URL: databaseUrl,
    ECTS_JWT_SECRET: 'test-secret-that-is-long-enough-for-tests',
    ECTS_ADMIN_EMAIL: ADMIN_EMAIL,
    ECTS_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ECTS_LOG_LEVEL: 'error',
    ECTS_LOGIN_LIMIT: '1000',
    ECTS_EMBEDDED_AGENT: options.embeddedAgent ? 'true' : 'false',
    ...(options.etcdEndpoint
      ? {
          ECTS_ETCD_ENDPOINTS: options.etcdEndpoint,
          ECTS_ETCD_NAMESPACE: `/ects-test-${randomBytes(4).toString('hex')}`,
        }
      : {}),
    ...options.env,
  });
  await initialize(config);

  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  if (options.embeddedAgent) {
    // The agent reports to the API's own port, which is known only once it listens.
    config.publicUrl = baseUrl;
    await app.get(EmbeddedAgent).start();
  }

  const request = async <T>(
    method: string,
    path: string,
    requestOptions: RequestOptions = {},
  ): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { ...requestOptions.headers };
    if (requestOptions.token) {
      headers['authorization'] = `Bearer ${requestOptions.token}`;
    }
    let body: string | undefined;
    if (requestOptions.rawBody !== undefined) {
      body = requestOptions.rawBody;
      headers['content-type'] ??= 'application/json';
    } else if (requestOptions.body !== undefined) {
      body = JSON.stringify(requestOptions.body);
      headers['content-type'] = 'application/json';
    }

    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // Not JSON: keep the text, so a failing assertion shows what came back.
    }

    return { status: response.status, body: parsed as T, headers: response.headers };
  };

  const login = async (email: string, password: string): Promise<string> => {
    const response = await request<{ accessToken: string }>('POST', '/api/auth/login', { body: { email, password } });
    if (response.status !== 200) {
      throw new Error(`Login of ${email} failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }

    return response.body.accessToken;
  };

  const adminToken = await login(ADMIN_EMAIL, ADMIN_PASSWORD);

  const userWithRole = async (role: Role): Promise<{ id: string; email: string; token: string }> => {
    userCounter += 1;
    const email = `${role}-${userCounter}-${Date.now()}@example.com`;
    const password = `${role}-password-1`;
    const created = await request<{ id: string }>('POST', '/api/users', {
      token: adminToken,
      body: { name: `${role} ${userCounter}`, email, password, role },
    });
    if (created.status !== 201) {
      throw new Error(`Creating a ${role} failed with ${created.status}: ${JSON.stringify(created.body)}`);
    }

    return { id: created.body.id, email, token: await login(email, password) };
  };

  return {
    app,
    config,
    baseUrl,
    dataSource: app.get(DataSource),
    adminToken,
    request,
    login,
    userWithRole,
    close: async () => {
      await app.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
