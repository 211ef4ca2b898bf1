// Test harness for etcd: installs Debian's etcd-server when it is missing and starts throwaway
// single-member servers (or small clusters) on free loopback ports. Plain ESM, so the test runner
// and Vitest specs can both import it without a build step.

import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const HOST = '127.0.0.1';
const HEALTH_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const LOG_TAIL_CHARS = 4_000;

// Short raft timings make a single member elect itself within a few hundred milliseconds after a
// start or restart. The defaults (100 ms heartbeat, 1000 ms election timeout) would cost about a
// second per restart.
const RAFT_TIMING_ARGS = ['--heartbeat-interval', '25', '--election-timeout', '250'];

/** Every etcd process this module started and has not yet seen exit. */
const running = new Set();

let installing;

// The parent cannot outlive its servers: a test process that exits, crashes or is interrupted by
// Vitest still kills every etcd it started. A SIGKILL of the parent is the one case this misses.
process.on('exit', () => {
  for (const child of running) {
    child.kill('SIGKILL');
  }
});

/**
 * Finds an executable on PATH, then in /usr/bin and /usr/local/bin, and returns its path.
 * @param {string} name
 * @returns {string | undefined}
 */
function findExecutable(name) {
  const directories = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];

  for (const directory of directories) {
    if (directory === '') {
      continue;
    }

    const candidate = join(directory, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // Not in this directory: keep looking in the next one.
    }
  }

  return undefined;
}

/**
 * Runs a command to completion and throws with its output when it fails.
 * @param {string} command
 * @param {string[]} args
 */
function runOrThrow(command, args) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  });

  if (result.error !== undefined) {
    throw new Error(`Failed to run ${command} ${args.join(' ')}: ${result.error.message}`);
  }

  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.slice(-LOG_TAIL_CHARS);
    throw new Error(`${command} ${args.join(' ')} exited with status ${result.status}:\n${output}`);
  }
}

/**
 * Returns the path of the etcd binary, installing Debian's etcd-server and etcd-client with apt-get
 * first when etcd is not on PATH. Installing needs root and a Debian system; anywhere else it throws
 * an error that names the packages to install by hand.
 * @returns {Promise<string>}
 */
export async function ensureEtcdInstalled() {
  const found = findExecutable('etcd');
  if (found !== undefined) {
    return found;
  }

  // Concurrent callers in one process share a single apt-get run.
  installing ??= Promise.resolve().then(() => {
    const apt = findExecutable('apt-get');
    if (apt === undefined) {
      throw new Error('etcd is not on PATH and apt-get is missing: install etcd 3.4 or newer by hand');
    }

    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      throw new Error('etcd is not on PATH and installing it needs root: run apt-get install etcd-server etcd-client');
    }

    // Parallel test workers may install at the same time, so apt-get waits for the dpkg lock.
    const lockTimeout = ['-o', 'DPkg::Lock::Timeout=300'];
    runOrThrow(apt, [...lockTimeout, 'update']);
    runOrThrow(apt, [...lockTimeout, 'install', '-y', '--no-install-recommends', 'etcd-server', 'etcd-client']);

    const installed = findExecutable('etcd');
    if (installed === undefined) {
      throw new Error('apt-get installed etcd-server, but no etcd binary is on PATH or in /usr/bin');
    }

    return installed;
  });

  try {
    return await installing;
  } catch (error) {
    // A failed install may succeed on a later call, for example after the network returns.
    installing = undefined;
    throw error;
  }
}

/**
 * Returns a TCP port on 127.0.0.1 that was free a moment ago. Another process may still take it
 * before etcd binds it, so callers retry a start that fails with "address already in use".
 * @returns {Promise<number>}
 */
export function findFreePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('The OS assigned no port'))));
    });
  });
}

/**
 * Polls GET /health until etcd reports a healthy member with a raft leader.
 * @param {string} endpoint
 * @param {() => string | undefined} exitReason returns why the process exited, or undefined while it runs
 */
