import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { AgentEvent } from '@ects/domain';
import { afterEach, describe, expect, it } from 'vitest';

import { TestApi } from '../../test/support/test-api';
import { TestLogger } from '../../test/support/test-logger';
import { waitUntil } from '../../test/support/wait';
import { Reporter } from './reporter';
import { EventSpool } from './spool';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

function outputEvent(index: number): AgentEvent {
  return {
    type: 'step.output',
    runId: 'run-1',
    position: 0,
    chunks: [{ sequence: index, stream: 'stdout', data: `line ${index}\n` }],
  };
}

function setUp(apiUrl: string, credential = 'secret'): { spool: EventSpool; reporter: Reporter; logger: TestLogger } {
  const directory = mkdtempSync(join(tmpdir(), 'ects-reporter-'));
  const logger = new TestLogger();
  const spool = EventSpool.open(directory, { logger });
  const reporter = new Reporter({ apiUrl, auth: { nodeId: 'node-r', credential }, spool, logger });
  cleanups.push(() => {
    reporter.close();
    spool.close();
    rmSync(directory, { recursive: true, force: true });
  });

  return { spool, reporter, logger };
}

async function startApi(port?: number): Promise<TestApi> {
  const api = await TestApi.start(port === undefined ? {} : { port });
  cleanups.push(() => api.close());

  return api;
}

describe('Reporter', () => {
  it('delivers thousands of events per second', async () => {
    const api = await startApi();
    const { spool, reporter } = setUp(api.url);
    reporter.start();
    await waitUntil(() => reporter.connected, 5_000, 'the connection');

    const count = 50_000;
    const started = performance.now();
    for (let index = 0; index < count; index += 1) {
      spool.append(outputEvent(index));
    }
    await waitUntil(() => spool.ackedSeq === count, 30_000, 'every acknowledgement');
    const perSecond = count / ((performance.now() - started) / 1000);

    console.log(
      `reporter: ${count} events acknowledged at ${Math.round(perSecond)} events/s in ${api.batches} batches`,
    );
    expect(perSecond).toBeGreaterThan(5_000);
    expect(api.receivedSeqs('node-r')).toEqual(Array.from({ length: count }, (_, index) => index + 1));
  });

  it('resumes after the API restarts', async () => {
    const api = await startApi();
    const { spool, reporter } = setUp(api.url);
    reporter.start();
    for (let index = 0; index < 100; index += 1) {
      spool.append(outputEvent(index));
    }
    await waitUntil(() => spool.ackedSeq === 100, 5_000, 'the first acknowledgements');

    await api.close();
    for (let index = 100; index < 200; index += 1) {
      spool.append(outputEvent(index));
    }
    const restarted = await startApi(api.port);
    await waitUntil(() => spool.ackedSeq === 200, 15_000, 'acknowledgements after the restart');

    expect(restarted.receivedSeqs('node-r')).toEqual(Array.from({ length: 100 }, (_, index) => index + 101));
    expect(spool.pendingCount).toBe(0);
  });

  it('keeps events while the API rejects the credential', async () => {
    const api = await startApi();
    const { spool, reporter, logger } = setUp(api.url, 'wrong');
    reporter.start();
    spool.append(outputEvent(0));

    await waitUntil(() => api.rejectedConnections >= 2, 5_000, 'a retried connection');

    expect(spool.pendingCount).toBe(1);
    expect(
      logger.messages('WARN').filter((line) => line.includes('Connecting to the API failed: invalid node credential')),
    ).toHaveLength(1);
  });

  it('reports whether the spool drained', async () => {
    const api = await startApi();
    const { spool, reporter } = setUp(api.url);
    spool.append(outputEvent(0));

    const before = await reporter.waitUntilDrained(200);
    reporter.start();
    const after = await reporter.waitUntilDrained(5_000);

    expect(before).toBe(false);
    expect(after).toBe(true);
  });
});
