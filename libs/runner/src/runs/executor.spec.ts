import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { AgentEvent, MailRequest, PipelineSnapshot, StepStartedEvent, TaskSnapshot } from '@ects/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { pipeline, runsOf, shellTask, step } from '../../test/support/fixtures';
import { TestLogger } from '../../test/support/test-logger';
import { systemClock } from '../clock';
import { NO_RUNNER_METRICS } from '../metrics/runner-metrics';
import { RunExecution, type ExecutorContext } from './executor';

const NODE = 'node-a';
const hooks: Record<string, unknown>[] = [];
let hookServer: Server;
let hookUrl: string;
let scratch: string;

beforeAll(async () => {
  hookServer = createServer((request, response) => {
    let body = '';
    request.on('data', (data: Buffer) => (body += data.toString()));
    request.on('end', () => {
      hooks.push(JSON.parse(body) as Record<string, unknown>);
      response.end();
    });
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
  scratch = mkdtempSync(join(tmpdir(), 'ects-executor-'));
});

afterAll(() => {
  hookServer.closeAllConnections();
  hookServer.close();
  rmSync(scratch, { recursive: true, force: true });
});

interface Execution {
  run: RunExecution;
  events: AgentEvent[];
  mails: MailRequest[];
}

function execute(snapshot: PipelineSnapshot): Execution {
  const events: AgentEvent[] = [];
  const mails: MailRequest[] = [];
  const context: ExecutorContext = {
    nodeId: NODE,
    nodeName: 'web-1',
    clock: systemClock,
    logger: new TestLogger(),
    metrics: NO_RUNNER_METRICS,
    emit: (event) => events.push(event),
    sendMail: (request) => {
      mails.push(request);
      return Promise.resolve({ ok: true, messageId: 'm-1' });
    },
    baseEnvironment: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    killGraceMs: 1_000,
    maxOutputBytesPerStep: 1024 * 1024,
  };
  const run = new RunExecution(
    {
      runId: `run-${Math.random().toString(36).slice(2)}`,
      pipeline: snapshot,
      trigger: 'manual',
      triggeredBy: 'alice',
      scheduledAt: Date.now(),
    },
    context,
  );

  return { run, events, mails };
}

async function finished(snapshot: PipelineSnapshot) {
  const execution = execute(snapshot);
  const status = await execution.run.start();
  const report = runsOf(execution.events).get(execution.run.runId);
  if (report === undefined) {
    throw new Error('The run reported nothing');
  }

  return { status, report, ...execution };
}

function attemptStarts(events: AgentEvent[], position: number): number[] {
  return events
    .filter((event): event is StepStartedEvent => event.type === 'step.started' && event.position === position)
    .map((event) => Date.parse(event.startedAt));
}

function hookTask(name: string): TaskSnapshot {
  return { id: `task-${name}`, name, kind: 'hook', config: { url: hookUrl } };
}

describe('RunExecution', () => {
  it('runs steps in position order', async () => {
    const snapshot = pipeline([NODE]);
    snapshot.steps = [step(1, shellTask('echo second', 'second')), step(0, shellTask('echo first', 'first'))];

    const { status, report, events } = await finished(snapshot);

    const stepStarts = events.filter((event) => event.type === 'step.started').map((event) => event.position);
    expect(status).toBe('succeeded');
    expect(stepStarts).toEqual([0, 1]);
    expect(report.started?.steps.map((plan) => plan.task.name)).toEqual(['first', 'second']);
    expect(report.steps.get(0)?.output).toBe('first\n');
    expect(report.finished?.exitSummary).toBe('2 steps succeeded');
  });

  it('retries with a fixed interval', async () => {
    const snapshot = pipeline([NODE]);
    snapshot.steps = [step(0, shellTask('exit 1'), { retries: 2, retryIntervalSeconds: 0.4, retryBackoff: 'fixed' })];

    const { report, events } = await finished(snapshot);

    const starts = attemptStarts(events, 0);
    expect(report.steps.get(0)?.attempts).toEqual([1, 2, 3]);
    expect(report.steps.get(0)?.finished?.attempts).toBe(3);
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(400);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(400);
    expect(starts[2] - starts[1]).toBeLessThan(780);
  });

  it('doubles the interval with exponential backoff', async () => {
    const snapshot = pipeline([NODE]);
    snapshot.steps = [
      step(0, shellTask('exit 1'), { retries: 2, retryIntervalSeconds: 0.4, retryBackoff: 'exponential' }),
    ];

    const { events } = await finished(snapshot);

    const starts = attemptStarts(events, 0);
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(400);
    expect(starts[1] - starts[0]).toBeLessThan(780);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(800);
  });

  it('succeeds when a retry succeeds', async () => {
    const marker = join(scratch, 'retry-marker');
    const snapshot = pipeline([NODE]);
    snapshot.steps = [
      step(0, shellTask(`if [ -f ${marker} ]; then exit 0; fi; touch ${marker}; exit 4`), { retries: 3 }),
    ];

    const { status, report } = await finished(snapshot);

    expect(status).toBe('succeeded');
    expect(report.steps.get(0)?.finished?.attempts).toBe(2);
    expect(report.steps.get(0)?.output).toContain('Attempt 1 of 4 failed (exited with code 4); retrying in 0 s');
  });

  it('skips later steps after a stop failure', async () => {
    const snapshot = pipeline([NODE], {}, ['exit 3', 'echo never']);

    const { status, report } = await finished(snapshot);

    expect(status).toBe('failed');
    expect(report.steps.get(0)?.finished?.status).toBe('failed');
    expect(report.steps.get(0)?.finished?.exitCode).toBe(3);
    expect(report.steps.get(1)?.finished?.status).toBe('skipped');
    expect(report.steps.get(1)?.output).toBe('');
    expect(report.finished?.exitSummary).toBe('step 1 "step-0" exited with code 3');
  });

  it('runs later steps after a continue failure', async () => {
    const snapshot = pipeline([NODE]);
    snapshot.steps = [
      step(0, shellTask('exit 3', 'backup'), { onFailure: 'continue' }),
      step(1, shellTask('echo after', 'cleanup')),
    ];

    const { status, report } = await finished(snapshot);

    expect(status).toBe('failed');
    expect(report.steps.get(1)?.finished?.status).toBe('succeeded');
    expect(report.steps.get(1)?.output).toBe('after\n');
    expect(report.finished?.exitSummary).toBe('step 1 "backup" exited with code 3');
  });

  it('times out a step on its own timeout', async () => {
    const snapshot = pipeline([NODE]);
    snapshot.steps = [step(0, shellTask('sleep 10', 'slow'), { timeoutSeconds: 1 })];
    const started = Date.now();

    const { status, report } = await finished(snapshot);

    expect(status).toBe('failed');
    expect(report.steps.get(0)?.finished?.status).toBe('timed_out');
    expect(report.finished?.exitSummary).toBe('step 1 "slow" timed out after 1 s (step timeout)');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('times out the run on the pipeline timeout', async () => {
    const snapshot = pipeline([NODE], { timeoutSeconds: 1 }, ['sleep 0.3', 'sleep 10', 'echo never']);
    const started = Date.now();

    const { status, report } = await finished(snapshot);

    expect(status).toBe('timed_out');
    expect(report.steps.get(0)?.finished?.status).toBe('succeeded');
    expect(report.steps.get(1)?.finished?.status).toBe('timed_out');
    expect(report.steps.get(2)?.finished?.status).toBe('skipped');
    expect(report.finished?.exitSummary).toBe('timed out after 1 s (pipeline timeout) during step 2 "step-1"');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('does not retry a step stopped by the pipeline timeout', async () => {
    const snapshot = pipeline([NODE], { timeoutSeconds: 1 });
    snapshot.steps = [step(0, shellTask('sleep 10'), { retries: 3 })];

    const { report } = await finished(snapshot);

    expect(report.steps.get(0)?.attempts).toEqual([1]);
  });

  it('runs the on-success task after success', async () => {
    const snapshot = pipeline([NODE], {
      onSuccessTask: shellTask('echo "notify $ECTS_RUN_ID"', 'notify'),
      onFailureTask: shellTask('echo bad', 'alarm'),
    });

    const { report, events, run } = await finished(snapshot);

    const announced = events.find(
      (event): event is StepStartedEvent => event.type === 'step.started' && event.plan !== undefined,
    );
    expect(announced?.position).toBe(1);
    expect(announced?.plan?.role).toBe('on_success');
    expect(announced?.plan?.task.name).toBe('notify');
    expect(report.steps.get(1)?.output).toBe(`notify ${run.runId}\n`);
    expect(report.finished?.status).toBe('succeeded');
  });

  it('runs the on-failure task with the final status', async () => {
    const snapshot = pipeline([NODE], { onFailureTask: hookTask('page on-call') }, ['exit 2']);

    const { report } = await finished(snapshot);

    const hook = hooks.find((body) => body.runId === report.started?.runId);
    expect(report.steps.get(1)?.finished?.status).toBe('succeeded');
    expect(hook?.status).toBe('failed');
    expect(hook?.exitSummary).toBe('step 1 "step-0" exited with code 2');
    expect(hook?.finishedAt).toEqual(expect.any(String));
  });

  it('reports a failed on-failure task in the summary', async () => {
    const snapshot = pipeline([NODE], { onFailureTask: shellTask('exit 9', 'alarm') }, ['exit 2']);

    const { status, report } = await finished(snapshot);

    expect(status).toBe('failed');
    expect(report.finished?.exitSummary).toBe(
      'step 1 "step-0" exited with code 2; on-failure task "alarm" exited with code 9',
    );
  });

  it('kills the running step and skips the rest', async () => {
    const snapshot = pipeline([NODE], { onFailureTask: shellTask('echo cleanup', 'cleanup') }, [
      'sleep 10',
      'echo never',
    ]);
    const { run, events } = execute(snapshot);
    const done = run.start();
    setTimeout(() => run.kill('killed by alice', 1_000), 300);
    const started = Date.now();

    const status = await done;

    const report = runsOf(events).get(run.runId);
    expect(status).toBe('killed');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(report?.steps.get(0)?.finished?.status).toBe('killed');
    expect(report?.steps.get(1)?.finished?.status).toBe('skipped');
    expect(report?.steps.get(2)?.output).toBe('cleanup\n');
    expect(report?.finished?.exitSummary).toBe('killed by alice during step 1 "step-0"');
  });

  it('fills mail templates', async () => {
    const mail: TaskSnapshot = {
      id: 'task-mail',
      name: 'mail',
      kind: 'mail',
      config: { to: ['ops@example.com'], subject: '{{pipeline}} {{status}}', body: 'run {{run}} on {{node}}' },
    };
    const snapshot = pipeline([NODE], { name: 'backup', onFailureTask: mail }, ['exit 1']);

    const { mails, run } = await finished(snapshot);

    expect(mails).toEqual([{ to: ['ops@example.com'], subject: 'backup failed', body: `run ${run.runId} on web-1` }]);
  });
});
