import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';

/** `mariadb` differs from `mysql` only in how TypeORM reads the schema back (column defaults). */
export type DatabaseConfig =
  { kind: 'sqlite'; path: string } | { kind: 'mysql'; url: string; flavor: 'mysql' | 'mariadb' };

export interface AppConfig {
  environment: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Where embedded mode keeps its SQLite file, its generated secrets and the local agent's state. */
  dataDir: string;
  database: DatabaseConfig;
  /** Apply pending migrations at start; on by default only for SQLite, where one process owns the file. */
  autoMigrate: boolean;
  etcd: {
    /** Empty in embedded mode, which coordinates in process instead. */
    endpoints: string[];
    namespace: string;
    username: string | null;
    password: string | null;
    /** CA certificate file that signed the etcd servers' certificates, for https endpoints. */
    caFile: string | null;
  };
  jwt: { secret: string; ttlSeconds: number };
  /** Key for settings stored encrypted at rest, such as the SMTP password. */
  encryptionKey: string;
  loginThrottle: { limit: number; windowSeconds: number };
  /** Largest request body accepted, in bytes. */
  bodyLimitBytes: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  /** `json` writes one JSON object per line for log pipelines; `text` writes readable lines. */
  logFormat: 'json' | 'text';
  metrics: {
    /** Bearer token that opens `/metrics` from any address; null when only the allow list applies. */
    token: string | null;
    /** Networks in CIDR notation whose clients may scrape `/metrics` without the token. */
    allow: string[];
    /** Whether run metrics of the embedded agent carry a `pipeline` label with the pipeline id. */
    pipelineLabels: boolean;
  };
  /** Seconds between full reconciles of etcd assignments against the database, on the leader. */
  reconcileIntervalSeconds: number;
  /** Stored output per step, in bytes; what comes beyond it is counted and dropped. */
  maxStepOutputBytes: number;
  /** Whether `ects serve` runs an agent inside the API process (embedded mode). */
  embeddedAgent: boolean;
  /** Public URL of the API that agents and enrollment commands use. */
  publicUrl: string;
  /** Directory of the built admin SPA, served at `/`; the API serves no pages when it has no index.html. */
  spaDir: string;
  /** Redis that relays live events between API replicas; null with a single replica. */
  redisUrl: string | null;
  retention: {
    /** Runs that started longer ago than this many days are purged; 0 keeps them forever. */
    days: number;
    /** Runs kept per pipeline beyond which the oldest are purged; 0 sets no limit. */
    maxRunsPerPipeline: number;
    intervalSeconds: number;
    /** Runs deleted per statement, so a purge never holds long locks. */
    batchSize: number;
  };
  /** First admin that `ects init` creates in an empty database; a null password is generated and printed once. */
  initialAdmin: { email: string; password: string | null };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Secrets that ship in examples and must never protect a production instance. */
const DEFAULT_SECRETS = new Set(['', 'secret', 'changeme', 'change-me', 'ects', 'ects-secret', 'development']);
const MIN_SECRET_LENGTH = 32;

/** `frontend/dist` of the repository: this file is apps/api/src/infra/config, or apps/api/dist/infra/config once built. */
const DEFAULT_SPA_DIR = resolve(__dirname, '..', '..', '..', '..', '..', 'frontend', 'dist');

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';

  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

type Environment = Record<string, string | undefined>;

/**
 * Reads the API's configuration from `ECTS_*` variables once, at boot. Every invalid variable is
 * collected, so one failed start lists them all.
 */
export function loadConfig(env: Environment = process.env): AppConfig {
  const problems: string[] = [];
  const read = new VariableReader(env, problems);

  const environment = read.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const dataDir = resolve(read.string('ECTS_DATA_DIR', './data'));
  const databaseUrl = read.string('ECTS_DATABASE_URL', '');
  const database = parseDatabaseUrl(databaseUrl, dataDir, problems);
  const endpoints = read
    .string('ECTS_ETCD_ENDPOINTS', '')
    .split(',')
    .map((endpoint) => endpoint.trim())
    .filter((endpoint) => endpoint !== '');
  for (const endpoint of endpoints) {
    if (!/^https?:\/\/[^/\s]+$/.test(endpoint)) {
      problems.push(
        `ECTS_ETCD_ENDPOINTS: "${endpoint}" is not an endpoint; use a list like http://10.0.0.1:2379,http://10.0.0.2:2379`,
      );
    }
  }

  const namespace = read.string('ECTS_ETCD_NAMESPACE', '/ects');
  if (!/^\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(namespace)) {
    problems.push(`ECTS_ETCD_NAMESPACE: "${namespace}" must start with "/" and contain no trailing "/", e.g. /ects`);
  }

  let jwtSecret = read.string('ECTS_JWT_SECRET', '');
  if (environment === 'production') {
    if (DEFAULT_SECRETS.has(jwtSecret.toLowerCase()) || jwtSecret.length < MIN_SECRET_LENGTH) {
      problems.push(
        `ECTS_JWT_SECRET: missing, default or shorter than ${MIN_SECRET_LENGTH} characters; ` +
          'production needs a random secret, e.g. from `openssl rand -hex 32`',
      );
    }
  } else if (jwtSecret === '' && problems.length === 0) {
    jwtSecret = readOrCreateSecret(dataDir, 'jwt.secret');
  }

  const config: AppConfig = {
    environment,
    host: read.string('ECTS_HOST', '127.0.0.1'),
    port: read.integer('ECTS_PORT', 8080, 0, 65535),
    dataDir,
    database,
    autoMigrate: read.boolean('ECTS_AUTO_MIGRATE', database.kind === 'sqlite'),
    etcd: {
      endpoints,
      namespace,
      username: read.optional('ECTS_ETCD_USERNAME'),
      password: read.optional('ECTS_ETCD_PASSWORD'),
      caFile: read.optional('ECTS_ETCD_CA_FILE'),
    },
    jwt: { secret: jwtSecret, ttlSeconds: read.integer('ECTS_JWT_TTL_SECONDS', 12 * 3600, 60, 30 * 86400) },
    encryptionKey: read.string('ECTS_ENCRYPTION_KEY', jwtSecret),
    loginThrottle: {
      limit: read.integer('ECTS_LOGIN_LIMIT', 10, 1, 10_000),
      windowSeconds: read.integer('ECTS_LOGIN_WINDOW_SECONDS', 60, 1, 86_400),
    },
    bodyLimitBytes: read.integer('ECTS_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    logLevel: read.oneOf('ECTS_LOG_LEVEL', ['error', 'warn', 'log', 'debug', 'verbose'] as const, 'log'),
    logFormat: read.oneOf('ECTS_LOG_FORMAT', ['json', 'text'] as const, environment === 'production' ? 'json' : 'text'),
    metrics: {
      token: read.optional('ECTS_METRICS_TOKEN'),
      allow: parseCidrList(read.string('ECTS_METRICS_ALLOW', '127.0.0.0/8,::1/128'), problems),
      pipelineLabels: read.boolean('ECTS_METRICS_PIPELINE_LABELS', false),
    },
    reconcileIntervalSeconds: read.integer('ECTS_RECONCILE_INTERVAL_SECONDS', 300, 5, 86_400),
    maxStepOutputBytes: read.integer('ECTS_MAX_STEP_OUTPUT_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    embeddedAgent: read.boolean('ECTS_EMBEDDED_AGENT', endpoints.length === 0),
    publicUrl: read.string('ECTS_PUBLIC_URL', ''),
    spaDir: resolve(read.string('ECTS_SPA_DIR', DEFAULT_SPA_DIR)),
    redisUrl: read.optional('ECTS_REDIS_URL'),
    retention: {
      days: read.integer('ECTS_RETENTION_DAYS', 90, 0, 36_500),
      maxRunsPerPipeline: read.integer('ECTS_RETENTION_MAX_RUNS_PER_PIPELINE', 0, 0, 100_000_000),
      intervalSeconds: read.integer('ECTS_RETENTION_INTERVAL_SECONDS', 3_600, 1, 86_400),
      batchSize: read.integer('ECTS_RETENTION_BATCH_SIZE', 500, 1, 100_000),
    },
    initialAdmin: {
      email: read.string('ECTS_ADMIN_EMAIL', 'admin@ects.local').toLowerCase(),
      password: read.optional('ECTS_ADMIN_PASSWORD'),
    },
  };
  if (config.etcd.caFile !== null && !existsSync(config.etcd.caFile)) {
    problems.push(
      `ECTS_ETCD_CA_FILE: ${config.etcd.caFile} does not exist; give the path of the CA certificate in PEM`,
    );
  }
  if (config.redisUrl !== null && !/^rediss?:\/\/\S+$/.test(config.redisUrl)) {
    problems.push('ECTS_REDIS_URL: not a Redis URL; use redis://host:6379 or rediss://host:6380');
  }
  if ((config.etcd.username === null) !== (config.etcd.password === null)) {
    problems.push('ECTS_ETCD_USERNAME and ECTS_ETCD_PASSWORD: set both or neither');
  }
  if (config.publicUrl === '') {
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    config.publicUrl = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
  }
  if (config.initialAdmin.password !== null && config.initialAdmin.password.length < 10) {
    problems.push('ECTS_ADMIN_PASSWORD: shorter than 10 characters; choose a longer password');
  }

  if (problems.length > 0) {
    throw new ConfigError(problems);
  }

  return config;
}

/** Splits a comma-separated list of CIDR networks; a bare address counts as a single host. */
function parseCidrList(text: string, problems: string[]): string[] {
  const networks = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');

  for (const network of networks) {
    const [address, prefix, extra] = network.split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixValid = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !prefixValid || extra !== undefined) {
      problems.push(`ECTS_METRICS_ALLOW: "${network}" is not a network; use a list like 127.0.0.0/8,::1/128,10.1.2.3`);
    }
  }

  return networks;
}

function parseDatabaseUrl(url: string, dataDir: string, problems: string[]): DatabaseConfig {
  if (url === '') {
    return { kind: 'sqlite', path: resolve(dataDir, 'ects.sqlite') };
  }
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') {
      problems.push('ECTS_DATABASE_URL: sqlite URL has no file path; use sqlite:./data/ects.sqlite');
    }

    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      problems.push('ECTS_DATABASE_URL: not a valid URL; use mysql://user:password@host:3306/database');
    }

