import { describe, expect, it } from 'vitest';

import { CliError } from '../errors';
import { parseDefinitions } from './parse';

function problemsOf(text: string, source = 'defs.yaml'): string {
  try {
    parseDefinitions(text, source);
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(CliError);

    return (error as CliError).message;
  }
  throw new Error('expected the definitions to be rejected');
}

describe('parseDefinitions', () => {
  it('reads tasks and pipelines from YAML', () => {
    const definitions = parseDefinitions(
      [
        'tasks:',
        '  - name: t',
        '    kind: shell',
        '    config: { command: "echo hi" }',
        'pipelines:',
        '  - name: p',
        '    cron: "*/5 * * * *"',
        '    timezone: Europe/Berlin',
        '    nodes: [a, b]',
        '    steps:',
        '      - task: t',
        '        env: { A: "1" }',
      ].join('\n'),
      'defs.yaml',
    );

    expect(definitions.tasks).toEqual([{ name: 't', kind: 'shell', config: { command: 'echo hi' } }]);
    expect(definitions.pipelines).toEqual([
      {
        name: 'p',
        cron: '*/5 * * * *',
        timezone: 'Europe/Berlin',
        nodes: ['a', 'b'],
        steps: [{ task: 't', env: { A: '1' } }],
      },
    ]);
  });

  it('reads every document of a YAML stream', () => {
    const definitions = parseDefinitions(
      'tasks:\n  - { name: a, kind: shell, config: { command: a } }\n---\n---\ntasks:\n  - { name: b, kind: shell, config: { command: b } }\n',
      'multi.yaml',
    );

    expect(definitions.tasks.map((task) => task.name)).toEqual(['a', 'b']);
  });

  it('reads JSON files', () => {
    const definitions = parseDefinitions(
      JSON.stringify({ pipelines: [{ name: 'p', cron: '@daily', steps: [], enabled: false }] }),
      'defs.json',
    );

    expect(definitions.pipelines).toEqual([{ name: 'p', cron: '@daily', enabled: false, steps: [] }]);
  });

  it('reads secret variables from a list', () => {
    const definitions = parseDefinitions(
      'pipelines:\n  - name: p\n    cron: "@daily"\n    steps:\n      - task: t\n        env:\n          - { name: TOKEN, value: x, secret: true }\n          - { name: PLAIN, value: y }\n',
      'defs.yaml',
    );

    expect(definitions.pipelines[0].steps[0].env).toEqual([
      { name: 'TOKEN', value: 'x', secret: true },
      { name: 'PLAIN', value: 'y' },
    ]);
  });

  it('names every problem with its file and field', () => {
    const message = problemsOf(
      [
        'tasks:',
        '  - name: ""',
        '    kind: bash',
        '    config: { command: 1 }',
        '  - name: ok',
        '    kind: shell',
        '    config: []',
        'pipelines:',
        '  - name: p',
        '    cron: "0 25 * * *"',
        '    mode: several',
        '    timeoutSeconds: -1',
        '    enabled: "yes"',
        '    colour: blue',
        '    steps:',
        '      - retries: 1.5',
        '        env: { "1BAD": x, N: 3 }',
      ].join('\n'),
    );

    expect(message).toContain('defs.yaml: tasks[0].name: is required and must be a non-empty string');
    expect(message).toContain('defs.yaml: tasks[0].kind: must be one of shell, http, mail, hook, got "bash"');
    expect(message).toContain('defs.yaml: tasks[1].config: is required and must be a mapping');
    expect(message).toMatch(/defs\.yaml: pipelines\[0\]\.cron: .*hour/);
    expect(message).toContain('pipelines[0].mode: must be one of all, one, got "several"');
    expect(message).toContain('pipelines[0].timeoutSeconds: must be a whole number of 0 or more, got -1');
    expect(message).toContain('pipelines[0].enabled: must be true or false, got "yes"');
    expect(message).toContain('pipelines[0].colour: unknown field');
    expect(message).toContain('pipelines[0].steps[0].task: is required');
    expect(message).toContain('pipelines[0].steps[0].retries: must be a whole number of 0 or more, got 1.5');
    expect(message).toContain('pipelines[0].steps[0].env.1BAD: is not a valid variable name');
    expect(message).toContain('pipelines[0].steps[0].env.N: must be a string, got 3; quote numbers and booleans');
  });

  it('points at the time zone when it is unknown', () => {
    const message = problemsOf('pipelines:\n  - { name: p, cron: "@daily", timezone: Moon/Base, steps: [] }\n');

    expect(message).toMatch(/pipelines\[0\]\.timezone: time zone "Moon\/Base" is not a known IANA time zone/);
  });

  it('explains an unquoted cron expression', () => {
    const message = problemsOf('pipelines:\n  - name: p\n    cron: */5 * * * *\n    steps: []\n');

    expect(message).toMatch(/^defs\.yaml: invalid YAML: /);
    expect(message).toContain('a cron expression that starts with * must be quoted');
  });

  it('rejects invalid JSON with the file name', () => {
    expect(problemsOf('{"tasks": [', 'broken.json')).toMatch(/^broken\.json: invalid JSON: /);
  });

  it('rejects a top level that is not a mapping', () => {
    expect(problemsOf('- just\n- a list\n')).toContain(
      '(top level): must be a mapping with the fields tasks, pipelines',
    );
  });
});