async function waitUntilHealthy(endpoint, exitReason) {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let lastError = 'no response yet';

  while (Date.now() < deadline) {
    const exited = exitReason();
    if (exited !== undefined) {
      throw new Error(`etcd at ${endpoint} exited before it became healthy: ${exited}`);
    }

    try {
      const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
      const body = await response.text();
      if (response.ok && body.includes('"health":"true"')) {
        return;
      }

      lastError = `HTTP ${response.status} ${body.trim()}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }

    await sleep(25);
  }

  throw new Error(`etcd at ${endpoint} was not healthy within ${HEALTH_TIMEOUT_MS} ms (last check: ${lastError})`);
}

/**
 * One etcd member process with its fixed ports and data directory. start() may run again after
 * stop() or kill(), on the same ports and data.
 */
class EtcdMember {
  /**
   * @param {{ binary: string, name: string, dataDir: string, clientPort: number, peerPort: number,
   *   initialCluster: string, clusterToken: string }} options
   */
  constructor(options) {
    this.binary = options.binary;
    this.name = options.name;
    this.dataDir = options.dataDir;
    this.clientPort = options.clientPort;
    this.peerPort = options.peerPort;
    this.initialCluster = options.initialCluster;
    this.clusterToken = options.clusterToken;
    this.endpoint = `http://${HOST}:${options.clientPort}`;
    this.peerUrl = `http://${HOST}:${options.peerPort}`;
    /** @type {import('node:child_process').ChildProcess | undefined} */
    this.child = undefined;
    this.log = '';
    /** @type {Promise<void> | undefined} */
    this.exited = undefined;
    /** @type {string | undefined} */
    this.exitReason = undefined;
  }

  /** Recent etcd output, for error messages. */
  logTail() {
    return this.log.slice(-LOG_TAIL_CHARS);
  }

  /** Spawns etcd without waiting for it to become healthy. */
  spawnProcess() {
    if (this.child !== undefined) {
      throw new Error(`etcd member ${this.name} is already running at ${this.endpoint}`);
    }

    const args = [
      '--name',
      this.name,
      '--data-dir',
      this.dataDir,
      '--listen-client-urls',
      this.endpoint,
      '--advertise-client-urls',
      this.endpoint,
      '--listen-peer-urls',
      this.peerUrl,
      '--initial-advertise-peer-urls',
      this.peerUrl,
      '--initial-cluster',
      this.initialCluster,
      '--initial-cluster-token',
      this.clusterToken,
      '--initial-cluster-state',
      'new',
      '--log-level',
      'warn',
      ...RAFT_TIMING_ARGS,
    ];

    // etcd 3.4 refuses to start on architectures other than amd64 and arm64 without this variable.
    const env = { ...process.env, ETCD_UNSUPPORTED_ARCH: process.env.ETCD_UNSUPPORTED_ARCH ?? process.arch };
    const child = spawn(this.binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });

    this.log = '';
    this.exitReason = undefined;
    const append = (chunk) => {
      this.log = (this.log + chunk.toString()).slice(-4 * LOG_TAIL_CHARS);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);

    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        this.exitReason = `failed to spawn ${this.binary}: ${error.message}`;
        running.delete(child);
        this.child = undefined;
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.exitReason = `exit code ${code ?? 'none'}, signal ${signal ?? 'none'}\n${this.logTail()}`;
        running.delete(child);
        this.child = undefined;
        resolve();
      });
    });

    running.add(child);
    this.child = child;
  }

  /** Resolves once the member reports healthy on GET /health. */
  async waitUntilHealthy() {
    await waitUntilHealthy(this.endpoint, () => this.exitReason);
  }

  /** Starts the member and waits until it is healthy. */
  async start() {
    this.spawnProcess();
    try {
      await this.waitUntilHealthy();
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /**
   * Sends a signal and waits for the process to exit, escalating to SIGKILL after STOP_TIMEOUT_MS.
   * @param {NodeJS.Signals} signal
   */
  async signalAndWait(signal) {
    const child = this.child;
    if (child === undefined) {
      return;
    }

    // An abortable timer, so a quick exit leaves no pending timer that keeps the parent alive.
    const timer = new AbortController();
    child.kill(signal);
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      sleep(STOP_TIMEOUT_MS, true, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();

    if (timedOut) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Stops the member gracefully (SIGTERM) and waits for it to exit. */
  stop() {
    return this.signalAndWait('SIGTERM');
  }

  /** Kills the member without a graceful shutdown (SIGKILL), as a crash would. */
  kill() {
    return this.signalAndWait('SIGKILL');
  }

  /** Stops the member, then starts it again on the same ports and data directory. */
  async restart() {
    await this.stop();
    await this.start();
  }
}

/**
 * Turns a member into the object that startEtcd() returns.
 * @param {EtcdMember} member
 * @param {boolean} ownsDataDir whether destroy() may delete the data directory
 */
function memberHandle(member, ownsDataDir) {
  return {
    name: member.name,
    endpoint: member.endpoint,
    dataDir: member.dataDir,
    clientPort: member.clientPort,
    peerPort: member.peerPort,
    start: () => member.start(),
    stop: () => member.stop(),
    kill: () => member.kill(),
    restart: () => member.restart(),
    isRunning: () => member.child !== undefined,
    logTail: () => member.logTail(),
    destroy: async () => {
      await member.kill();
      if (ownsDataDir) {
        await rm(member.dataDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Tells whether a failed start was a port taken between findFreePort() and etcd's bind.
 * @param {unknown} error
 */
function isPortConflict(error) {
  return error instanceof Error && /address already in use/i.test(error.message);
}

/**
 * Starts a single-member etcd on 127.0.0.1 and resolves once it reports healthy on GET /health.
 * Ports default to free ones, and the data directory to a new one under os.tmpdir().
 * @param {{ name?: string, dataDir?: string, clientPort?: number, peerPort?: number }} [options]
 */
export async function startEtcd(options = {}) {
  const binary = await ensureEtcdInstalled();
  const name = options.name ?? 'ects-test';
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'ects-etcd-')));
  const portsGiven = options.clientPort !== undefined && options.peerPort !== undefined;
  const attempts = portsGiven ? 1 : 3;

  for (let attempt = 1; ; attempt += 1) {
    const clientPort = options.clientPort ?? (await findFreePort());
    const peerPort = options.peerPort ?? (await findFreePort());
    const peerUrl = `http://${HOST}:${peerPort}`;
    const member = new EtcdMember({
      binary,
      name,
      dataDir,
      clientPort,
      peerPort,
      initialCluster: `${name}=${peerUrl}`,
      clusterToken: `${name}-cluster`,
    });

    try {
      await member.start();
      return memberHandle(member, ownsDataDir);
    } catch (error) {
      if (attempt >= attempts || !isPortConflict(error)) {
        if (ownsDataDir) {
          await rm(dataDir, { recursive: true, force: true });
        }
        throw error;
      }
    }
  }
}

/**
 * Starts an etcd cluster of `size` members on 127.0.0.1, each with its own free ports and a data
 * directory under one new temporary directory, and resolves once every member is healthy.
 * @param {number} size
 */
export async function startEtcdCluster(size) {
  if (!Number.isInteger(size) || size < 1) {
    throw new Error(`Invalid etcd cluster size ${size}: expected a positive integer`);
  }

  const binary = await ensureEtcdInstalled();
  const root = await mkdtemp(join(tmpdir(), 'ects-etcd-cluster-'));
  const specs = [];

  for (let index = 0; index < size; index += 1) {
    specs.push({ name: `ects-test-${index}`, clientPort: await findFreePort(), peerPort: await findFreePort() });
  }

  const initialCluster = specs.map((spec) => `${spec.name}=http://${HOST}:${spec.peerPort}`).join(',');
  const members = specs.map(
    (spec) =>
      new EtcdMember({
        binary,
        name: spec.name,
        dataDir: join(root, spec.name),
        clientPort: spec.clientPort,
        peerPort: spec.peerPort,
        initialCluster,
        clusterToken: 'ects-test-cluster',
      }),
  );

  // Members of a new cluster wait for each other, so all of them start before any health check.
  try {
    for (const member of members) {
      member.spawnProcess();
    }
    await Promise.all(members.map((member) => member.waitUntilHealthy()));
  } catch (error) {
    await Promise.all(members.map((member) => member.kill()));
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  const handles = members.map((member) => memberHandle(member, false));

  return {
    endpoints: handles.map((handle) => handle.endpoint),
    members: handles,
    dataDir: root,
    stop: async () => {
      await Promise.all(handles.map((handle) => handle.stop()));
    },
    destroy: async () => {
      await Promise.all(handles.map((handle) => handle.kill()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
