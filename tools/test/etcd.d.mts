// Types for etcd.mjs, so TypeScript specs can import the harness.

export interface StartEtcdOptions {
  /** Member name, also used for the initial cluster; defaults to `ects-test`. */
  name?: string;
  /** Data directory; defaults to a new directory under os.tmpdir() that destroy() deletes. */
  dataDir?: string;
  /** Client port on 127.0.0.1; defaults to a free port. */
  clientPort?: number;
  /** Peer port on 127.0.0.1; defaults to a free port. */
  peerPort?: number;
}

/** A running etcd member. Every method waits until the process has changed state. */
export interface EtcdServer {
  readonly name: string;
  /** Client URL, for example `http://127.0.0.1:40123`. */
  readonly endpoint: string;
  readonly dataDir: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** Starts the member again after stop() or kill(), on the same ports and data directory. */
  start(): Promise<void>;
  /** Sends SIGTERM and waits for the exit, sending SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** Sends SIGKILL and waits for the exit. */
  kill(): Promise<void>;
  /** Stops the member, starts it on the same ports and data directory, and waits until it is healthy. */
  restart(): Promise<void>;
  isRunning(): boolean;
  /** Recent etcd output. */
  logTail(): string;
  /** Kills the member and deletes the data directory when the harness created it. */
  destroy(): Promise<void>;
}

export interface EtcdCluster {
  readonly endpoints: string[];
  readonly members: EtcdServer[];
  /** Parent directory of the members' data directories. */
  readonly dataDir: string;
  stop(): Promise<void>;
  /** Kills every member and deletes the data directories. */
  destroy(): Promise<void>;
}

/** Returns the etcd binary path, installing etcd-server and etcd-client with apt-get when it is missing. */
export function ensureEtcdInstalled(): Promise<string>;

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export function findFreePort(): Promise<number>;

/** Starts a single-member etcd on 127.0.0.1 and resolves once it is healthy. */
export function startEtcd(options?: StartEtcdOptions): Promise<EtcdServer>;

/** Starts an etcd cluster of `size` members on 127.0.0.1 and resolves once every member is healthy. */
export function startEtcdCluster(size: number): Promise<EtcdCluster>;
