import { spawn } from 'node:child_process';
import { join } from 'node:path';

import type { TaskSnapshot } from '@ects/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AgentWorld } from '../test/support/agent-harness';
import { finishedRuns, pipeline, runsOf } from '../test/support/fixtures';
import { TestApi } from '../test/support/test-api';
import { delay, waitUntil } from '../test/support/wait';
import { EventSpool } from './reporting/spool';

let world: AgentWorld;

beforeEach(() => {
  world = new AgentWorld();
});

afterEach(async () => {
  await world.cleanUp();
});

/** Returns a port on 127.0.0.1 with nothing listening, where an API can be started later. */
async function unusedPort(): Promise<number> {
  const api = await TestApi.start();
  await api.close();

  return api.port;
}

/** Checks that a node's events arrived as seq 1..n, each once. */
function expectCompleteOnce(api: TestApi, nodeId: string): number[] {
  const seqs = api.receivedSeqs(nodeId);
  const sorted = [...seqs].sort((a, b) => a - b);

  expect(new Set(seqs).size).toBe(seqs.length);
  expect(sorted).toEqual(Array.from({ length: sorted.length }, (_, index) => index + 1));

  return sorted;
}

describe('reporting', () => {
  it('replays the spool once the API is back', async () => {
    const port = await unusedPort();
    const { agent, nodeId } = await world.startAgent(`http://127.0.0.1:${port}`);
    const every = pipeline([nodeId], {}, ['echo offline']);
    await world.assign(nodeId, every);
    await delay(2_500);
    await world.assign(nodeId, { ...every, enabled: false });
    await waitUntil(() => agent.activeRuns().length === 0, 3_000, 'runs to end');

    const api = await world.startApi(port);
    await api.waitFor((events) => finishedRuns(events, every.id).length >= 2, 15_000, 'the replayed runs');
    await delay(300);

    const seqs = expectCompleteOnce(api, nodeId);
    expect(seqs.length).toBeGreaterThanOrEqual(10);
    expect(finishedRuns(api.events(nodeId), every.id).every((run) => run.steps.get(0)?.output === 'offline\n')).toBe(
      true,
    );
  });

  it('sends the spool of a stopped agent after restart', async () => {
    const port = await unusedPort();
    const first = await world.startAgent(`http://127.0.0.1:${port}`, {
      nodeId: 'node-restart',
      spoolFlushTimeoutMs: 100,
    });
    const every = pipeline(['node-restart'], {}, ['echo before restart']);
    await world.assign('node-restart', every);
    await delay(2_200);
    await first.agent.stop();

    const api = await world.startApi(port);
    await world.startAgent(api.url, { nodeId: 'node-restart', stateDir: first.stateDir });
    await api.waitFor(
      (events) =>
        [...runsOf(events, every.id).values()].filter((run) => run.steps.get(0)?.output === 'before restart\n')
          .length >= 2,
      10_000,
      'runs from before the restart',
    );
    await api.waitFor((events) => finishedRuns(events, every.id).length >= 4, 10_000, 'runs after the restart');
    await delay(300);

    expectCompleteOnce(api, 'node-restart');
  });

  it('loses no event when the agent is killed', async () => {
    const port = await unusedPort();
    const stateDir = world.newStateDir();
    const child = spawn(
      process.execPath,
      [
        '-r',
        join(__dirname, '../test/support/register-ts.js'),
        join(__dirname, '../test/support/agent-child.ts'),
        stateDir,
        `http://127.0.0.1:${port}`,
        'node-crash',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const pipelineId = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => {
        const match = /started (\S+)/.exec(data.toString());
        if (match !== null) {
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`agent child exited with ${code}: ${stderr}`)));
    });

    // Kill the agent while it fires every second, most likely in the middle of a run.
    await delay(3_300);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const spool = EventSpool.open(join(stateDir, 'spool'), { logger: world.createAgent('http://127.0.0.1:1').logger });
    const spooled = spool.lastSeq;
    spool.close();

    const api = await world.startApi(port);
    await world.startAgent(api.url, { nodeId: 'node-crash', stateDir });
    await waitUntil(() => api.receivedSeqs('node-crash').length >= spooled, 10_000, 'the spool of the killed agent');
    await delay(300);

    const seqs = expectCompleteOnce(api, 'node-crash');
    expect(seqs.length).toBe(spooled);
    expect(finishedRuns(api.events('node-crash'), pipelineId).length).toBeGreaterThanOrEqual(2);
  });

  it('sends mail through the API', async () => {
    const api = await world.startApi();
    const { nodeId } = await world.startAgent(api.url);
    const mail: TaskSnapshot = {
      id: 'task-mail',
      name: 'report',
      kind: 'mail',
      config: {
        to: ['ops@example.com'],
        cc: ['lead@example.com'],
        subject: '[{{status}}] {{pipeline}}',
        body: 'Run {{run}} on {{node}}',
      },
    };
    const mailer = pipeline([nodeId], { name: 'nightly', cron: '0 0 1 1 *' });
    mailer.steps = [{ ...mailer.steps[0], task: mail }];

    await world.command(nodeId, {
      type: 'run',
      commandId: 'command-mail',
      runId: 'run-mail-1',
      pipeline: mailer,
      trigger: 'manual',
      triggeredBy: 'alice',
      requestedAt: new Date().toISOString(),
    });
    await api.waitFor((events) => runsOf(events).get('run-mail-1')?.finished !== undefined, 5_000, 'the mail run');

    expect(api.mails).toEqual([
      {
        to: ['ops@example.com'],
        cc: ['lead@example.com'],
        subject: '[running] nightly',
        body: `Run run-mail-1 on ${nodeId}-name`,
      },
    ]);
    expect(runsOf(api.events(nodeId)).get('run-mail-1')?.finished?.status).toBe('succeeded');
  });
});
