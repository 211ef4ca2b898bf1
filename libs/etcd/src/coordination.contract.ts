import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { Campaign, Coordination, Lease, WatchEvent } from './coordination';
import {
  type CoordinationError,
  CoordinationError as CoordinationErrorClass,
  LeaseLostError,
  WatchResetError,
} from './errors';
import { EtcdKeys } from './keys';
import type { CoordinationLogger } from './logger';

/** A store the contract tests can open clients on. */
export interface ContractStore {
  /** Opens a new client, like a separate process would; its elections live under `keys`. */
  connect(keys: EtcdKeys): Promise<Coordination>;
}

/** A store that only the tests of one suite use, so they may compact or restart it. */
export interface PrivateContractStore extends ContractStore {
  /** Compacts the history before `revision`. */
  compact(revision: number): Promise<void>;
  /** Server control, absent for in-process stores. */
  server?: {
    /** Stops the server and waits for it to exit. */
    stop(): Promise<void>;
    /** Starts the server on the same address and data, and waits until it is healthy. */
    start(): Promise<void>;
  };
}

/** Stores and cleanup that one adapter's spec passes to the contract suite. */
export interface ContractTarget {
  shared(): Promise<ContractStore>;
  private(): Promise<PrivateContractStore>;
  dispose(): Promise<void>;
}

/** Creates a logger that keeps its lines in memory, so adapters under test do not flood the test output. */
export function recordingLogger(): CoordinationLogger & { lines: string[] } {
  const lines: string[] = [];

  return {
    lines,
    log: (message) => lines.push(`log ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
    error: (message) => lines.push(`error ${message}`),
  };
}

/** Collects watch events and resets, with waits that fail with what arrived so far. */
class WatchRecorder {
  readonly events: WatchEvent[] = [];
  readonly resets: WatchResetError[] = [];

  readonly handlers = {
    onEvent: (event: WatchEvent): void => {
      this.events.push(event);
    },
    onReset: (error: WatchResetError): void => {
      this.resets.push(error);
    },
  };

  async waitForEvents(count: number, timeoutMs = 5_000): Promise<WatchEvent[]> {
    await waitFor(
      () => this.events.length >= count,
      timeoutMs,
      () => `${count} events, got ${JSON.stringify(this.events)}`,
    );

    return this.events;
  }

  async waitForReset(timeoutMs = 5_000): Promise<WatchResetError> {
    await waitFor(
      () => this.resets.length > 0,
      timeoutMs,
      () => 'a watch reset',
    );

    return this.resets[0];
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;

  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${describe()}`);
    }
    await sleep(20);
  }
}

