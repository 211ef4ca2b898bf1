import { setTimeout as sleep } from 'node:timers/promises';

import { describe, expect, it } from 'vitest';

import { type ContractStore, describeCoordinationContract, recordingLogger } from './coordination.contract';
import type { WatchEvent } from './coordination';
import type { WatchResetError } from './errors';
import { EtcdKeys } from './keys';
import { MemoryCoordination, MemoryStore } from './memory';

describeCoordinationContract('MemoryCoordination', () => {
  const shared = new MemoryStore();
  const logger = recordingLogger();
  const storeFor = (store: MemoryStore): ContractStore => ({
    connect: (keys) => Promise.resolve(new MemoryCoordination({ store, keys, logger })),
  });

  return Promise.resolve({
    shared: () => Promise.resolve(storeFor(shared)),
    private: () => {
      const store = new MemoryStore();

      return Promise.resolve({
        ...storeFor(store),
        compact: (revision: number) => Promise.resolve(store.compact(revision)),
      });
    },
    dispose: () => Promise.resolve(),
  });
});

describe('MemoryCoordination', () => {
  const keys = new EtcdKeys('/ects-test');

  it('expires kept-alive leases after close', async () => {
    const store = new MemoryStore();
    const owner = new MemoryCoordination({ store, keys, logger: recordingLogger() });
    const observer = new MemoryCoordination({ store, keys, logger: recordingLogger() });
    const lease = await owner.grantLease(1);
    await owner.put(keys.node('n1'), 'registered', { lease });

    await owner.close();
    expect((await observer.get(keys.node('n1')))?.value).toBe('registered');

    await sleep(1_300);
    expect(await observer.get(keys.node('n1'))).toBeUndefined();
    expect(store.hasLease(lease.id)).toBe(false);
    await observer.close();
  });

  it('rejects calls after close', async () => {
    const client = new MemoryCoordination({ keys, logger: recordingLogger() });
    await client.close();

    await expect(client.get(keys.node('n1'))).rejects.toMatchObject({ code: 'COORDINATION_CLOSED' });
  });

  it('compacts history past its limit', async () => {
    const store = new MemoryStore({ historyLimit: 3 });
    const client = new MemoryCoordination({ store, keys, logger: recordingLogger() });
    const first = await client.put(keys.node('a'), '1');
    for (let index = 0; index < 4; index += 1) {
      await client.put(keys.node('a'), String(index + 2));
    }

    expect(store.compactRevision).toBeGreaterThan(first);

    const resets: WatchResetError[] = [];
    const events: WatchEvent[] = [];
    await client.watchPrefix(
      keys.nodesPrefix(),
      { onEvent: (event) => events.push(event), onReset: (error) => resets.push(error) },
      { fromRevision: first },
    );
    await sleep(20);
    expect(resets.map((reset) => reset.reason)).toEqual(['compacted']);

    await client.watchPrefix(
      keys.nodesPrefix(),
      { onEvent: (event) => events.push(event), onReset: (error) => resets.push(error) },
      { fromRevision: store.compactRevision },
    );
    await sleep(20);
    expect(events).toHaveLength(3);
    await client.close();
  });

  it('resets a lagging watch on compaction', async () => {
    const store = new MemoryStore();
    const client = new MemoryCoordination({ store, keys, logger: recordingLogger() });
    const resets: WatchResetError[] = [];
    const events: WatchEvent[] = [];
    await client.watchPrefix(keys.nodesPrefix(), {
      onEvent: (event) => events.push(event),
      onReset: (error) => resets.push(error),
    });

    // Both writes and the compaction happen before the watch gets to deliver anything.
    await client.put(keys.node('a'), '1');
    const second = await client.put(keys.node('b'), '2');
    await client.compact(second);
    await sleep(20);

    expect(events).toEqual([]);
    expect(resets).toHaveLength(1);
    expect(resets[0].compactRevision).toBe(second);
    await client.close();
  });
});
