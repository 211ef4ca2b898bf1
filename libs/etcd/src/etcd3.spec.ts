import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type EtcdServer, startEtcd } from '../../../tools/test/etcd.mjs';
import { type ContractStore, describeCoordinationContract, recordingLogger } from './coordination.contract';
import type { WatchEvent } from './coordination';
import { Etcd3Coordination } from './etcd3';
import { EtcdKeys } from './keys';

const logger = recordingLogger();

describeCoordinationContract('Etcd3Coordination', async () => {
  // Tests that compact or restart always get a server of their own, even when a shared one is given.
  const own = await startEtcd();
  const sharedEndpoints = process.env.ECTS_TEST_ETCD_ENDPOINTS ?? own.endpoint;
  const storeAt = (endpoints: string): ContractStore => ({
    connect: (keys: EtcdKeys) => Promise.resolve(new Etcd3Coordination({ endpoints, keys, logger })),
  });

  return {
    shared: () => Promise.resolve(storeAt(sharedEndpoints)),
    private: () =>
      Promise.resolve({
        ...storeAt(own.endpoint),
        compact: async (revision: number) => {
          const admin = new Etcd3Coordination({ endpoints: own.endpoint, logger });
          try {
            await admin.compact(revision);
          } finally {
            await admin.close();
          }
        },
        server: { stop: () => own.stop(), start: () => own.start() },
      }),
    dispose: () => own.destroy(),
  };
});

describe('Etcd3Coordination outages', () => {
  let server: EtcdServer;
  const keys = new EtcdKeys('/ects-test/outage');

  beforeAll(async () => {
    server = await startEtcd();
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('fires lost when an outage outlasts the TTL', async () => {
    const client = new Etcd3Coordination({ endpoints: server.endpoint, keys, logger });
    const lease = await client.grantLease(1);
    await client.put(keys.node('n1'), 'registered', { lease });
    const lostAt = new Promise<number>((resolve) => lease.onLost(() => resolve(Date.now())));

    const stoppedAt = Date.now();
    await server.stop();

    // The lease may already be gone on the server one TTL after the last renewal, so lost must not wait for etcd3's 2 x TTL.
    const delay = (await lostAt) - stoppedAt;
    expect(delay).toBeLessThan(1_500);
    expect(lease.state).toBe('lost');

    await server.start();
    const replacement = await client.grantLease(1);
    await client.put(keys.node('n1'), 'registered again', { lease: replacement });
    expect((await client.get(keys.node('n1')))?.leaseId).toBe(replacement.id);
    await client.close();
  });

  it('rejects with unavailable while etcd is down', async () => {
    const client = new Etcd3Coordination({ endpoints: server.endpoint, keys, logger, requestTimeoutMs: 1_000 });
    await client.put(keys.node('n2'), 'v');
    await server.kill();

    try {
      await expect(client.get(keys.node('n2'))).rejects.toMatchObject({ code: 'COORDINATION_UNAVAILABLE' });
    } finally {
      await server.start();
    }

    const started = Date.now();
    let value: string | undefined;
    while (value === undefined && Date.now() - started < 5_000) {
      value = await client.get(keys.node('n2')).then(
        (entry) => entry?.value,
        () => undefined,
      );
    }
    expect(value).toBe('v');
    await client.close();
  });

  it('resumes a watch across a kill', async () => {
    const client = new Etcd3Coordination({ endpoints: server.endpoint, keys, logger });
    const events: WatchEvent[] = [];
    const snapshot = await client.getPrefix(keys.commandsPrefix('n3'));
    await client.watchPrefix(
      keys.commandsPrefix('n3'),
      { onEvent: (event) => events.push(event), onReset: () => undefined },
      { fromRevision: snapshot.revision + 1 },
    );

    await client.put(keys.command('n3', 'a'), '1');
    await server.kill();
    await server.start();

    const writer = new Etcd3Coordination({ endpoints: server.endpoint, keys, logger });
    for (const id of ['b', 'c']) {
      await writer.put(keys.command('n3', id), id);
    }

    const deadline = Date.now() + 5_000;
    while (events.length < 3 && Date.now() < deadline) {
      await sleep(20);
    }
    expect(events.map((event) => event.key)).toEqual(['a', 'b', 'c'].map((id) => keys.command('n3', id)));
    await Promise.all([client.close(), writer.close()]);
  });

  it('keeps catch-up events across a reconnect', async () => {
    const client = new Etcd3Coordination({ endpoints: server.endpoint, keys, logger });
    const prefix = keys.commandsPrefix('n4');
    const snapshot = await client.getPrefix(prefix);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    for (const id of ids) {
      await client.put(keys.command('n4', id), id);
    }

    // etcd sends the history of a watch that starts in the past up to 100 ms after accepting it, so
    // a kill right away breaks the stream before that history arrives.
    const events: WatchEvent[] = [];
    await client.watchPrefix(
      prefix,
      { onEvent: (event) => events.push(event), onReset: () => undefined },
      { fromRevision: snapshot.revision + 1 },
    );
    await server.kill();
    await server.start();

    const deadline = Date.now() + 5_000;
    while (events.length < ids.length && Date.now() < deadline) {
      await sleep(20);
    }
    expect(events.map((event) => event.key)).toEqual(ids.map((id) => keys.command('n4', id)));
    await client.close();
  });
});