    return {
      kind: 'mysql',
      url: url.replace(/^mariadb:/, 'mysql:'),
      flavor: url.startsWith('mariadb:') ? 'mariadb' : 'mysql',
    };
  }
  problems.push('ECTS_DATABASE_URL: unsupported scheme; use mysql://user:password@host:3306/database or sqlite:PATH');

  return { kind: 'sqlite', path: '' };
}

/** Keeps a generated secret in the data directory, so that embedded mode needs no settings and survives restarts. */
function readOrCreateSecret(dataDir: string, fileName: string): string {
  const path = resolve(dataDir, fileName);
  if (existsSync(path)) {
    return readFileSync(path, 'utf8').trim();
  }

  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);

  return secret;
}

class VariableReader {
  constructor(
    private readonly env: Environment,
    private readonly problems: string[],
  ) {}

  optional(name: string): string | null {
    const value = this.env[name];

    return value === undefined || value === '' ? null : value;
  }

  string(name: string, fallback: string): string {
    return this.optional(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === null) {
      return fallback;
    }

    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name}: "${raw}" is not an integer from ${min} to ${max}`);

      return fallback;
    }

    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optional(name);
    if (raw === null) {
      return fallback;
    }
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) {
      return true;
    }
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) {
      return false;
    }
    this.problems.push(`${name}: "${raw}" is not a boolean; use true or false`);

    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === null) {
      return fallback;
    }
    if ((allowed as readonly string[]).includes(raw)) {
      return raw as T;
    }
    this.problems.push(`${name}: "${raw}" is not one of ${allowed.join(', ')}`);

    return fallback;
  }
}
