import type {
  Campaign,
  CampaignOptions,
  Coordination,
  CreateResult,
  ElectionLeader,
  KeyValue,
  Lease,
  LeaseOptions,
  LeaseState,
  PrefixSnapshot,
  Unsubscribe,
  Watch,
  WatchEvent,
  WatchHandlers,
  WatchOptions,
  WriteOptions,
} from './coordination';
import { type PrefixCampaign, findLeader, startCampaign } from './election';
import { CoordinationClosedError, InvalidArgumentError, LeaseLostError, WatchResetError } from './errors';
import { EtcdKeys } from './keys';
import { type CoordinationLogger, describeError } from './logger';
import { assertKey, assertPrefix, assertRevision, assertTtl } from './validation';

const DEFAULT_HISTORY_LIMIT = 10_000;

interface StoredEntry {
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  leaseId: string | undefined;
}

interface LeaseRecord {
  ttlSeconds: number;
  keys: Set<string>;
  expiryTimer: NodeJS.Timeout | undefined;
  onExpired: (error: LeaseLostError) => void;
}

/** Watch as the store sees it: its prefix, its oldest undelivered revision, and how to queue events for it. */
interface StoreWatcher {
  readonly prefix: string;
  /** Revision of the oldest event queued but not yet delivered, or undefined when none waits. */
  pendingRevision(): number | undefined;
  enqueue(event: WatchEvent): void;
  reset(error: WatchResetError): void;
}

/**
 * An in-process key-value store with etcd's semantics. Every write raises the store revision, and
 * each key keeps its create and mod revisions. Watches replay the event history from any revision
 * not yet compacted, and leases delete their keys when they expire. Several MemoryCoordination
 * clients can share one store, like processes sharing an etcd cluster.
 */
export class MemoryStore {
  /** Events kept for watches that start from an old revision; older ones are compacted away. */
  readonly historyLimit: number;

  private currentRevision = 1;
  private compactedRevision = 0;
  private nextLeaseNumber = 1;
  private readonly entries = new Map<string, StoredEntry>();
  private readonly history: WatchEvent[] = [];
  private readonly leases = new Map<string, LeaseRecord>();
  private readonly watchers = new Set<StoreWatcher>();

  /**
   * @param options.historyLimit number of events kept, 10000 by default. An embedded API runs for
   *   months, so the history is compacted automatically instead of growing without bound.
   */
  constructor(options: { historyLimit?: number } = {}) {
    this.historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;

    if (!Number.isSafeInteger(this.historyLimit) || this.historyLimit < 1) {
      throw new InvalidArgumentError(`Invalid history limit ${this.historyLimit}: expected a positive integer`);
    }
  }

  /** Current store revision; an empty store starts at 1, as etcd does. */
  get revision(): number {
    return this.currentRevision;
  }

  /** Revision of the last compaction, or 0 before any. */
  get compactRevision(): number {
    return this.compactedRevision;
  }

  get(key: string): KeyValue | undefined {
    const entry = this.entries.get(key);

    return entry === undefined ? undefined : toKeyValue(key, entry);
  }

  range(prefix: string): PrefixSnapshot {
    const entries = [...this.entries]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([left], [right]) => compareKeys(left, right))
      .map(([key, entry]) => toKeyValue(key, entry));

