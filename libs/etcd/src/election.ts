import type {
  Campaign,
  CampaignOptions,
  CampaignState,
  Coordination,
  ElectionLeader,
  KeyValue,
  Lease,
  PrefixSnapshot,
  Unsubscribe,
  Watch,
  WatchEvent,
} from './coordination';
import { CampaignLostError, type CoordinationError, type WatchResetError } from './errors';
import type { EtcdKeys } from './keys';
import { type CoordinationLogger, RateLimitedWarning, describeError } from './logger';

/** TTL of a campaign's own lease when the caller passes none. */
export const DEFAULT_CAMPAIGN_TTL_SECONDS = 10;

const RETRY_DELAY_MS = 500;
const RETRY_WARNING_INTERVAL_MS = 10_000;

/** The store operations an election runs on; both adapters pass themselves. */
export type ElectionStore = Pick<
  Coordination,
  'grantLease' | 'createIfAbsent' | 'put' | 'getPrefix' | 'watchPrefix' | 'delete'
>;

/** Returns the candidates of an election, ignoring stray keys under its prefix. */
function candidates(keys: EtcdKeys, election: string, snapshot: PrefixSnapshot): KeyValue[] {
  return snapshot.entries.filter((entry) => {
    const parsed = keys.parse(entry.key);

    return parsed?.kind === 'electionCandidate' && parsed.election === election;
  });
}

/** Returns the candidate with the lowest create revision, which is the leader. */
function oldest(entries: KeyValue[]): KeyValue | undefined {
  let leader: KeyValue | undefined;

  for (const entry of entries) {
    if (leader === undefined || entry.createRevision < leader.createRevision) {
      leader = entry;
    }
  }

  return leader;
}

/** Reads the current leader of an election: the candidate whose key was created first. */
export async function findLeader(
  store: ElectionStore,
  keys: EtcdKeys,
  election: string,
): Promise<ElectionLeader | undefined> {
  const snapshot = await store.getPrefix(keys.electionPrefix(election));
  const leader = oldest(candidates(keys, election, snapshot));

  if (leader === undefined) {
    return undefined;
  }

  return { key: leader.key, value: leader.value, leaseId: keys.parseElectionCandidate(leader.key).leaseId };
}

/**
 * Enters an election and resolves once the candidate key is written. This is the algorithm of etcd's
 * Go client (`concurrency.Election`): each candidate writes `<prefix><leaseId>` bound to its lease,
 * and the candidate with the lowest create revision leads. A waiting candidate re-reads the
 * candidates whenever one of them is deleted.
 */
export async function startCampaign(
  store: ElectionStore,
  keys: EtcdKeys,
  logger: CoordinationLogger,
  election: string,
  value: string,
  options: CampaignOptions = {},
): Promise<PrefixCampaign> {
  const prefix = keys.electionPrefix(election);
  const ownsLease = options.lease === undefined;
  const lease = options.lease ?? (await store.grantLease(options.ttlSeconds ?? DEFAULT_CAMPAIGN_TTL_SECONDS));
  const key = keys.electionCandidate(election, lease.id);

  try {
    const result = await store.createIfAbsent(key, value, { lease });

    // A key already there belongs to an earlier campaign on the same lease; it keeps its place in
    // the queue and takes the new value.
    if (!result.created && result.existing.value !== value) {
      await store.put(key, value, { lease });
    }
  } catch (error: unknown) {
    if (ownsLease) {
      await lease.revoke().catch((revokeError: unknown) => {
        logger.warn(
          `Failed to revoke lease ${lease.id} of a failed campaign in election ${election}: ${describeError(revokeError)}`,
        );
      });
    }
    throw error;
  }

  const campaign = new PrefixCampaign({ store, keys, logger, election, prefix, value, key, lease, ownsLease });
  campaign.begin();

  return campaign;
}

interface PrefixCampaignParts {
  store: ElectionStore;
  keys: EtcdKeys;
  logger: CoordinationLogger;
  election: string;
  prefix: string;
  value: string;
  key: string;
  lease: Lease;
  ownsLease: boolean;
}

