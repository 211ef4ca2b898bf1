import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from './config';

const STRONG_SECRET = 'f3a1c9e07b5d42e8a6c1b9d03e7f5a2c4b6d8e0f1a3c5e7b';

/** Runs loadConfig and returns the ConfigError it throws, failing when it throws nothing or something else. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ects-config-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('applies defaults for embedded mode', () => {
    const config = loadConfig({ ECTS_DATA_DIR: dataDir });

    expect(config).toMatchObject({
      environment: 'development',
      host: '127.0.0.1',
      port: 8080,
      dataDir,
      database: { kind: 'sqlite', path: join(dataDir, 'ects.sqlite') },
      autoMigrate: true,
      etcd: { endpoints: [], namespace: '/ects', username: null, password: null },
      loginThrottle: { limit: 10, windowSeconds: 60 },
      bodyLimitBytes: 1024 * 1024,
      logLevel: 'log',
      initialAdmin: { email: 'admin@ects.local', password: null },
    });
    expect(config.jwt.ttlSeconds).toBe(12 * 3600);
    expect(config.encryptionKey).toBe(config.jwt.secret);
  });

  it('generates and keeps a JWT secret', () => {
    const first = loadConfig({ ECTS_DATA_DIR: dataDir });
    const secretFile = join(dataDir, 'jwt.secret');

    expect(first.jwt.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(secretFile, 'utf8').trim()).toBe(first.jwt.secret);
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(loadConfig({ ECTS_DATA_DIR: dataDir }).jwt.secret).toBe(first.jwt.secret);
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      ECTS_DATA_DIR: dataDir,
      ECTS_HOST: '0.0.0.0',
      ECTS_PORT: '9090',
      ECTS_JWT_SECRET: STRONG_SECRET,
      ECTS_JWT_TTL_SECONDS: '600',
      ECTS_ENCRYPTION_KEY: 'separate-encryption-key',
      ECTS_ETCD_ENDPOINTS: 'http://10.0.0.1:2379, https://10.0.0.2:2379',
      ECTS_ETCD_NAMESPACE: '/ects-staging',
      ECTS_LOGIN_LIMIT: '5',
      ECTS_BODY_LIMIT_BYTES: '2048',
      ECTS_LOG_LEVEL: 'warn',
      ECTS_AUTO_MIGRATE: 'off',
      ECTS_ADMIN_EMAIL: 'Root@Example.com',
      ECTS_ADMIN_PASSWORD: 'long-enough-password',
    });

    expect(config.environment).toBe('production');
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(9090);
    expect(config.jwt).toEqual({ secret: STRONG_SECRET, ttlSeconds: 600 });
    expect(config.encryptionKey).toBe('separate-encryption-key');
    expect(config.etcd.endpoints).toEqual(['http://10.0.0.1:2379', 'https://10.0.0.2:2379']);
    expect(config.etcd.namespace).toBe('/ects-staging');
    expect(config.loginThrottle.limit).toBe(5);
    expect(config.bodyLimitBytes).toBe(2048);
    expect(config.logLevel).toBe('warn');
    expect(config.autoMigrate).toBe(false);
    expect(config.initialAdmin).toEqual({ email: 'root@example.com', password: 'long-enough-password' });
    expect(existsSync(join(dataDir, 'jwt.secret'))).toBe(false);
  });

  it('production rejects a missing JWT secret', () => {
    const error = configError({ NODE_ENV: 'production', ECTS_DATA_DIR: dataDir });

    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^ECTS_JWT_SECRET:/);
    expect(error.message).toContain('ECTS_JWT_SECRET');
    expect(existsSync(join(dataDir, 'jwt.secret'))).toBe(false);
  });

  it('production rejects a default JWT secret', () => {
    for (const secret of ['changeme', 'SECRET', 'development']) {
      const error = configError({ NODE_ENV: 'production', ECTS_DATA_DIR: dataDir, ECTS_JWT_SECRET: secret });

      expect(
        error.problems.some((problem) => problem.startsWith('ECTS_JWT_SECRET:')),
        secret,
      ).toBe(true);
    }
  });

  it('production rejects a short JWT secret', () => {
    const error = configError({ NODE_ENV: 'production', ECTS_DATA_DIR: dataDir, ECTS_JWT_SECRET: 'a'.repeat(31) });

    expect(error.problems[0]).toMatch(/^ECTS_JWT_SECRET: .*32 characters/);
    expect(
      loadConfig({ NODE_ENV: 'production', ECTS_DATA_DIR: dataDir, ECTS_JWT_SECRET: 'a'.repeat(32) }).jwt.secret,
    ).toHaveLength(32);
  });

  it('lists every invalid variable at once', () => {
    const error = configError({
      ECTS_DATA_DIR: dataDir,
      ECTS_PORT: 'eighty',
      ECTS_LOG_LEVEL: 'loud',
      ECTS_AUTO_MIGRATE: 'maybe',
      ECTS_ETCD_ENDPOINTS: 'etcd-1:2379',
      ECTS_ETCD_NAMESPACE: 'ects/',
      ECTS_ADMIN_PASSWORD: 'short',
      NODE_ENV: 'staging',
    });
    const names = error.problems.map((problem) => problem.split(':')[0]);

    expect(names).toHaveLength(7);
    expect(names).toContain('ECTS_PORT');
    expect(names).toContain('ECTS_LOG_LEVEL');
    expect(names).toContain('ECTS_AUTO_MIGRATE');
    expect(names).toContain('ECTS_ETCD_ENDPOINTS');
    expect(names).toContain('ECTS_ETCD_NAMESPACE');
    expect(names).toContain('ECTS_ADMIN_PASSWORD');
    expect(names).toContain('NODE_ENV');
    for (const problem of error.problems) {
      expect(error.message).toContain(problem);
    }
  });

  it('reads the metrics and log settings', () => {
    const defaults = loadConfig({ ECTS_DATA_DIR: dataDir });
    const production = loadConfig({ NODE_ENV: 'production', ECTS_DATA_DIR: dataDir, ECTS_JWT_SECRET: STRONG_SECRET });
    const custom = loadConfig({
      ECTS_DATA_DIR: dataDir,
      ECTS_LOG_FORMAT: 'json',
      ECTS_METRICS_TOKEN: 'scrape-token',
      ECTS_METRICS_ALLOW: '10.0.0.0/8, 192.0.2.7,fd00::/8',
      ECTS_METRICS_PIPELINE_LABELS: 'true',
    });

    expect(defaults.logFormat).toBe('text');
    expect(defaults.metrics).toEqual({ token: null, allow: ['127.0.0.0/8', '::1/128'], pipelineLabels: false });
    expect(production.logFormat).toBe('json');
    expect(custom.logFormat).toBe('json');
    expect(custom.metrics).toEqual({
      token: 'scrape-token',
      allow: ['10.0.0.0/8', '192.0.2.7', 'fd00::/8'],
      pipelineLabels: true,
    });
  });

  it('rejects invalid metrics networks', () => {
    const error = configError({ ECTS_DATA_DIR: dataDir, ECTS_METRICS_ALLOW: '10.0.0.0/33,localhost,::1/129' });

    expect(error.problems).toHaveLength(3);
    expect(error.problems[0]).toBe(
      'ECTS_METRICS_ALLOW: "10.0.0.0/33" is not a network; use a list like 127.0.0.0/8,::1/128,10.1.2.3',
    );
  });

  it('rejects integers out of range', () => {
    const error = configError({ ECTS_DATA_DIR: dataDir, ECTS_PORT: '70000', ECTS_JWT_TTL_SECONDS: '1.5' });

    expect(error.problems).toEqual([
      'ECTS_PORT: "70000" is not an integer from 0 to 65535',
      'ECTS_JWT_TTL_SECONDS: "1.5" is not an integer from 60 to 2592000',
    ]);
  });

  it('parses mysql URLs', () => {
    const config = loadConfig({ ECTS_DATA_DIR: dataDir, ECTS_DATABASE_URL: 'mysql://ects:pw@db.internal:3306/ects' });

    expect(config.database).toEqual({ kind: 'mysql', url: 'mysql://ects:pw@db.internal:3306/ects', flavor: 'mysql' });
    expect(config.autoMigrate).toBe(false);
  });

  it('parses mariadb URLs', () => {
    const config = loadConfig({ ECTS_DATA_DIR: dataDir, ECTS_DATABASE_URL: 'mariadb://ects:pw@127.0.0.1:3307/ects' });

    expect(config.database).toEqual({ kind: 'mysql', url: 'mysql://ects:pw@127.0.0.1:3307/ects', flavor: 'mariadb' });
  });

  it('parses sqlite URLs', () => {
    const relative = loadConfig({ ECTS_DATA_DIR: dataDir, ECTS_DATABASE_URL: 'sqlite:./state/ects.db' });
    expect(relative.database).toEqual({ kind: 'sqlite', path: resolve('./state/ects.db') });
    expect(relative.autoMigrate).toBe(true);

    const absolute = loadConfig({ ECTS_DATA_DIR: dataDir, ECTS_DATABASE_URL: `sqlite://${dataDir}/x.sqlite` });
    expect(absolute.database).toEqual({ kind: 'sqlite', path: `${dataDir}/x.sqlite` });

    const memory = loadConfig({ ECTS_DATA_DIR: dataDir, ECTS_DATABASE_URL: 'sqlite::memory:' });
    expect(memory.database).toEqual({ kind: 'sqlite', path: ':memory:' });
  });

  it('rejects bad database URLs', () => {
    expect(configError({ ECTS_DATA_DIR: dataDir, ECTS_DATABASE_URL: 'sqlite:' }).problems[0]).toMatch(
      /^ECTS_DATABASE_URL: sqlite URL has no file path/,
    );
    expect(configError({ ECTS_DATA_DIR: dataDir, ECTS_DATABASE_URL: 'postgres://db/ects' }).problems[0]).toMatch(
      /^ECTS_DATABASE_URL: unsupported scheme/,
    );
    expect(
      configError({ ECTS_DATA_DIR: dataDir, ECTS_DATABASE_URL: 'mysql://user:pw@host:port/db' }).problems[0],
    ).toMatch(/^ECTS_DATABASE_URL: not a valid URL/);
  });
});