    return { entries, revision: this.currentRevision };
  }

  put(key: string, value: string, leaseId: string | undefined): number {
    this.assertLeaseExists(leaseId);
    this.currentRevision += 1;
    this.write(key, value, leaseId, this.currentRevision);

    return this.currentRevision;
  }

  createIfAbsent(key: string, value: string, leaseId: string | undefined): CreateResult {
    const existing = this.get(key);
    if (existing !== undefined) {
      return { created: false, revision: this.currentRevision, existing };
    }

    return { created: true, revision: this.put(key, value, leaseId) };
  }

  delete(key: string): boolean {
    return this.deleteKeys([key]) > 0;
  }

  deletePrefix(prefix: string): number {
    return this.deleteKeys([...this.entries.keys()].filter((key) => key.startsWith(prefix)));
  }

  grantLease(ttlSeconds: number, onExpired: (error: LeaseLostError) => void): string {
    const id = String(this.nextLeaseNumber);
    this.nextLeaseNumber += 1;
    this.leases.set(id, { ttlSeconds, keys: new Set(), expiryTimer: undefined, onExpired });

    return id;
  }

  /**
   * Starts the countdown after which the lease expires. MemoryCoordination calls it at grant time for
   * a lease without keep-alive, and at close() for one with keep-alive, because renewal inside one
   * process cannot fail while the client is open.
   */
  startLeaseExpiry(id: string): void {
    const record = this.leases.get(id);
    if (record === undefined || record.expiryTimer !== undefined) {
      return;
    }

    record.expiryTimer = setTimeout(() => this.expireLease(id), record.ttlSeconds * 1000);
    record.expiryTimer.unref();
  }

  /** Expires a lease now, deleting its keys and notifying its owner, as when the TTL runs out. */
  expireLease(id: string): boolean {
    const record = this.removeLease(id);
    if (record === undefined) {
      return false;
    }

    record.onExpired(new LeaseLostError(id, `Lease ${id} expired after its TTL of ${record.ttlSeconds} s`));

    return true;
  }

  /** Revokes a lease and deletes its keys; returns false when it no longer exists. */
  revokeLease(id: string): boolean {
    return this.removeLease(id) !== undefined;
  }

  hasLease(id: string): boolean {
    return this.leases.has(id);
  }

  /**
   * Drops the history before `revision`, as etcd's compaction does. A watch that has not yet
   * delivered an event older than `revision`, and a watch started from before it later, is reset
   * with reason `compacted`.
   */
  compact(revision: number): void {
    if (!Number.isSafeInteger(revision) || revision < 1 || revision > this.currentRevision) {
      throw new InvalidArgumentError(
        `Invalid compaction revision ${revision}: expected a revision from 1 to the current ${this.currentRevision}`,
      );
    }

    if (revision <= this.compactedRevision) {
      return;
    }

    this.compactedRevision = revision;
    const firstKept = this.history.findIndex((event) => event.modRevision >= revision);
    this.history.splice(0, firstKept === -1 ? this.history.length : firstKept);

    for (const watcher of [...this.watchers]) {
      const pending = watcher.pendingRevision();
      if (pending !== undefined && pending < revision) {
        this.watchers.delete(watcher);
        watcher.reset(compactedError(watcher.prefix, revision));
      }
    }
  }

  /**
   * Registers a watch and queues the retained history from `fromRevision` on. Returns false, and
   * registers nothing, when that history is already compacted.
   */
  addWatcher(watcher: StoreWatcher, fromRevision: number | undefined): boolean {
    if (fromRevision !== undefined && fromRevision < this.compactedRevision) {
      return false;
    }

    if (fromRevision !== undefined) {
      for (const event of this.history) {
        if (event.modRevision >= fromRevision && event.key.startsWith(watcher.prefix)) {
          watcher.enqueue(event);
        }
      }
    }

    this.watchers.add(watcher);

    return true;
  }

  removeWatcher(watcher: StoreWatcher): void {
    this.watchers.delete(watcher);
  }

  private assertLeaseExists(leaseId: string | undefined): void {
    if (leaseId !== undefined && !this.leases.has(leaseId)) {
      throw new LeaseLostError(leaseId, `Lease ${leaseId} was not found: it expired or was revoked`);
    }
  }

  private write(key: string, value: string, leaseId: string | undefined, revision: number): void {
    const previous = this.entries.get(key);

    if (previous?.leaseId !== undefined && previous.leaseId !== leaseId) {
      this.leases.get(previous.leaseId)?.keys.delete(key);
    }
    if (leaseId !== undefined) {
      this.leases.get(leaseId)?.keys.add(key);
    }

    const entry: StoredEntry = {
      value,
      createRevision: previous?.createRevision ?? revision,
      modRevision: revision,
      version: (previous?.version ?? 0) + 1,
      leaseId,
    };
    this.entries.set(key, entry);
    this.publish({ type: 'put', key, value, createRevision: entry.createRevision, modRevision: revision });
  }

  /** Deletes the keys that exist in one revision, as a single etcd delete-range or lease revoke does. */
  private deleteKeys(keys: string[]): number {
    const existing = keys.filter((key) => this.entries.has(key));
    if (existing.length === 0) {
      return 0;
    }

    this.currentRevision += 1;
    for (const key of existing.sort(compareKeys)) {
      const entry = this.entries.get(key);
      if (entry?.leaseId !== undefined) {
        this.leases.get(entry.leaseId)?.keys.delete(key);
      }

      this.entries.delete(key);
      this.publish({ type: 'delete', key, modRevision: this.currentRevision });
    }

    return existing.length;
  }

  private removeLease(id: string): LeaseRecord | undefined {
    const record = this.leases.get(id);
    if (record === undefined) {
      return undefined;
    }

    if (record.expiryTimer !== undefined) {
      clearTimeout(record.expiryTimer);
    }

    this.leases.delete(id);
    this.deleteKeys([...record.keys]);

    return record;
  }

  private publish(event: WatchEvent): void {
    this.history.push(event);

    for (const watcher of this.watchers) {
      if (event.key.startsWith(watcher.prefix)) {
        watcher.enqueue(event);
      }
    }

    if (this.history.length > this.historyLimit) {
      this.compact(this.history[this.history.length - this.historyLimit].modRevision);
    }
  }
}