/** Resolves with the lease's loss, or rejects when it does not come within the timeout. */
function lost(lease: Lease, timeoutMs: number): Promise<LeaseLostError> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Lease ${lease.id} was not lost within ${timeoutMs} ms`)),
      timeoutMs,
    );
    lease.onLost((error) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

function elected(campaign: Campaign, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${campaign.key} was not elected within ${timeoutMs} ms`)),
      timeoutMs,
    );
    campaign.onElected(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function campaignLost(campaign: Campaign, timeoutMs: number): Promise<CoordinationError> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${campaign.key} was not lost within ${timeoutMs} ms`)), timeoutMs);
    campaign.onLost((error) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

/** Retries an operation until it succeeds, returning how long that took. */
async function timeUntilSuccess(operation: () => Promise<unknown>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let lastError: unknown;

  while (Date.now() - started < timeoutMs) {
    try {
      await operation();
      return Date.now() - started;
    } catch (error: unknown) {
      lastError = error;
      await sleep(50);
    }
  }

  throw new Error(`Operation kept failing for ${timeoutMs} ms; last error: ${String(lastError)}`);
}

/**
 * Runs the behaviour every Coordination adapter must share against one adapter. The in-process and
 * etcd3 specs call it, so embedded mode and distributed mode cannot drift apart.
 */
export function describeCoordinationContract(name: string, createTarget: () => Promise<ContractTarget>): void {
  describe(`${name} coordination contract`, () => {
    let target: ContractTarget;
    let clients: Coordination[] = [];
    let keys: EtcdKeys;

    const connect = async (store?: ContractStore): Promise<Coordination> => {
      const client = await (store ?? (await target.shared())).connect(keys);
      clients.push(client);

      return client;
    };

    beforeAll(async () => {
      target = await createTarget();
    });

    afterAll(async () => {
      await target?.dispose();
    });

    beforeEach(() => {
      // Each test gets its own namespace, so tests on a shared etcd never see each other's keys.
      keys = new EtcdKeys(`/ects-test/${randomUUID()}`);
    });

    afterEach(async () => {
      await Promise.all(clients.map((client) => client.close()));
      clients = [];

      // Leave nothing behind on a shared etcd that other test runs use.
      const cleaner = await (await target.shared()).connect(keys);
      try {
        await cleaner.deletePrefix(keys.root());
      } finally {
        await cleaner.close();
      }
    });

    it('puts, gets and reads a prefix', async () => {
      const client = await connect();
      const nodeA = keys.node('a');
      const nodeB = keys.node('b');

      const firstRevision = await client.put(nodeB, '{"name":"b"}');
      const secondRevision = await client.put(nodeA, '{"name":"a"}');
      await client.put(keys.assignment('a', 'p1'), '{}');

      expect(secondRevision).toBeGreaterThan(firstRevision);

      const a = await client.get(nodeA);
      expect(a?.value).toBe('{"name":"a"}');
      expect(a?.createRevision).toBe(secondRevision);
      expect(a?.modRevision).toBe(secondRevision);
      expect(a?.version).toBe(1);
      expect(a?.leaseId).toBeUndefined();
      expect(await client.get(keys.node('missing'))).toBeUndefined();

      const snapshot = await client.getPrefix(keys.nodesPrefix());
      expect(snapshot.entries.map((entry) => entry.key)).toEqual([nodeA, nodeB]);
      expect(snapshot.revision).toBeGreaterThanOrEqual(secondRevision + 1);

      const updateRevision = await client.put(nodeA, '{"name":"a2"}');
      const updated = await client.get(nodeA);
      expect(updated?.value).toBe('{"name":"a2"}');
      expect(updated?.createRevision).toBe(secondRevision);
      expect(updated?.modRevision).toBe(updateRevision);
      expect(updated?.version).toBe(2);
    });

    it('deletes a key and a prefix', async () => {
      const client = await connect();
      await client.put(keys.assignment('n1', 'p1'), '1');
      await client.put(keys.assignment('n1', 'p2'), '2');
      await client.put(keys.assignment('n10', 'p1'), '3');

      expect(await client.delete(keys.assignment('n1', 'p1'))).toBe(true);
      expect(await client.delete(keys.assignment('n1', 'p1'))).toBe(false);
      expect(await client.get(keys.assignment('n1', 'p1'))).toBeUndefined();

      await client.put(keys.assignment('n1', 'p3'), '4');
      expect(await client.deletePrefix(keys.assignmentsPrefix('n1'))).toBe(2);
      expect((await client.getPrefix(keys.assignmentsPrefix('n1'))).entries).toEqual([]);
      expect((await client.get(keys.assignment('n10', 'p1')))?.value).toBe('3');
    });

    it('rejects empty keys and prefixes', async () => {
      const client = await connect();

      await expect(client.get('')).rejects.toMatchObject({ code: 'COORDINATION_KEY_INVALID' });
      await expect(client.deletePrefix('')).rejects.toMatchObject({ code: 'COORDINATION_KEY_INVALID' });
      await expect(client.grantLease(0)).rejects.toMatchObject({ code: 'COORDINATION_ARGUMENT_INVALID' });
    });

    it('createIfAbsent has exactly one winner', async () => {
      const clients = await Promise.all([connect(), connect(), connect()]);
      const lock = keys.lock('pipeline-1', new Date('2026-01-01T00:00:00Z'));
      const attempts = Array.from({ length: 12 }, (_, index) =>
        clients[index % clients.length].createIfAbsent(lock, `agent-${index}`),
      );

      const results = await Promise.all(attempts);
      const winners = results.flatMap((result, index) => (result.created ? [`agent-${index}`] : []));
      expect(winners).toHaveLength(1);

      const stored = await clients[0].get(lock);
      expect(stored?.value).toBe(winners[0]);
      for (const result of results) {
        if (!result.created) {
          expect(result.existing.value).toBe(winners[0]);
          expect(result.existing.createRevision).toBe(stored?.createRevision);
        }
      }
    });

    it('watch from a revision misses nothing', async () => {
      const reader = await connect();
      const writer = await connect();
      const prefix = keys.assignmentsPrefix('node-1');

      await writer.put(keys.assignment('node-1', 'before'), 'old');
      const snapshot = await reader.getPrefix(prefix);

      // These writes land between the read and the watch, which must still report them.
      await writer.put(keys.assignment('node-1', 'between'), 'b');
      await writer.delete(keys.assignment('node-1', 'before'));

      const recorder = new WatchRecorder();
      await reader.watchPrefix(prefix, recorder.handlers, { fromRevision: snapshot.revision + 1 });
      await writer.put(keys.assignment('node-1', 'after'), 'a');
      await writer.put(keys.assignment('node-2', 'elsewhere'), 'x');

      const events = await recorder.waitForEvents(3);
      await sleep(100);
      expect(events.map((event) => [event.type, event.key])).toEqual([
        ['put', keys.assignment('node-1', 'between')],
        ['delete', keys.assignment('node-1', 'before')],
        ['put', keys.assignment('node-1', 'after')],
      ]);
      expect(events[0]).toMatchObject({ type: 'put', value: 'b' });
      expect(events[0].modRevision).toBeGreaterThan(snapshot.revision);
      expect(events[1].modRevision).toBeGreaterThan(events[0].modRevision);
      expect(events[2].modRevision).toBeGreaterThan(events[1].modRevision);
      expect(recorder.resets).toEqual([]);
    });

    it('watch without revision reports later writes', async () => {
      const client = await connect();
      await client.put(keys.command('n', 'old'), 'old');

      const recorder = new WatchRecorder();
      const watch = await client.watchPrefix(keys.commandsPrefix('n'), recorder.handlers);
      const revision = await client.put(keys.command('n', 'new'), 'run');

      const events = await recorder.waitForEvents(1);
      expect(events).toEqual([
        { type: 'put', key: keys.command('n', 'new'), value: 'run', createRevision: revision, modRevision: revision },
      ]);

      await watch.cancel();
      await client.put(keys.command('n', 'ignored'), 'x');
      await sleep(200);
      expect(recorder.events).toHaveLength(1);
    });

    it('delete-prefix events share one revision', async () => {
      const client = await connect();
      await client.put(keys.command('n', 'a'), '1');
      await client.put(keys.command('n', 'b'), '2');

      const recorder = new WatchRecorder();
      await client.watchPrefix(keys.commandsPrefix('n'), recorder.handlers);
      await client.deletePrefix(keys.commandsPrefix('n'));

      const events = await recorder.waitForEvents(2);
      expect(events.map((event) => event.type)).toEqual(['delete', 'delete']);
      expect(events[0].modRevision).toBe(events[1].modRevision);
    });

    it('lease expiry deletes keys and fires lost', async () => {
      const client = await connect();
      const lease = await client.grantLease(1, { keepAlive: false });
      const key = keys.command('n', 'expiring');
      const lostPromise = lost(lease, 5_000);

      await client.put(key, 'kill', { lease });
      expect((await client.get(key))?.leaseId).toBe(lease.id);

      const error = await lostPromise;
      expect(error).toBeInstanceOf(LeaseLostError);
      expect(error.leaseId).toBe(lease.id);
      expect(lease.state).toBe('lost');
      expect(await client.get(key)).toBeUndefined();
      await expect(client.put(key, 'again', { lease })).rejects.toMatchObject({ code: 'COORDINATION_LEASE_LOST' });

      // A listener added after the loss still hears of it.
      await expect(lost(lease, 1_000)).resolves.toBeInstanceOf(LeaseLostError);
    });

    it('kept-alive lease outlives its TTL', async () => {
      const client = await connect();
      const lease = await client.grantLease(1);
      const key = keys.node('alive');
      let lostCalls = 0;
      lease.onLost(() => {
        lostCalls += 1;
      });

      await client.put(key, 'registered', { lease });
      await sleep(2_500);

      expect(lease.state).toBe('alive');
      expect((await client.get(key))?.value).toBe('registered');

      await lease.revoke();
      expect(lease.state).toBe('revoked');
      expect(await client.get(key)).toBeUndefined();
      expect(lostCalls).toBe(0);
    });

    it('rejects a lease from another client kind', async () => {
      const client = await connect();
      const foreign: Lease = {
        id: '1',
        ttlSeconds: 10,
        keepAlive: true,
        state: 'alive',
        onLost: () => () => undefined,
        revoke: () => Promise.resolve(),
      };

      await expect(client.put(keys.node('x'), 'v', { lease: foreign })).rejects.toMatchObject({
        code: 'COORDINATION_ARGUMENT_INVALID',
      });
    });

    it('election has one leader, resign hands over', async () => {
      const first = await connect();
      const second = await connect();
      const third = await connect();

      const campaignA = await first.campaign('api', 'replica-a');
      await elected(campaignA, 5_000);
      const campaignB = await second.campaign('api', 'replica-b');
      const campaignC = await third.campaign('api', 'replica-c');
      await sleep(300);

      expect(campaignA.isLeader).toBe(true);
      expect(campaignB.isLeader).toBe(false);
      expect(campaignC.isLeader).toBe(false);
      expect(await third.leader('api')).toMatchObject({ key: campaignA.key, value: 'replica-a' });
      expect(keys.parseElectionCandidate(campaignA.key).election).toBe('api');

      const handover = elected(campaignB, 5_000);
      await campaignA.resign();
      await handover;

      expect(campaignA.state).toBe('resigned');
      expect(campaignB.isLeader).toBe(true);
      expect(campaignC.isLeader).toBe(false);
      expect(await first.leader('api')).toMatchObject({ key: campaignB.key, value: 'replica-b' });

      const secondHandover = elected(campaignC, 5_000);
      await campaignB.resign();
      await secondHandover;
      await campaignC.resign();
      expect(await first.leader('api')).toBeUndefined();
    });

    it('election moves on when the leader lease is lost', async () => {
      const first = await connect();
      const second = await connect();
      const shortLease = await first.grantLease(1, { keepAlive: false });

      const leader = await first.campaign('api', 'replica-a', { lease: shortLease });
      await elected(leader, 5_000);
      const follower = await second.campaign('api', 'replica-b');
      const leaderLost = campaignLost(leader, 6_000);
      const followerElected = elected(follower, 6_000);

      // Whether the expired lease or the deletion of the candidate key is noticed first depends on
      // timing, and either one ends the campaign.
      const error = await leaderLost;
      expect(error).toBeInstanceOf(CoordinationErrorClass);
      expect(['COORDINATION_LEASE_LOST', 'COORDINATION_CAMPAIGN_LOST']).toContain(error.code);
      expect(leader.state).toBe('lost');

      await followerElected;
      expect(follower.isLeader).toBe(true);
      expect(await second.leader('api')).toMatchObject({ value: 'replica-b' });
    });

    it('election reports a deleted candidate key', async () => {
      const first = await connect();
      const second = await connect();

      const leader = await first.campaign('api', 'replica-a');
      await elected(leader, 5_000);
      const follower = await second.campaign('api', 'replica-b');
      const leaderLost = campaignLost(leader, 5_000);
      const followerElected = elected(follower, 5_000);

      await second.delete(leader.key);

      expect((await leaderLost).code).toBe('COORDINATION_CAMPAIGN_LOST');
      await followerElected;
    });

    it('compaction resets a watch from an old revision', async () => {
      const store = await target.private();
      const client = await connect(store);
      const prefix = keys.commandsPrefix('n');

      const firstRevision = await client.put(keys.command('n', 'c1'), '1');
      await client.put(keys.command('n', 'c2'), '2');
      const lastRevision = await client.put(keys.command('n', 'c3'), '3');
      await store.compact(lastRevision);

      const stale = new WatchRecorder();
      await client.watchPrefix(prefix, stale.handlers, { fromRevision: firstRevision });
      const reset = await stale.waitForReset();

      expect(reset).toBeInstanceOf(WatchResetError);
      expect(reset.code).toBe('COORDINATION_WATCH_RESET');
      expect(reset.reason).toBe('compacted');
      expect(reset.prefix).toBe(prefix);

      // The caller recovers by reading again and watching from after that read.
      const snapshot = await client.getPrefix(prefix);
      expect(snapshot.entries).toHaveLength(3);
      const fresh = new WatchRecorder();
      await client.watchPrefix(prefix, fresh.handlers, { fromRevision: snapshot.revision + 1 });
      await client.put(keys.command('n', 'c4'), '4');
      expect((await fresh.waitForEvents(1))[0]).toMatchObject({ key: keys.command('n', 'c4') });
      await sleep(100);
      expect(stale.events).toEqual([]);
      expect(stale.resets).toHaveLength(1);
    });

    it('recovers after the server restarts', async (context) => {
      const store = await target.private();
      const server = store.server;
      if (server === undefined) {
        context.skip();
        return;
      }

      const watcher = await connect(store);
      const writer = await connect(store);
      const lease = await watcher.grantLease(10);
      let lostCalls = 0;
      lease.onLost(() => {
        lostCalls += 1;
      });
      await watcher.put(keys.node('n1'), 'registered', { lease });

      const recorder = new WatchRecorder();
      await watcher.watchPrefix(keys.commandsPrefix('n1'), recorder.handlers);
      await writer.put(keys.command('n1', 'before'), 'b');
      await recorder.waitForEvents(1);

      await server.stop();

      // Failing writes during the outage open the client's circuit breaker, which must not keep
      // writes failing for long once the server is back.
      const outageEnds = Date.now() + 1_000;
      while (Date.now() < outageEnds) {
        await expect(writer.put(keys.command('n1', 'during'), 'd')).rejects.toMatchObject({
          code: 'COORDINATION_UNAVAILABLE',
        });
        await sleep(50);
      }

      await server.start();

      const writeDelay = await timeUntilSuccess(() => writer.put(keys.command('n1', 'after'), 'a'), 10_000);
      const events = await recorder.waitForEvents(2, 5_000);
      expect(events.map((event) => event.key)).toEqual([keys.command('n1', 'before'), keys.command('n1', 'after')]);
      expect(writeDelay).toBeLessThan(2_500);

      const readDelay = await timeUntilSuccess(() => watcher.get(keys.node('n1')), 5_000);
      expect(readDelay).toBeLessThan(2_500);
      expect((await watcher.get(keys.node('n1')))?.value).toBe('registered');
      expect(lease.state).toBe('alive');
      expect(lostCalls).toBe(0);
    });
  });
}
