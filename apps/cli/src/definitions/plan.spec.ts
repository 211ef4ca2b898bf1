import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import type { NodeDto, PipelineDto, StepDto, TaskDto } from '../api/schema';
import { serialize } from '../output';
import { exportDefinitions } from './export';
import type { Definitions, LoadedDefinitions } from './model';
import { parseDefinitions } from './parse';
import { planChanges, type ServerState } from './plan';

const STAMP = '2026-01-01T00:00:00.000Z';

function task(id: string, name: string, config: Record<string, unknown>, kind: TaskDto['kind'] = 'shell'): TaskDto {
  return {
    id,
    name,
    description: '',
    kind,
    config: config as unknown as TaskDto['config'],
    createdAt: STAMP,
    updatedAt: STAMP,
  };
}

function node(id: string, name: string): NodeDto {
  return {
    id,
    name,
    host: '',
    labels: {},
    version: '',
    os: '',
    status: 'online',
    lastSeenAt: null,
    enrolled: true,
    runningRuns: 0,
    createdAt: STAMP,
    updatedAt: STAMP,
  };
}

function step(taskDto: TaskDto, overrides: Partial<StepDto> = {}): StepDto {
  return {
    id: `step-${taskDto.id}`,
    position: 0,
    taskId: taskDto.id,
    taskName: taskDto.name,
    taskKind: taskDto.kind,
    timeoutSeconds: 0,
    retries: 0,
    retryIntervalSeconds: 0,
    retryBackoff: 'fixed',
    onFailure: 'stop',
    runAsUser: null,
    workingDirectory: null,
    env: [],
    ...overrides,
  };
}

function pipeline(name: string, overrides: Partial<PipelineDto>): PipelineDto {
  return {
    id: `pipeline-${name}`,
    name,
    description: '',
    cron: '0 2 * * *',
    timezone: 'UTC',
    enabled: true,
    mode: 'all',
    overlap: 'skip',
    misfire: 'skip',
    timeoutSeconds: 0,
    onSuccessTaskId: null,
    onFailureTaskId: null,
    nodeSelector: null,
    nodeIds: [],
    steps: [],
    version: 1,
    nextFireAt: null,
    createdAt: STAMP,
    updatedAt: STAMP,
    ...overrides,
  };
}

const backup = task('t1', 'backup', { command: 'backup.sh', env: { API_TOKEN: '********' } });
const notify = task(
  't2',
  'notify',
  { method: 'POST', url: 'http://x/', headers: { Authorization: '********' } },
  'http',
);
const STATE: ServerState = {
  tasks: [backup, notify],
  nodes: [node('n1', 'web-1'), node('n2', 'web-2')],
  pipelines: [
    pipeline('nightly', {
      timezone: 'Europe/Berlin',
      nodeIds: ['n1', 'n2'],
      onFailureTaskId: 't2',
      steps: [
        step(backup, {
          retries: 2,
          env: [
            { name: 'TARGET', value: '/srv', secret: false },
            { name: 'DB_PASSWORD', value: '********', secret: true },
          ],
        }),
      ],
    }),
  ],
};

function load(yaml: string): LoadedDefinitions {
  const definitions = parseDefinitions(yaml, 'test.yaml');

  return {
    tasks: definitions.tasks.map((definition) => ({ definition, source: 'test.yaml' })),
    pipelines: definitions.pipelines.map((definition) => ({ definition, source: 'test.yaml' })),
  };
}

const NIGHTLY = `
pipelines:
  - name: nightly
    cron: "0 2 * * *"
    timezone: Europe/Berlin
    nodes: [web-2, web-1]
    onFailure: notify
    steps:
      - task: backup
        retries: 2
        env:
          - { name: TARGET, value: /srv }
          - { name: DB_PASSWORD, value: "********", secret: true }
`;