/**
 * Runs a synchronous operation as a promise, so that a validation error rejects the promise, as on
 * the etcd3 adapter, instead of throwing at the call site.
 */
function settle<T>(operation: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(operation());
  });
}

/** Orders keys by their UTF-8 bytes, as etcd does. */
function compareKeys(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left), Buffer.from(right));
}

function toKeyValue(key: string, entry: StoredEntry): KeyValue {
  const keyValue: KeyValue = {
    key,
    value: entry.value,
    createRevision: entry.createRevision,
    modRevision: entry.modRevision,
    version: entry.version,
  };

  if (entry.leaseId !== undefined) {
    keyValue.leaseId = entry.leaseId;
  }

  return keyValue;
}

function compactedError(prefix: string, compactRevision: number): WatchResetError {
  return new WatchResetError(
    prefix,
    'compacted',
    `Watch on ${prefix} was reset: history before revision ${compactRevision} was compacted`,
    compactRevision,
  );
}

/** A lease in a MemoryStore, as seen by the client that granted it. */
class MemoryLease implements Lease {
  readonly id: string;

  private currentState: LeaseState = 'alive';
  private lostError: LeaseLostError | undefined;
  private released = false;
  private readonly listeners = new Set<(error: LeaseLostError) => void>();

  constructor(
    readonly store: MemoryStore,
    readonly ttlSeconds: number,
    readonly keepAlive: boolean,
    private readonly logger: CoordinationLogger,
  ) {
    this.id = store.grantLease(ttlSeconds, (error) => this.markLost(error));

    if (!keepAlive) {
      store.startLeaseExpiry(this.id);
    }
  }

  get state(): LeaseState {
    return this.currentState;
  }

  onLost(listener: (error: LeaseLostError) => void): Unsubscribe {
    const lostError = this.lostError;
    if (lostError !== undefined) {
      queueMicrotask(() => this.notify(listener, lostError));
      return () => undefined;
    }

    this.listeners.add(listener);

    return () => this.listeners.delete(listener);
  }

