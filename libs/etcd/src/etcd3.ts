import { ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleWhen, retry } from 'cockatiel';
import { Etcd3, type IKeyValue, type IOptions, isRecoverableError } from 'etcd3';

import type {
  Campaign,
  CampaignOptions,
  Coordination,
  CreateResult,
  ElectionLeader,
  KeyValue,
  Lease,
  LeaseOptions,
  PrefixSnapshot,
  Watch,
  WatchHandlers,
  WatchOptions,
  WriteOptions,
} from './coordination';
import { type PrefixCampaign, findLeader, startCampaign } from './election';
import { CoordinationClosedError, CoordinationError, InvalidArgumentError, LeaseLostError } from './errors';
import { translateEtcdError } from './etcd3-errors';
import { Etcd3LeaseHandle } from './etcd3-lease';
import { Etcd3Watch } from './etcd3-watch';
import { EtcdKeys } from './keys';
import type { CoordinationLogger } from './logger';
import { assertKey, assertPrefix, assertRevision, assertTtl } from './validation';

const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
const DEFAULT_DIAL_TIMEOUT_MS = 3_000;

export interface Etcd3CoordinationOptions {
  /** etcd client URLs, such as `http://127.0.0.1:2379`. */
  endpoints: string | string[];
  /** Key layout, for the election keys; defaults to the `/ects` namespace. */
  keys?: EtcdKeys;
  /** Logger for faults and state changes; Nest's Logger fits. */
  logger: CoordinationLogger;
  /** Deadline of one request attempt in milliseconds; defaults to 5000. Watches and keep-alive streams have none. */
  requestTimeoutMs?: number;
  /** Time allowed to open a connection in milliseconds; defaults to 3000. */
  dialTimeoutMs?: number;
  /** User and password when etcd has authentication enabled. */
  auth?: { username: string; password: string };
  /** PEM root certificate that signs the etcd servers' certificates, for https endpoints. */
  caCertificate?: Buffer;
}

/**
 * Returns the etcd3 fault handling that gets an outage over quickly. etcd3's defaults keep the
 * circuit breaker open for 5 s after etcd returns and reconnect watches with backoff of up to 30 s.
 * Here each host's breaker half-opens after 500 ms, a failed call is retried 3 times with
 * 100 ms to 1 s exponential backoff, and watches reconnect with 200 ms to 2 s backoff. Measured
 * against etcd 3.4.23 on 127.0.0.1, writes and watches work again within 2 s of a restart.
 */
export function etcdFaultHandling(): NonNullable<IOptions['faultHandling']> {
  const watchBackoff = new ExponentialBackoff({ initialDelay: 200, maxDelay: 2_000 });

  return {
    host: () =>
      circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 500, breaker: new ConsecutiveBreaker(3) }),
    global: retry(handleWhen(isRecoverableError), {
      maxAttempts: 3,
      backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }),
    }),
    // etcd3 types this option as a backoff state but only ever calls next() on it, so a state
    // whose next() starts a fresh sequence gives it the factory's behaviour.
    watchBackoff: { duration: 0, next: () => watchBackoff.next() },
  };
}

function toKeyValue(kv: IKeyValue): KeyValue {
  const keyValue: KeyValue = {
    key: kv.key.toString(),
    value: kv.value.toString(),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
  };

  // etcd reports lease 0 for a key bound to no lease.
  if (kv.lease !== '0' && kv.lease !== '') {
    keyValue.leaseId = kv.lease;
  }

  return keyValue;
}

/** The Coordination adapter for a real etcd 3.4+ cluster, on the etcd3 client. */
export class Etcd3Coordination implements Coordination {
  private closed = false;
  private readonly client: Etcd3;
  private readonly keys: EtcdKeys;
  private readonly logger: CoordinationLogger;
  private readonly leases = new Set<Etcd3LeaseHandle>();
  private readonly watches = new Set<Etcd3Watch>();
  private readonly campaigns = new Set<PrefixCampaign>();

  constructor(options: Etcd3CoordinationOptions) {
    const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const hosts = Array.isArray(options.endpoints) ? options.endpoints : options.endpoints.split(',');

    if (hosts.length === 0 || hosts.some((host) => !/^https?:\/\/.+/.test(host.trim()))) {
      throw new InvalidArgumentError(
        `Invalid etcd endpoints "${hosts.join(',')}": expected URLs such as http://127.0.0.1:2379`,
      );
    }

    this.keys = options.keys ?? new EtcdKeys();
    this.logger = options.logger;
    this.client = new Etcd3({
      hosts: hosts.map((host) => host.trim()),
      dialTimeout: options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
      faultHandling: etcdFaultHandling(),
      // A node with thousands of assignments reads more than gRPC's default 4 MiB in one range.
      grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
      ...(options.auth ? { auth: { username: options.auth.username, password: options.auth.password } } : {}),
      ...(options.caCertificate ? { credentials: { rootCertificate: options.caCertificate } } : {}),
    });
  }

  async get(key: string): Promise<KeyValue | undefined> {
    assertKey(key);

    const response = await this.call(`get ${key}`, () => this.client.get(key).exec());
    const kv = response.kvs[0];

    return kv === undefined ? undefined : toKeyValue(kv);
  }

  async getPrefix(prefix: string): Promise<PrefixSnapshot> {
    assertPrefix(prefix);

    const response = await this.call(`read prefix ${prefix}`, () => this.client.getAll().prefix(prefix).exec());

    return { entries: response.kvs.map(toKeyValue), revision: Number(response.header.revision) };
  }