describe('planChanges', () => {
  it('leaves equal definitions unchanged', () => {
    const plan = planChanges(load(NIGHTLY), STATE);

    expect(plan.pipelines).toHaveLength(1);
    expect(plan.pipelines[0].action).toBe('unchanged');
    expect(plan.pipelines[0].changes).toEqual([]);
    expect(plan.pipelines[0].uncompared).toEqual([]);
  });

  it('lists each changed field of an update', () => {
    const plan = planChanges(
      load(NIGHTLY.replace('"0 2 * * *"', '"0 3 * * *"').replace('retries: 2', 'retries: 4').replace('web-2, ', '')),
      STATE,
    );

    expect(plan.pipelines[0].action).toBe('update');
    expect(plan.pipelines[0].fields).toEqual(['cron', 'nodes', 'steps']);
    expect(plan.pipelines[0].changes).toEqual([
      'cron: "0 2 * * *" → "0 3 * * *"',
      'nodes: ["web-1","web-2"] → ["web-1"]',
      'steps[0].retries: 2 → 4',
    ]);
  });

  it('creates what the server lacks', () => {
    const plan = planChanges(
      load(
        'tasks:\n  - { name: fresh, kind: shell, config: { command: x } }\npipelines:\n  - { name: new, cron: "@daily", steps: [{ task: fresh }] }\n',
      ),
      STATE,
    );

    expect(plan.tasks.map((change) => [change.name, change.action])).toEqual([['fresh', 'create']]);
    expect(plan.pipelines.map((change) => [change.name, change.action])).toEqual([['new', 'create']]);
  });

  it('never prints a secret value from a file', () => {
    const plan = planChanges(
      load(NIGHTLY.replace('{ name: TARGET, value: /srv }', '{ name: TARGET, value: s3cr3t-value, secret: true }')),
      STATE,
    );

    expect(plan.pipelines[0].action).toBe('update');
    expect(plan.pipelines[0].changes.join('\n')).toContain('steps[0].env[0].value: "/srv" → "(secret)"');
    expect(JSON.stringify(plan.pipelines[0].changes)).not.toContain('s3cr3t-value');
  });

  it('cannot compare a clear secret with a masked one', () => {
    const plan = planChanges(load(NIGHTLY.replace('value: "********"', 'value: hunter2')), STATE);

    expect(plan.pipelines[0].action).toBe('unchanged');
    expect(plan.pipelines[0].uncompared).toEqual(['steps[0].env[1].value']);
  });

  it('compares task configs with masked keys', () => {
    const same = planChanges(
      load(
        'tasks:\n  - { name: backup, kind: shell, config: { command: backup.sh, env: { API_TOKEN: "********" } } }\n',
      ),
      STATE,
    );
    const clear = planChanges(
      load('tasks:\n  - { name: backup, kind: shell, config: { command: backup.sh, env: { API_TOKEN: abc } } }\n'),
      STATE,
    );
    const changed = planChanges(
      load('tasks:\n  - { name: backup, kind: shell, config: { command: other.sh } }\n'),
      STATE,
    );

    expect(same.tasks[0].action).toBe('unchanged');
    expect(clear.tasks[0].action).toBe('unchanged');
    expect(clear.tasks[0].uncompared).toEqual(['config.env.API_TOKEN']);
    expect(changed.tasks[0].action).toBe('update');
    expect(changed.tasks[0].fields).toEqual(['config']);
    expect(changed.tasks[0].changes).toEqual([
      'config.command: "backup.sh" → "other.sh"',
      'config.env: {"API_TOKEN":"********"} → (none)',
    ]);
  });

  it('accepts node ids as well as names', () => {
    const plan = planChanges(load(NIGHTLY.replace('[web-2, web-1]', '[n1, web-2]')), STATE);

    expect(plan.pipelines[0].action).toBe('unchanged');
    expect(plan.pipelines[0].nodeIds).toEqual(['n1', 'n2']);
  });

  it('rejects references to missing tasks and nodes', () => {
    const broken = NIGHTLY.replace('[web-2, web-1]', '[web-9]').replace('onFailure: notify', 'onFailure: pager');

    expect(() => planChanges(load(broken), STATE)).toThrow(
      /onFailure names task "pager", which neither the files nor the server define[\s\S]*node "web-9" does not exist/,
    );
  });
});

describe('exportDefinitions', () => {
  it('writes only fields that differ from defaults', () => {
    const definitions = exportDefinitions(STATE);

    expect(definitions.pipelines).toEqual([
      {
        name: 'nightly',
        cron: '0 2 * * *',
        timezone: 'Europe/Berlin',
        nodes: ['web-1', 'web-2'],
        onFailure: 'notify',
        steps: [
          {
            task: 'backup',
            retries: 2,
            env: [
              { name: 'TARGET', value: '/srv' },
              { name: 'DB_PASSWORD', value: '********', secret: true },
            ],
          },
        ],
      },
    ]);
    expect(definitions.tasks.map((item) => item.name)).toEqual(['backup', 'notify']);
  });

  it('plans no change when its output is applied', () => {
    for (const format of ['yaml', 'json'] as const) {
      const text = serialize(exportDefinitions(STATE), format);
      const loaded = parseDefinitions(text, `export.${format}`);
      const plan = planChanges(
        {
          tasks: loaded.tasks.map((definition) => ({ definition, source: 'export' })),
          pipelines: loaded.pipelines.map((definition) => ({ definition, source: 'export' })),
        },
        STATE,
      );

      expect([...plan.tasks, ...plan.pipelines].map((change) => change.action)).toEqual([
        'unchanged',
        'unchanged',
        'unchanged',
      ]);
    }
  });

  it('keeps only the named pipelines and their tasks', () => {
    const state: ServerState = {
      ...STATE,
      tasks: [...STATE.tasks, task('t3', 'unused', { command: 'x' })],
      pipelines: [...STATE.pipelines, pipeline('other', { steps: [step(STATE.tasks[0])] })],
    };
    const definitions: Definitions = exportDefinitions(state, ['nightly']);

    expect(definitions.pipelines.map((item) => item.name)).toEqual(['nightly']);
    expect(definitions.tasks.map((item) => item.name)).toEqual(['backup', 'notify']);
    expect(() => exportDefinitions(state, ['nope'])).toThrow('No pipeline is named "nope"');
  });

  it('quotes cron expressions in YAML', () => {
    const state: ServerState = { ...STATE, pipelines: [pipeline('often', { cron: '*/5 * * * *' })] };
    const text = serialize(exportDefinitions(state, ['often']), 'yaml');

    expect(parse(text)).toMatchObject({ pipelines: [{ cron: '*/5 * * * *' }] });
  });
});