  revoke(): Promise<void> {
    return settle(() => {
      if (this.currentState !== 'alive') {
        return;
      }

      this.currentState = 'revoked';
      this.listeners.clear();
      this.store.revokeLease(this.id);
    });
  }

  /** Stops renewing the lease for a closing client: it expires after its TTL, unseen by listeners. */
  release(): void {
    this.released = true;
    this.listeners.clear();

    if (this.currentState === 'alive') {
      this.store.startLeaseExpiry(this.id);
    }
  }

  private markLost(error: LeaseLostError): void {
    if (this.currentState !== 'alive') {
      return;
    }

    this.currentState = 'lost';
    this.lostError = error;
    if (this.released) {
      return;
    }

    this.logger.warn(`Lease ${this.id} was lost: ${error.message}`);
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) {
      this.notify(listener, error);
    }
  }

  private notify(listener: (error: LeaseLostError) => void, error: LeaseLostError): void {
    try {
      listener(error);
    } catch (listenerError: unknown) {
      this.logger.error(
        `A lost listener of lease ${this.id} threw: ${describeError(listenerError)}`,
        listenerError instanceof Error ? listenerError.stack : undefined,
      );
    }
  }
}

/** A watch on a MemoryStore that hands queued events to its handlers outside the writer's call stack. */
class MemoryWatch implements Watch, StoreWatcher {
  private readonly queue: WatchEvent[] = [];
  private flushScheduled = false;
  private ended = false;

  constructor(
    readonly prefix: string,
    private readonly store: MemoryStore,
    private readonly handlers: WatchHandlers,
    private readonly logger: CoordinationLogger,
    private readonly onEnd: (watch: MemoryWatch) => void,
  ) {}

  pendingRevision(): number | undefined {
    return this.queue[0]?.modRevision;
  }

  enqueue(event: WatchEvent): void {
    if (this.ended) {
      return;
    }

    this.queue.push(event);
    this.scheduleFlush();
  }

  /** Ends the watch from the store's side; the handler hears of it after any event already delivered. */
  reset(error: WatchResetError): void {
    if (this.ended) {
      return;
    }

    this.end();
    setImmediate(() => this.call('reset', () => this.handlers.onReset(error)));
  }

  cancel(): Promise<void> {
    return settle(() => {
      if (this.ended) {
        return;
      }

      this.end();
      this.store.removeWatcher(this);
    });
  }

  private end(): void {
    this.ended = true;
    this.queue.length = 0;
    this.onEnd(this);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) {
      return;
    }

    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;

