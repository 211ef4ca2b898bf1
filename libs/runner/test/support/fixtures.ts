import type {
  AgentEvent,
  PipelineSnapshot,
  RunFinishedEvent,
  RunStartedEvent,
  StepFinishedEvent,
  StepSnapshot,
  TaskSnapshot,
} from '@ects/domain';

let counter = 0;

/** Returns a unique id for fixtures, readable in failure messages. */
export function fixtureId(prefix: string): string {
  counter += 1;

  return `${prefix}-${process.pid}-${counter}`;
}

export function shellTask(command: string, name = 'shell', env?: Record<string, string>): TaskSnapshot {
  return { id: fixtureId('task'), name, kind: 'shell', config: env === undefined ? { command } : { command, env } };
}

export function step(position: number, task: TaskSnapshot, overrides: Partial<StepSnapshot> = {}): StepSnapshot {
  return {
    position,
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
}

/** Builds a pipeline bound to the given nodes that runs `commands` as shell steps, every second by default. */
export function pipeline(
  nodeIds: string[],
  overrides: Partial<PipelineSnapshot> = {},
  commands: string[] = ['true'],
): PipelineSnapshot {
  return {
    id: fixtureId('pipeline'),
    name: 'test pipeline',
    version: 1,
    cron: '* * * * * *',
    timezone: 'UTC',
    enabled: true,
    mode: 'all',
    overlap: 'allow',
    misfire: 'skip',
    timeoutSeconds: 0,
    steps: commands.map((command, position) => step(position, shellTask(command, `step-${position}`))),
    onSuccessTask: null,
    onFailureTask: null,
    nodeIds,
    ...overrides,
  };
}

/** A run as reported by its events. */
export interface ReportedRun {
  started: RunStartedEvent | undefined;
  finished: RunFinishedEvent | undefined;
  steps: Map<number, { attempts: number[]; finished: StepFinishedEvent | undefined; output: string }>;
}

/** Groups events by run id, in the order the runs started. */
export function runsOf(events: AgentEvent[], pipelineId?: string): Map<string, ReportedRun> {
  const runs = new Map<string, ReportedRun>();
  const runOf = (runId: string): ReportedRun => {
    let run = runs.get(runId);
    if (run === undefined) {
      run = { started: undefined, finished: undefined, steps: new Map() };
      runs.set(runId, run);
    }

    return run;
  };
  const stepOf = (runId: string, position: number) => {
    const run = runOf(runId);
    let state = run.steps.get(position);
    if (state === undefined) {
      state = { attempts: [], finished: undefined, output: '' };
      run.steps.set(position, state);
    }

    return state;
  };

  for (const event of events) {
    switch (event.type) {
      case 'run.started':
        runOf(event.runId).started = event;
        break;
      case 'run.finished':
        runOf(event.runId).finished = event;
        break;
      case 'step.started':
        stepOf(event.runId, event.position).attempts.push(event.attempt);
        break;
      case 'step.output':
        stepOf(event.runId, event.position).output += event.chunks.map((chunk) => chunk.data).join('');
        break;
      case 'step.finished':
        stepOf(event.runId, event.position).finished = event;
        break;
    }
  }

  if (pipelineId !== undefined) {
    for (const [runId, run] of runs) {
      if (run.started?.pipelineId !== pipelineId) {
        runs.delete(runId);
      }
    }
  }

  return runs;
}

/** Finished runs of a pipeline, in start order. */
export function finishedRuns(events: AgentEvent[], pipelineId: string): ReportedRun[] {
  return [...runsOf(events, pipelineId).values()].filter((run) => run.finished !== undefined);
}
