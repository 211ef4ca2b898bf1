import type { MailRequest, MailResult, StepOutputEvent, TaskSnapshot } from '@ects/domain';

import { systemClock } from '../../src/clock';
import { SecretMasker } from '../../src/runs/secret-masker';
import { StepOutput } from '../../src/runs/step-output';
import type { HookPayload } from '../../src/steps/hook-payload';
import type { ExecutableStep, StepContext } from '../../src/steps/step';

export interface StepHarness {
  context: StepContext;
  controller: AbortController;
  events: StepOutputEvent[];
  /** Everything the step wrote, once the output is closed. */
  text(): string;
}

/** Builds the context of one step attempt with a real StepOutput that collects its events. */
export function stepHarness(
  task: TaskSnapshot,
  overrides: Partial<ExecutableStep> = {},
  extras: { run?: Partial<HookPayload>; sendMail?: (request: MailRequest) => Promise<MailResult> } = {},
): StepHarness {
  const step: ExecutableStep = {
    position: 0,
    role: 'step',
    task,
    timeoutSeconds: 0,
    retries: 0,
    retryIntervalSeconds: 0,
    retryBackoff: 'fixed',
    onFailure: 'stop',
    runAsUser: null,
    workingDirectory: null,
    env: {},
    secretEnvNames: [],
    ...overrides,
  };
  const events: StepOutputEvent[] = [];
  const controller = new AbortController();
  const output = new StepOutput({
    runId: 'run-1',
    position: 0,
    masker: new SecretMasker(step.secretEnvNames.map((name) => step.env[name] ?? '')),
    maxBytes: 1024 * 1024,
    emit: (event) => events.push(event),
  });
  const run: HookPayload = {
    event: 'run.finished',
    runId: 'run-1',
    pipeline: { id: 'pipeline-1', name: 'nightly backup', version: 3 },
    node: { id: 'node-1', name: 'web-1' },
    trigger: 'schedule',
    triggeredBy: null,
    scheduledAt: '2030-01-01T00:00:00.000Z',
    startedAt: '2030-01-01T00:00:00.010Z',
    finishedAt: null,
    status: 'running',
    exitSummary: null,
    steps: [],
    ...extras.run,
  };

  const context: StepContext = {
    step,
    runId: 'run-1',
    attempt: 1,
    processStarted: () => undefined,
    signal: controller.signal,
    output,
    clock: systemClock,
    baseEnvironment: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    runEnvironment: { ECTS_RUN_ID: 'run-1' },
    describeRun: () => run,
    sendMail: (request) => extras.sendMail?.(request) ?? Promise.resolve({ ok: true, messageId: 'm-1' }),
  };

  return {
    context,
    controller,
    events,
    text: () => {
      output.close();

      return events.flatMap((event) => event.chunks.map((chunk) => chunk.data)).join('');
    },
  };
}
