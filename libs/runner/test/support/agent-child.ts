// Child process for the agent crash test: runs an agent on its own in-process etcd store with one
// every-second pipeline, and prints `started` once the agent runs. The parent kills it with SIGKILL.
import { EtcdKeys, MemoryCoordination } from '@ects/etcd';

import { createAgent } from '../../src/agent';
import { pipeline } from './fixtures';
import { TestLogger } from './test-logger';

async function main(): Promise<void> {
  const [stateDir, apiUrl, nodeId] = process.argv.slice(2);
  const keys = new EtcdKeys('/ects-test');
  const coordination = new MemoryCoordination({ keys, logger: new TestLogger() });
  const every = pipeline([nodeId], {}, ['echo tick']);
  await coordination.put(keys.assignment(nodeId, every.id), JSON.stringify(every));

  const agent = createAgent({
    coordination,
    keys,
    logger: new TestLogger(),
    apiUrl,
    identity: { nodeId, credential: 'secret' },
    name: nodeId,
    host: 'test-host',
    labels: {},
    version: '0.0.0-test',
    os: 'linux',
    stateDir,
  });
  await agent.start();
  process.stdout.write(`started ${every.id}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
