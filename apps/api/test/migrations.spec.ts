import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';

import { createApp } from '../src/app.factory';
import { loadConfig, type AppConfig } from '../src/infra/config/config';
import { createDataSource } from '../src/infra/database/data-source';
import { initialize } from '../src/init';
import { TaskEntity } from '../src/tasks/entities/task.entity';
import { UserEntity } from '../src/users/entities/user.entity';
import { createTestDatabase, type TestDatabase } from './support/database';

const ADMIN_EMAIL = 'first-admin@example.com';

describe.each(['mariadb', 'sqlite'] as const)('initialize on empty %s', (kind) => {
  let dataDir: string;
  let database: TestDatabase | null = null;
  let config: AppConfig;
  let dataSource: DataSource;

  const configFor = (env: Record<string, string>): AppConfig =>
    loadConfig({
      NODE_ENV: 'test',
      ECTS_DATA_DIR: dataDir,
      ECTS_DATABASE_URL: database?.url ?? `sqlite:${join(dataDir, 'ects.sqlite')}`,
      ECTS_JWT_SECRET: 'migration-test-secret-long-enough-for-tests',
      ECTS_ADMIN_EMAIL: ADMIN_EMAIL,
      ECTS_LOG_LEVEL: 'error',
      ...env,
    });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ects-migrations-'));
    if (kind === 'mariadb') {
      database = await createTestDatabase();
    }
    config = configFor({});
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) {
      await dataSource.destroy();
    }
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('applies the migration and creates the admin', async () => {
    const result = await initialize(config);

    expect(result.appliedMigrations).toEqual(['InitialSchema1764892800000']);
    expect(result.createdAdmin?.email).toBe(ADMIN_EMAIL);
    expect(result.createdAdmin?.generated).toBe(true);
    expect(result.createdAdmin?.password.length).toBeGreaterThanOrEqual(16);

    dataSource = createDataSource(config.database);
    await dataSource.initialize();
    const users = await dataSource.getRepository(UserEntity).find();
    expect(users.map((user) => [user.email, user.role, user.disabled])).toEqual([[ADMIN_EMAIL, 'admin', false]]);
    expect(users[0].passwordHash).not.toContain(result.createdAdmin?.password ?? '-');
  });

  it('leaves no schema difference', async () => {
    const diff = await dataSource.driver.createSchemaBuilder().log();

    expect(diff.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('running again changes nothing', async () => {
    await dataSource.getRepository(TaskEntity).insert({
      id: '0193a000-0000-7000-8000-000000000001',
      name: 'kept',
      description: '',
      kind: 'shell',
      config: { command: 'true' },
    });

    const again = await initialize(
      configFor({ ECTS_ADMIN_EMAIL: 'second-admin@example.com', ECTS_ADMIN_PASSWORD: 'second-password-1' }),
    );

    expect(again.appliedMigrations).toEqual([]);
    expect(again.createdAdmin).toBeNull();
    expect(await dataSource.getRepository(UserEntity).count()).toBe(1);
    expect((await dataSource.getRepository(TaskEntity).find()).map((task) => task.name)).toEqual(['kept']);
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });
});

describe('generated admin password', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ects-generated-admin-'));
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('works for login', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      ECTS_DATA_DIR: dataDir,
      ECTS_DATABASE_URL: `sqlite:${join(dataDir, 'ects.sqlite')}`,
      ECTS_JWT_SECRET: 'generated-admin-test-secret-long-enough',
      ECTS_LOG_LEVEL: 'error',
    });
    const result = await initialize(config);
    expect(result.createdAdmin?.generated).toBe(true);
    expect(result.createdAdmin?.email).toBe('admin@ects.local');

    const app = await createApp(config);
    try {
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as { port: number };
      const login = async (password: string): Promise<number> => {
        const response = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'admin@ects.local', password }),
        });

        return response.status;
      };

      expect(await login(result.createdAdmin?.password ?? '')).toBe(200);
      expect(await login('not-the-generated-password')).toBe(401);
    } finally {
      await app.close();
    }
  });
});
