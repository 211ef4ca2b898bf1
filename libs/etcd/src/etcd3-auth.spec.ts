import { execFileSync } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type EtcdServer, startEtcd } from '../../../tools/test/etcd.mjs';
import { recordingLogger } from './coordination.contract';
import { Etcd3Coordination } from './etcd3';
import { EtcdKeys } from './keys';

const PASSWORD = 'etcd-test-password';

describe('Etcd3Coordination with authentication', () => {
  let etcd: EtcdServer;

  beforeAll(async () => {
    etcd = await startEtcd();
    const etcdctl = (...args: string[]): string =>
      execFileSync('etcdctl', [`--endpoints=${etcd.endpoint}`, ...args], {
        encoding: 'utf8',
        env: { ...process.env, ETCDCTL_API: '3' },
      });
    etcdctl('user', 'add', `root:${PASSWORD}`);
    etcdctl('auth', 'enable');
  });

  afterAll(async () => {
    await etcd?.destroy();
  });

  it('reads and writes with a user and password', async () => {
    const keys = new EtcdKeys('/ects-auth');
    const client = new Etcd3Coordination({
      endpoints: etcd.endpoint,
      keys,
      logger: recordingLogger(),
      auth: { username: 'root', password: PASSWORD },
    });
    try {
      await client.put(keys.node('node-a'), 'registered');

      expect((await client.get(keys.node('node-a')))?.value).toBe('registered');
    } finally {
      await client.close();
    }
  });

  it('rejects a client without credentials', async () => {
    const keys = new EtcdKeys('/ects-auth');
    const client = new Etcd3Coordination({
      endpoints: etcd.endpoint,
      keys,
      logger: recordingLogger(),
      requestTimeoutMs: 1_000,
    });
    try {
      await expect(client.put(keys.node('node-b'), 'anonymous')).rejects.toThrow();
    } finally {
      await client.close();
    }
  });
});