/** A campaign whose candidate key is already written; see startCampaign(). */
export class PrefixCampaign implements Campaign {
  readonly election: string;
  readonly value: string;
  readonly key: string;

  private currentState: CampaignState = 'campaigning';
  private lostError: CoordinationError | undefined;
  private watch: Watch | undefined;
  private watchGeneration = 0;
  private unsubscribeLease: Unsubscribe | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private syncQueue: Promise<void> = Promise.resolve();
  private readonly electedListeners = new Set<() => void>();
  private readonly lostListeners = new Set<(error: CoordinationError) => void>();
  private readonly retryWarning: RateLimitedWarning;

  constructor(private readonly parts: PrefixCampaignParts) {
    this.election = parts.election;
    this.value = parts.value;
    this.key = parts.key;
    this.retryWarning = new RateLimitedWarning(parts.logger, RETRY_WARNING_INTERVAL_MS);
  }

  get state(): CampaignState {
    return this.currentState;
  }

  get isLeader(): boolean {
    return this.currentState === 'leader';
  }

  private get finished(): boolean {
    return this.currentState === 'resigned' || this.currentState === 'lost';
  }

  /** Starts following the lease and the other candidates. */
  begin(): void {
    this.unsubscribeLease = this.parts.lease.onLost((error) => this.lose(error));
    this.enqueueSync();
  }

  onElected(listener: () => void): Unsubscribe {
    if (this.currentState === 'leader') {
      queueMicrotask(() => this.notify('elected', () => listener()));
      return () => undefined;
    }

    if (this.finished) {
      return () => undefined;
    }

    this.electedListeners.add(listener);

    return () => this.electedListeners.delete(listener);
  }

  onLost(listener: (error: CoordinationError) => void): Unsubscribe {
    const lostError = this.lostError;
    if (lostError !== undefined) {
      queueMicrotask(() => this.notify('lost', () => listener(lostError)));
      return () => undefined;
    }

    if (this.finished) {
      return () => undefined;
    }

    this.lostListeners.add(listener);

    return () => this.lostListeners.delete(listener);
  }

  async resign(): Promise<void> {
    if (this.finished) {
      return;
    }

    const wasLeader = this.isLeader;
    this.currentState = 'resigned';
    this.clearListeners();
    await this.stopFollowing();

    if (this.parts.ownsLease) {
      await this.parts.lease.revoke();
    } else {
      await this.parts.store.delete(this.key);
    }

    this.parts.logger.log(`Resigned from election ${this.election} as ${this.key}${wasLeader ? ' after leading' : ''}`);
  }

  /** Stops following the election without deleting the candidate key, for close(). */
  async abandon(): Promise<void> {
    if (this.finished) {
      return;
    }

    this.currentState = 'resigned';
    this.clearListeners();
    await this.stopFollowing();
  }

  /** Queues a read of the candidates; reads run one at a time, and a failed one is retried. */
  private enqueueSync(): void {
    this.syncQueue = this.syncQueue.then(() => this.sync()).catch((error: unknown) => this.scheduleRetry(error));
  }

