import type { CoordinationError, LeaseLostError, WatchResetError } from './errors';

/**
 * One stored key with its value and revisions. Revisions are etcd's store-wide counters: every
 * write raises the store revision by one, `createRevision` is the revision that created the key,
 * and `modRevision` the one that last changed it.
 */
export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  /** Number of writes to the key since it was created, starting at 1. */
  version: number;
  /** Lease the key is bound to, if any. */
  leaseId?: string;
}

/** Keys under a prefix, sorted by key, and the store revision the read saw. */
export interface PrefixSnapshot {
  entries: KeyValue[];
  /** Store revision of the read; watch from `revision + 1` to miss nothing after it. */
  revision: number;
}

/** Options of a write. */
export interface WriteOptions {
  /** Lease to bind the key to: the key is deleted when the lease expires or is revoked. */
  lease?: Lease;
}

/** Outcome of createIfAbsent(): either this call created the key, or it found the key already there. */
export type CreateResult =
  { created: true; revision: number } | { created: false; revision: number; existing: KeyValue };

/** One change seen by a watch. */
export type WatchEvent =
  | { type: 'put'; key: string; value: string; createRevision: number; modRevision: number }
  | { type: 'delete'; key: string; modRevision: number };

/**
 * Callbacks of a watch. They are called one at a time, in revision order. They must not throw; an
 * error they throw is logged and the watch goes on. A handler that needs async work queues it itself.
 */
export interface WatchHandlers {
  onEvent(event: WatchEvent): void;
  /**
   * Called once when the server ended the watch, for example because compaction removed the
   * revisions it still had to deliver. Nothing more arrives; read the prefix again and start a new
   * watch from the revision after that read.
   */
  onReset(error: WatchResetError): void;
}

export interface WatchOptions {
  /**
   * First revision to report, inclusive; defaults to changes after the watch starts. Pass
   * `snapshot.revision + 1` after getPrefix() so no change falls between the read and the watch.
   */
  fromRevision?: number;
}

/** A running watch. Connection faults are retried inside the adapter and resume at the next revision. */
export interface Watch {
  readonly prefix: string;
  /** Stops the watch; no handler is called after it resolves. */
  cancel(): Promise<void>;
}

export type LeaseState = 'alive' | 'lost' | 'revoked';

export interface LeaseOptions {
  /**
   * Whether the adapter renews the lease until it is revoked; defaults to true. A lease without
   * keep-alive expires after its TTL, which suits commands that must not outlive their purpose.
   */
  keepAlive?: boolean;
}

/** Removes the listener it was returned for. */
export type Unsubscribe = () => void;

/** A granted lease. Keys bound to it are deleted when it expires or is revoked. */
export interface Lease {
  readonly id: string;
  readonly ttlSeconds: number;
  readonly keepAlive: boolean;
  readonly state: LeaseState;
  /**
   * Calls the listener once when the lease is lost: it expired, keep-alive failed for longer than
   * the TTL, or the server no longer has it. A listener added after the loss is called at once.
   * A lost lease is never renewed: grant a new one and write its keys again. revoke() does not count
   * as a loss.
   */
  onLost(listener: (error: LeaseLostError) => void): Unsubscribe;
  /** Stops keep-alive and revokes the lease on the server, deleting its keys. Safe to call twice. */
  revoke(): Promise<void>;
}

export interface CampaignOptions {
  /**
   * Lease that keeps the candidate alive; resign() then deletes only the candidate key and leaves
   * the lease to its owner. Without it the campaign grants its own lease and revokes it on resign().
   */
  lease?: Lease;
  /** TTL of the campaign's own lease in seconds; defaults to 10. Ignored when `lease` is given. */
  ttlSeconds?: number;
}

export type CampaignState = 'campaigning' | 'leader' | 'resigned' | 'lost';

/**
 * A candidacy in an election. Candidates are ordered by the revision that created their key, and
 * the oldest one still present is the leader.
 */
export interface Campaign {
  readonly election: string;
  readonly value: string;
  /** Candidate key, `<ns>/elections/<election>/<leaseId>`. */
  readonly key: string;
  readonly state: CampaignState;
  readonly isLeader: boolean;
  /** Calls the listener once when this candidate becomes the leader, at once if it already is. */
  onElected(listener: () => void): Unsubscribe;
  /**
   * Calls the listener once when the campaign ends without resign(): its lease was lost or its key
   * disappeared. A leader must stop its singleton duties at once. The campaign is over, so campaign
   * again with a new lease. A listener added after the loss is called at once.
   */
  onLost(listener: (error: CoordinationError) => void): Unsubscribe;
  /** Withdraws the candidate; a leader hands over to the next candidate. No `lost` follows. */
  resign(): Promise<void>;
}

/** Current leader of an election. */
export interface ElectionLeader {
  key: string;
  value: string;
  leaseId: string;
}

/**
 * What the API and the agents need from etcd, behind one interface with an etcd3 adapter and an
 * in-process adapter. Keys are full keys built by EtcdKeys, values are strings (callers store JSON),
 * and revisions are etcd store revisions. Methods that reach the store reject with
 * CoordinationUnavailableError when it stays unreachable after retries, with LeaseLostError when a
 * write names a lease that is gone, and with CoordinationClosedError after close().
 */
export interface Coordination {
  /** Reads one key; resolves to undefined when it does not exist. */
  get(key: string): Promise<KeyValue | undefined>;

  /** Reads every key under the prefix in one consistent read, with the store revision of that read. */
  getPrefix(prefix: string): Promise<PrefixSnapshot>;

  /** Writes a key, optionally bound to a lease; resolves to the store revision of the write. */
  put(key: string, value: string, options?: WriteOptions): Promise<number>;

  /** Deletes a key; resolves to whether it existed. */
  delete(key: string): Promise<boolean>;

  /** Deletes every key under the prefix; resolves to how many keys were deleted. */
  deletePrefix(prefix: string): Promise<number>;

  /**
   * Writes the key only if it does not exist, in one transaction on its create revision being 0.
   * Of concurrent callers exactly one gets `created: true`; the others get the winner's entry.
   */
  createIfAbsent(key: string, value: string, options?: WriteOptions): Promise<CreateResult>;

  /**
   * Watches every key under the prefix. Resolves once the server has accepted the watch, so a
   * write made after that resolves is reported. While the store is unreachable it keeps waiting,
   * and close() rejects it. When the server ends the watch, for example after compaction,
   * `onReset` is called and the watch is over.
   */
  watchPrefix(prefix: string, handlers: WatchHandlers, options?: WatchOptions): Promise<Watch>;

  /** Grants a lease of at least one second; it is renewed automatically unless `keepAlive` is false. */
  grantLease(ttlSeconds: number, options?: LeaseOptions): Promise<Lease>;

  /**
   * Enters an election and resolves once the candidate key is written, before the outcome is
   * known: listen with onElected() and onLost(). One campaign per lease and election.
   */
  campaign(election: string, value: string, options?: CampaignOptions): Promise<Campaign>;

  /** Reads the current leader of an election; resolves to undefined when there is no candidate. */
  leader(election: string): Promise<ElectionLeader | undefined>;

  /**
   * Cancels watches and campaigns and stops keep-alive, without revoking leases: their keys
   * expire after the TTL, as they would if the process died. Safe to call twice.
   */
  close(): Promise<void>;
}
