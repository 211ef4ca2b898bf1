import { startEtcd, type EtcdServer } from '../../../../tools/test/etcd.mjs';

/**
 * Returns an etcd endpoint for a test file: the one `npm test` started, or a server of the file's own
 * when Vitest runs alone. Tests that stop or restart etcd must start their own with startEtcd().
 */
export async function sharedEtcd(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const endpoint = process.env['ECTS_TEST_ETCD_ENDPOINTS'];
  if (endpoint) {
    return { endpoint, close: () => Promise.resolve() };
  }

  const server: EtcdServer = await startEtcd();

  return { endpoint: server.endpoint, close: () => server.destroy() };
}
