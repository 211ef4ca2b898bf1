import { mkdtempSync, rmSync, utimesSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { AgentEvent } from '@ects/domain';
import { afterEach, describe, expect, it } from 'vitest';

import { TestLogger } from '../../test/support/test-logger';
import { EventSpool } from './spool';

const directories: string[] = [];

function spoolDir(): string {
  const directory = mkdtempSync(join(tmpdir(), 'ects-spool-age-'));
  directories.push(directory);

  return directory;
}

const event: AgentEvent = {
  type: 'run.finished',
  runId: 'run-1',
  status: 'succeeded',
  finishedAt: '',
  exitSummary: '',
};

afterEach(() => {
  for (const directory of directories.splice(0)) {
    rmSync(directory, { recursive: true, force: true });
  }
});

describe('spool age', () => {
  it('is zero when nothing is pending', () => {
    let now = 1_000_000;
    const spool = EventSpool.open(spoolDir(), { logger: new TestLogger(), now: () => now });

    spool.append(event);
    spool.ack(1);
    now += 60_000;

    expect(spool.oldestPendingAgeMs()).toBe(0);
    spool.close();
  });

  it('follows the oldest unacknowledged event', () => {
    let now = 1_000_000;
    const spool = EventSpool.open(spoolDir(), { logger: new TestLogger(), now: () => now });

    spool.append(event);
    now += 5_000;
    spool.append(event);
    now += 5_000;
    spool.append(event);
    now += 1_000;

    expect(spool.oldestPendingAgeMs()).toBe(11_000);
    spool.ack(1);
    expect(spool.oldestPendingAgeMs()).toBe(6_000);
    spool.ack(2);
    expect(spool.oldestPendingAgeMs()).toBe(1_000);
    spool.close();
  });

  it('dates recovered events by their segment', () => {
    const directory = spoolDir();
    const first = EventSpool.open(directory, { logger: new TestLogger() });
    first.append(event);
    first.close();
    const segment = join(directory, readdirSync(directory).find((name) => name.startsWith('segment-')) ?? '');
    const writtenAt = Date.now() - 120_000;
    utimesSync(segment, writtenAt / 1000, writtenAt / 1000);

    const reopened = EventSpool.open(directory, { logger: new TestLogger() });

    expect(reopened.pendingCount).toBe(1);
    expect(reopened.oldestPendingAgeMs()).toBeGreaterThanOrEqual(119_000);
    reopened.close();
  });
});