      while (!this.ended && this.queue.length > 0) {
        const event = this.queue.shift();
        if (event !== undefined) {
          this.call('event', () => this.handlers.onEvent(event));
        }
      }
    });
  }

  private call(kind: 'event' | 'reset', handler: () => void): void {
    try {
      handler();
    } catch (error: unknown) {
      this.logger.error(
        `The ${kind} handler of the watch on ${this.prefix} threw: ${describeError(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }
  }
}

export interface MemoryCoordinationOptions {
  /** Store to use; share one between clients to model several processes on one etcd. */
  store?: MemoryStore;
  /** Key layout, for the election keys; defaults to the `/ects` namespace. */
  keys?: EtcdKeys;
  /** Logger for faults and state changes; Nest's Logger fits. */
  logger: CoordinationLogger;
}

/**
 * The in-process Coordination adapter for embedded mode, where one process runs the API and an
 * agent. It keeps etcd's revisions, watch history, lease expiry and elections, so code that runs on
 * it behaves the same on etcd.
 */
export class MemoryCoordination implements Coordination {
  readonly store: MemoryStore;

  private closed = false;
  private readonly keys: EtcdKeys;
  private readonly logger: CoordinationLogger;
  private readonly leases = new Set<MemoryLease>();
  private readonly watches = new Set<MemoryWatch>();
  private readonly campaigns = new Set<PrefixCampaign>();

  constructor(options: MemoryCoordinationOptions) {
    this.store = options.store ?? new MemoryStore();
    this.keys = options.keys ?? new EtcdKeys();
    this.logger = options.logger;
  }

  get(key: string): Promise<KeyValue | undefined> {
    return settle(() => {
      this.assertOpen('get a key');
      assertKey(key);

      return this.store.get(key);
    });
  }

  getPrefix(prefix: string): Promise<PrefixSnapshot> {
    return settle(() => {
      this.assertOpen('read a prefix');
      assertPrefix(prefix);

      return this.store.range(prefix);
    });
  }

  put(key: string, value: string, options: WriteOptions = {}): Promise<number> {
    return settle(() => {
      this.assertOpen('put a key');
      assertKey(key);

      return this.store.put(key, value, this.leaseIdOf(options.lease));
    });
  }

  delete(key: string): Promise<boolean> {
    return settle(() => {
      this.assertOpen('delete a key');
      assertKey(key);

      return this.store.delete(key);
    });
  }

  deletePrefix(prefix: string): Promise<number> {
    return settle(() => {
      this.assertOpen('delete a prefix');
      assertPrefix(prefix);

      return this.store.deletePrefix(prefix);
    });
  }

  createIfAbsent(key: string, value: string, options: WriteOptions = {}): Promise<CreateResult> {
    return settle(() => {
      this.assertOpen('create a key');
      assertKey(key);

      return this.store.createIfAbsent(key, value, this.leaseIdOf(options.lease));
    });
  }

  watchPrefix(prefix: string, handlers: WatchHandlers, options: WatchOptions = {}): Promise<Watch> {
    return settle(() => {
      this.assertOpen('watch a prefix');
      assertPrefix(prefix);
      assertRevision(options.fromRevision);

      const watch = new MemoryWatch(prefix, this.store, handlers, this.logger, (ended) => this.watches.delete(ended));
      this.watches.add(watch);

      if (!this.store.addWatcher(watch, options.fromRevision)) {
        watch.reset(compactedError(prefix, this.store.compactRevision));
      }

      return watch;
    });
  }

  grantLease(ttlSeconds: number, options: LeaseOptions = {}): Promise<Lease> {
    return settle(() => {
      this.assertOpen('grant a lease');
      assertTtl(ttlSeconds);

      const lease = new MemoryLease(this.store, ttlSeconds, options.keepAlive ?? true, this.logger);
      this.leases.add(lease);

      // Forget leases that ended, so an API that grants one per command does not pile them up.
      for (const known of this.leases) {
        if (known.state !== 'alive') {
          this.leases.delete(known);
        }
      }

      return lease;
    });
  }

  async campaign(election: string, value: string, options: CampaignOptions = {}): Promise<Campaign> {
    this.assertOpen('campaign');

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
    this.assertOpen('read an election leader');

    return findLeader(this, this.keys, election);
  }

  /** Compacts the shared store's history before `revision`; a test hook standing in for etcd's compaction. */
  compact(revision: number): Promise<void> {
    return settle(() => {
      this.assertOpen('compact');
      this.store.compact(revision);
    });
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }

    this.closed = true;

    await Promise.all([...this.campaigns].map((campaign) => campaign.abandon()));
    await Promise.all([...this.watches].map((watch) => watch.cancel()));
    for (const lease of this.leases) {
      lease.release();
    }

    this.campaigns.clear();
    this.leases.clear();
  }

  private assertOpen(operation: string): void {
    if (this.closed) {
      throw new CoordinationClosedError(operation);
    }
  }

  private leaseIdOf(lease: Lease | undefined): string | undefined {
    if (lease === undefined) {
      return undefined;
    }

    if (!(lease instanceof MemoryLease) || lease.store !== this.store) {
      throw new InvalidArgumentError(`Lease ${lease.id} was not granted by a MemoryCoordination on this store`);
    }

    return lease.id;
  }
}