  private scheduleRetry(error: unknown): void {
    if (this.finished || this.retryTimer !== undefined) {
      return;
    }

    this.retryWarning.warn(
      `Failed to read the candidates of election ${this.election} (${describeError(error)}); retrying every ${RETRY_DELAY_MS} ms`,
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.enqueueSync();
    }, RETRY_DELAY_MS);
  }

  /** Reads the candidates, decides whether this one leads, and starts the watch if none runs. */
  private async sync(): Promise<void> {
    if (this.finished) {
      return;
    }

    const snapshot = await this.parts.store.getPrefix(this.parts.prefix);
    if (this.finished) {
      return;
    }

    if (this.retryWarning.active) {
      this.retryWarning.reset();
      this.parts.logger.log(`Election ${this.election} is readable again`);
    }

    const entries = candidates(this.parts.keys, this.election, snapshot);
    if (!entries.some((entry) => entry.key === this.key)) {
      this.lose(
        new CampaignLostError(this.election, `Candidate key ${this.key} of election ${this.election} disappeared`),
      );
      return;
    }

    if (oldest(entries)?.key === this.key && this.currentState === 'campaigning') {
      this.becomeLeader();
    }

    if (this.watch === undefined) {
      await this.startWatch(snapshot.revision + 1);
    }
  }

  private async startWatch(fromRevision: number): Promise<void> {
    this.watchGeneration += 1;
    const generation = this.watchGeneration;

    const watch = await this.parts.store.watchPrefix(
      this.parts.prefix,
      {
        onEvent: (event) => this.handleEvent(event, generation),
        onReset: (error) => this.handleReset(error, generation),
      },
      { fromRevision },
    );

    if (this.finished || generation !== this.watchGeneration) {
      await watch.cancel();
      return;
    }

    this.watch = watch;
  }

  private handleEvent(event: WatchEvent, generation: number): void {
    if (this.finished || generation !== this.watchGeneration || event.type !== 'delete') {
      return;
    }

    if (event.key === this.key) {
      this.lose(
        new CampaignLostError(this.election, `Candidate key ${this.key} of election ${this.election} was deleted`),
      );
      return;
    }

    // A candidate ahead of this one may have left, so read the queue again.
    if (this.currentState === 'campaigning') {
      this.enqueueSync();
    }
  }

  private handleReset(error: WatchResetError, generation: number): void {
    if (this.finished || generation !== this.watchGeneration) {
      return;
    }

    this.parts.logger.warn(
      `Watch on election ${this.election} was reset (${error.reason}); reading the candidates again`,
    );
    this.watch = undefined;
    this.watchGeneration += 1;
    this.enqueueSync();
  }

  private becomeLeader(): void {
    this.currentState = 'leader';
    this.parts.logger.log(`Elected leader of election ${this.election} as ${this.key}`);

    const listeners = [...this.electedListeners];
    this.electedListeners.clear();
    for (const listener of listeners) {
      this.notify('elected', () => listener());
    }
  }

  private lose(error: CoordinationError): void {
    if (this.finished) {
      return;
    }

    const wasLeader = this.isLeader;
    this.currentState = 'lost';
    this.lostError = error;
    this.parts.logger.warn(
      `Lost ${wasLeader ? 'the leadership' : 'the campaign'} of election ${this.election} as ${this.key}: ${error.message}`,
    );

    this.stopFollowing().catch((stopError: unknown) => {
      this.parts.logger.warn(`Failed to stop watching election ${this.election}: ${describeError(stopError)}`);
    });

    // The campaign's own lease would keep a deleted candidate's lease alive for nothing.
    if (this.parts.ownsLease && this.parts.lease.state === 'alive') {
      this.parts.lease.revoke().catch((revokeError: unknown) => {
        this.parts.logger.warn(
          `Failed to revoke lease ${this.parts.lease.id} of a lost campaign: ${describeError(revokeError)}`,
        );
      });
    }

    const listeners = [...this.lostListeners];
    this.clearListeners();
    for (const listener of listeners) {
      this.notify('lost', () => listener(error));
    }
  }

  private async stopFollowing(): Promise<void> {
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }

    this.unsubscribeLease?.();
    this.unsubscribeLease = undefined;

    const watch = this.watch;
    this.watch = undefined;
    this.watchGeneration += 1;

    if (watch !== undefined) {
      await watch.cancel();
    }
  }

  private clearListeners(): void {
    this.electedListeners.clear();
    this.lostListeners.clear();
  }

  /** Calls a listener, logging what it throws so one faulty listener cannot stop the others. */
  private notify(event: 'elected' | 'lost', call: () => void): void {
    try {
      call();
    } catch (error: unknown) {
      this.parts.logger.error(
        `A ${event} listener of election ${this.election} threw: ${describeError(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }
  }
}