  async put(key: string, value: string, options: WriteOptions = {}): Promise<number> {
    assertKey(key);
    const lease = this.ownLease(options.lease);

    const response = await this.call(
      `put ${key}`,
      () => {
        const put = this.client.put(key).value(value);
        if (lease !== undefined) {
          put.lease(lease.id);
        }

        return put.exec();
      },
      lease,
    );

    return Number(response.header.revision);
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);

    const response = await this.call(`delete ${key}`, () => this.client.delete().key(key).exec());

    return Number(response.deleted) > 0;
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertPrefix(prefix);

    const response = await this.call(`delete prefix ${prefix}`, () => this.client.delete().prefix(prefix).exec());

    return Number(response.deleted);
  }

  async createIfAbsent(key: string, value: string, options: WriteOptions = {}): Promise<CreateResult> {
    assertKey(key);
    const lease = this.ownLease(options.lease);

    const response = await this.call(
      `create ${key}`,
      () => {
        const put = this.client.put(key).value(value);
        if (lease !== undefined) {
          put.lease(lease.id);
        }

        return this.client.if(key, 'Create', '==', 0).then(put).else(this.client.get(key)).commit();
      },
      lease,
    );

    const revision = Number(response.header.revision);
    if (response.succeeded) {
      return { created: true, revision };
    }

    const existing = response.responses[0]?.response_range?.kvs[0];
    if (existing === undefined) {
      throw new CoordinationError('COORDINATION_FAILED', `Failed to create ${key}: etcd returned no existing entry`);
    }

    return { created: false, revision, existing: toKeyValue(existing) };
  }

  async watchPrefix(prefix: string, handlers: WatchHandlers, options: WatchOptions = {}): Promise<Watch> {
    assertPrefix(prefix);
    assertRevision(options.fromRevision);
    this.assertOpen(`watch ${prefix}`);

    const builder = this.client.watch().prefix(prefix);
    if (options.fromRevision !== undefined) {
      builder.startRevision(String(options.fromRevision));
    }

    const watch = new Etcd3Watch(prefix, builder.watcher(), handlers, this.logger, options.fromRevision, (ended) =>
      this.watches.delete(ended),
    );
    this.watches.add(watch);
    await watch.ready;

    return watch;
  }

  async grantLease(ttlSeconds: number, options: LeaseOptions = {}): Promise<Lease> {
    assertTtl(ttlSeconds);
    const keepAlive = options.keepAlive ?? true;
    const requestedAt = Date.now();

    const inner = this.client.lease(ttlSeconds, { autoKeepAlive: keepAlive });
    const id = await this.call(`grant a lease of ${ttlSeconds} s`, () => inner.grant());

    const lease = new Etcd3LeaseHandle(this, this.client, inner, id, ttlSeconds, keepAlive, this.logger, requestedAt);
    lease.start();
    this.leases.add(lease);

    // Forget leases that ended, so a long-running API that grants one per command does not pile them up.
    for (const known of this.leases) {
      if (known.state !== 'alive') {
        this.leases.delete(known);
      }
    }

    return lease;
  }

  async campaign(election: string, value: string, options: CampaignOptions = {}): Promise<Campaign> {
    this.assertOpen(`campaign in election ${election}`);

    const campaign = await startCampaign(this, this.keys, this.logger, election, value, options);
    this.campaigns.add(campaign);

    for (const known of this.campaigns) {
      if (known.state === 'resigned' || known.state === 'lost') {
        this.campaigns.delete(known);
      }
    }

    return campaign;
  }

  async leader(election: string): Promise<ElectionLeader | undefined> {
    return findLeader(this, this.keys, election);
  }

  /**
   * Compacts etcd's history before `revision` and waits until the compaction is applied. Watches
   * that still needed older revisions are reset.
   */
  async compact(revision: number): Promise<void> {
    assertRevision(revision);

    await this.call(`compact to revision ${revision}`, () =>
      this.client.kv.compact({ revision: String(revision), physical: true }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }

    this.closed = true;

    await Promise.all([...this.campaigns].map((campaign) => campaign.abandon()));
    await Promise.all([...this.watches].map((watch) => watch.abort()));
    for (const lease of this.leases) {
      lease.release();
    }

    this.campaigns.clear();
    this.leases.clear();
    this.client.close();
  }

  /** Runs one etcd request and translates its errors; a lease the server no longer has is marked lost. */
  private async call<T>(operation: string, request: () => Promise<T>, lease?: Etcd3LeaseHandle): Promise<T> {
    this.assertOpen(operation);

    try {
      return await request();
    } catch (error: unknown) {
      const translated = translateEtcdError(error, operation, lease?.id);
      if (lease !== undefined && translated instanceof LeaseLostError) {
        lease.markLost(translated);
      }

      throw translated;
    }
  }

  private assertOpen(operation: string): void {
    if (this.closed) {
      throw new CoordinationClosedError(operation);
    }
  }

  private ownLease(lease: Lease | undefined): Etcd3LeaseHandle | undefined {
    if (lease === undefined) {
      return undefined;
    }

    if (!(lease instanceof Etcd3LeaseHandle) || lease.owner !== this) {
      throw new InvalidArgumentError(`Lease ${lease.id} was not granted by this Etcd3Coordination`);
    }

    return lease;
  }
}
