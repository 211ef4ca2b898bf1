import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApp, type TestApp } from './support/app';

interface Task {
  id: string;
  name: string;
  description: string;
  kind: string;
  config: Record<string, any>;
  updatedAt: string;
}

interface FieldError {
  field: string;
  message: string;
}

const MASK = '********';

const CONFIGS: Record<string, Record<string, unknown>> = {
  shell: { command: 'pg_dump app > /backup/app.sql', cwd: '/srv/app', env: { PGHOST: 'db' } },
  http: {
    method: 'POST',
    url: 'http://127.0.0.1:9/ping',
    headers: { Authorization: 'Bearer http-secret-value', 'X-Trace': 'on' },
    body: '{"ping":true}',
    expectedStatus: [200, 204],
    timeoutMs: 5000,
    followRedirects: false,
    verifyTls: true,
  },
  mail: {
    to: ['ops@example.com'],
    cc: ['lead@example.com'],
    subject: '{{pipeline}} {{status}}',
    body: 'Run {{run}} on {{node}}',
  },
  hook: { url: 'https://127.0.0.1:9/hook', secret: 'hook-secret-value' },
};

describe('tasks', () => {
  let api: TestApp;
  let operator: string;

  const createTask = async (
    name: string,
    kind: string,
    config: Record<string, unknown> = CONFIGS[kind],
  ): Promise<Task> => {
    const response = await api.request<Task>('POST', '/api/tasks', { token: operator, body: { name, kind, config } });
    if (response.status !== 201) {
      throw new Error(`Creating task ${name} failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }

    return response.body;
  };

  const createPipeline = async (
    body: Record<string, unknown>,
  ): Promise<{ id: string; name: string; version: number }> => {
    const response = await api.request('POST', '/api/pipelines', {
      token: operator,
      body: { cron: '0 3 * * *', ...body },
    });
    if (response.status !== 201) {
      throw new Error(`Creating pipeline failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }

    return response.body;
  };

  const storedConfig = async (id: string): Promise<Record<string, any>> => {
    const rows: { config: string }[] = await api.dataSource.query('SELECT config FROM tasks WHERE id = ?', [id]);

    return JSON.parse(rows[0].config) as Record<string, any>;
  };

  const configErrors = async (
    kind: string,
    config: unknown,
  ): Promise<{ status: number; fields: string[]; errors: FieldError[] }> => {
    const response = await api.request('POST', '/api/tasks', {
      token: operator,
      body: { name: `bad-${randomUUID()}`, kind, config },
    });
    const errors = (response.body.errors ?? []) as FieldError[];

    return { status: response.status, fields: errors.map((error) => error.field), errors };
  };

  beforeAll(async () => {
    api = await startTestApp();
    operator = (await api.userWithRole('operator')).token;
  });

  afterAll(async () => {
    await api.close();
  });

  describe.each(['shell', 'http', 'mail', 'hook'])('%s task', (kind) => {
    it('is created, read, updated and deleted', async () => {
      const created = await api.request<Task>('POST', '/api/tasks', {
        token: operator,
        body: { name: `crud-${kind}`, description: `A ${kind} task`, kind, config: CONFIGS[kind] },
      });
      expect(created.status).toBe(201);
      expect(created.body.kind).toBe(kind);
      expect(created.body.description).toBe(`A ${kind} task`);
      expect(await storedConfig(created.body.id)).toEqual(CONFIGS[kind]);

      const fetched = await api.request<Task>('GET', `/api/tasks/${created.body.id}`, { token: operator });
      expect(fetched.status).toBe(200);
      expect(fetched.body.name).toBe(`crud-${kind}`);

      const renamed = await api.request<Task>('PATCH', `/api/tasks/${created.body.id}`, {
        token: operator,
        body: { name: `crud-${kind}-renamed`, description: 'changed' },
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body.name).toBe(`crud-${kind}-renamed`);
      expect(renamed.body.description).toBe('changed');
      expect(await storedConfig(created.body.id)).toEqual(CONFIGS[kind]);

      const deleted = await api.request('DELETE', `/api/tasks/${created.body.id}`, { token: operator });
      expect(deleted.status).toBe(204);
      expect((await api.request('GET', `/api/tasks/${created.body.id}`, { token: operator })).status).toBe(404);
    });
  });

  it('http url must be http or https', async () => {
    const result = await configErrors('http', { ...CONFIGS['http'], url: 'ftp://x' });

    expect(result.status).toBe(400);
    expect(result.fields).toEqual(['config.url']);
    expect(result.errors[0].message).toMatch(/http:\/\/ or https:\/\//);
  });

  it('http method must be known', async () => {
    const result = await configErrors('http', { method: 'FETCH', url: 'http://127.0.0.1/' });

    expect(result.status).toBe(400);
    expect(result.fields).toContain('config.method');
  });

  it('shell task needs a command', async () => {
    const result = await configErrors('shell', { cwd: '/tmp' });

    expect(result.status).toBe(400);
    expect(result.fields).toContain('config.command');
  });

  it('shell cwd must be absolute', async () => {
    const result = await configErrors('shell', { command: 'ls', cwd: 'relative/dir' });

    expect(result.status).toBe(400);
    expect(result.fields).toEqual(['config.cwd']);
  });

  it('shell env names are checked', async () => {
    const result = await configErrors('shell', { command: 'ls', env: { '1BAD': 'x' } });

    expect(result.status).toBe(400);
    expect(result.fields).toEqual(['config.env']);
    expect(result.errors[0].message).toContain('1BAD');
  });

  it('mail recipients must be addresses', async () => {
    const result = await configErrors('mail', { to: ['ops@example.com', 'not an address'], subject: 's', body: 'b' });

    expect(result.status).toBe(400);
    expect(result.fields).toEqual(['config.to']);
  });

  it('hook url is checked', async () => {
    const result = await configErrors('hook', { url: 'javascript:alert(1)' });

    expect(result.status).toBe(400);
    expect(result.fields).toEqual(['config.url']);
  });

  it('rejects unknown config fields', async () => {
    const result = await configErrors('shell', { command: 'ls', shell: '/bin/bash' });

    expect(result.status).toBe(400);
    expect(result.fields).toEqual(['config.shell']);
  });

  it('rejects a field of another kind', async () => {
    const result = await configErrors('shell', { command: 'ls', url: 'http://127.0.0.1/' });

    expect(result.status).toBe(400);
    expect(result.fields).toEqual(['config.url']);
  });

  it('rejects a config that is no object', async () => {
    const result = await configErrors('shell', 'ls -l');

    expect(result.status).toBe(400);
    expect(result.fields).toContain('config');
  });

  it('rejects a bad config on update', async () => {
    const task = await createTask('update-checked', 'http');
    const response = await api.request('PATCH', `/api/tasks/${task.id}`, {
      token: operator,
      body: { config: { ...CONFIGS['http'], url: 'ftp://x' } },
    });

    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('config.url');
    expect((await storedConfig(task.id))['url']).toBe(CONFIGS['http']['url']);
  });

  it('changing kind revalidates the config', async () => {
    const task = await createTask('kind-change', 'shell');

    const mismatch = await api.request('PATCH', `/api/tasks/${task.id}`, { token: operator, body: { kind: 'hook' } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors.map((error: FieldError) => error.field)).toContain('config.url');

    const changed = await api.request<Task>('PATCH', `/api/tasks/${task.id}`, {
      token: operator,
      body: { kind: 'hook', config: { url: 'http://127.0.0.1:9/' } },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.kind).toBe('hook');
  });

  it('rejects a duplicate name with 409', async () => {
    await createTask('unique-name', 'shell');
    const duplicate = await api.request('POST', '/api/tasks', {
      token: operator,
      body: { name: 'unique-name', kind: 'shell', config: { command: 'ls' } },
    });

    expect(duplicate.status).toBe(409);
    expect(duplicate.body.message).toContain('unique-name');
  });

  it('masks the hook secret', async () => {
    const task = await createTask('masked-hook', 'hook');
    expect(task.config['secret']).toBe(MASK);
    expect(JSON.stringify(task)).not.toContain('hook-secret-value');

    const fetched = await api.request<Task>('GET', `/api/tasks/${task.id}`, { token: operator });
    expect(fetched.body.config['secret']).toBe(MASK);

    const listed = await api.request<{ items: Task[] }>('GET', '/api/tasks?search=masked-hook', { token: operator });
    expect(listed.body.items[0].config['secret']).toBe(MASK);
  });

  it('keeps the hook secret sent back masked', async () => {
    const task = await createTask('kept-hook', 'hook');

    const patched = await api.request<Task>('PATCH', `/api/tasks/${task.id}`, {
      token: operator,
      body: { config: { ...task.config, url: 'https://127.0.0.1:10/hook' } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.config['url']).toBe('https://127.0.0.1:10/hook');
    expect(patched.body.config['secret']).toBe(MASK);

    const stored = await storedConfig(task.id);
    expect(stored['secret']).toBe('hook-secret-value');
    expect(stored['url']).toBe('https://127.0.0.1:10/hook');
  });

  it('replaces the hook secret with a new value', async () => {
    const task = await createTask('replaced-hook', 'hook');
    await api.request('PATCH', `/api/tasks/${task.id}`, {
      token: operator,
      body: { config: { url: task.config['url'], secret: 'rotated-secret' } },
    });

    expect((await storedConfig(task.id))['secret']).toBe('rotated-secret');
  });

  it('masks and keeps the Authorization header', async () => {
    const task = await createTask('masked-http', 'http');
    expect(task.config['headers']['Authorization']).toBe(MASK);
    expect(task.config['headers']['X-Trace']).toBe('on');
    expect(JSON.stringify(task)).not.toContain('http-secret-value');

    const patched = await api.request<Task>('PATCH', `/api/tasks/${task.id}`, {
      token: operator,
      body: { config: { ...task.config, headers: { ...task.config['headers'], 'X-Trace': 'off' } } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.config['headers']['Authorization']).toBe(MASK);

    const stored = await storedConfig(task.id);
    expect(stored['headers']['Authorization']).toBe('Bearer http-secret-value');
    expect(stored['headers']['X-Trace']).toBe('off');
  });

  it('filters by search text and kind', async () => {
    await createTask('report-daily', 'mail');
    await createTask('report-weekly', 'mail');
    await createTask('report-ping', 'http');

    const bySearch = await api.request<{ items: Task[]; total: number }>('GET', '/api/tasks?search=report-', {
      token: operator,
    });
    expect(bySearch.body.items.map((task) => task.name)).toEqual(['report-daily', 'report-ping', 'report-weekly']);
    expect(bySearch.body.total).toBe(3);

    const byKind = await api.request<{ items: Task[] }>('GET', '/api/tasks?search=report-&kind=mail', {
      token: operator,
    });
    expect(byKind.body.items.map((task) => task.name)).toEqual(['report-daily', 'report-weekly']);

    const newest = await api.request<{ items: Task[] }>('GET', '/api/tasks?search=report-&sort=createdAt', {
      token: operator,
    });
    expect(newest.body.items.map((task) => task.name)).toEqual(['report-ping', 'report-weekly', 'report-daily']);

    const literal = await api.request<{ items: Task[] }>('GET', '/api/tasks?search=report_', { token: operator });
    expect(literal.body.items).toEqual([]);

    expect((await api.request('GET', '/api/tasks?kind=ftp', { token: operator })).status).toBe(400);
    expect((await api.request('GET', '/api/tasks?sort=config', { token: operator })).status).toBe(400);
  });

  it('viewer cannot change tasks', async () => {
    const viewer = await api.userWithRole('viewer');
    const task = await createTask('viewer-protected', 'shell');

    expect((await api.request('GET', `/api/tasks/${task.id}`, { token: viewer.token })).status).toBe(200);
    expect(
      (await api.request('PATCH', `/api/tasks/${task.id}`, { token: viewer.token, body: { description: 'x' } })).status,
    ).toBe(403);
    expect((await api.request('DELETE', `/api/tasks/${task.id}`, { token: viewer.token })).status).toBe(403);
  });

  describe('use by pipelines', () => {
    let stepTask: Task;
    let failureTask: Task;
    let unusedTask: Task;
    let pipeline: { id: string; name: string; version: number };

    beforeAll(async () => {
      stepTask = await createTask('used-as-step', 'shell');
      failureTask = await createTask('used-on-failure', 'mail');
      unusedTask = await createTask('used-nowhere', 'shell');
      pipeline = await createPipeline({
        name: 'nightly-backup',
        steps: [{ taskId: stepTask.id }, { taskId: stepTask.id }],
        onFailureTaskId: failureTask.id,
      });
    });

    it('refuses to delete a step task', async () => {
      const response = await api.request('DELETE', `/api/tasks/${stepTask.id}`, { token: operator });

      expect(response.status).toBe(409);
      expect(response.body.message).toContain('nightly-backup');
      expect((await api.request('GET', `/api/tasks/${stepTask.id}`, { token: operator })).status).toBe(200);
    });

    it('refuses to delete an on-failure task', async () => {
      const response = await api.request('DELETE', `/api/tasks/${failureTask.id}`, { token: operator });

      expect(response.status).toBe(409);
      expect(response.body.message).toContain('nightly-backup');
    });

    it('lists the pipelines using a task', async () => {
      const steps = await api.request('GET', `/api/tasks/${stepTask.id}/pipelines`, { token: operator });
      expect(steps.status).toBe(200);
      expect(steps.body).toEqual([{ id: pipeline.id, name: 'nightly-backup', uses: ['step 1', 'step 2'] }]);

      const failure = await api.request('GET', `/api/tasks/${failureTask.id}/pipelines`, { token: operator });
      expect(failure.body).toEqual([{ id: pipeline.id, name: 'nightly-backup', uses: ['on_failure'] }]);

      const unused = await api.request('GET', `/api/tasks/${unusedTask.id}/pipelines`, { token: operator });
      expect(unused.body).toEqual([]);

      expect((await api.request('GET', `/api/tasks/${randomUUID()}/pipelines`, { token: operator })).status).toBe(404);
    });

    it('task update bumps pipeline versions', async () => {
      const other = await createPipeline({ name: 'unrelated', steps: [{ taskId: unusedTask.id }] });
      const before = (await api.request('GET', `/api/pipelines/${pipeline.id}`, { token: operator })).body
        .version as number;

      const updated = await api.request('PATCH', `/api/tasks/${stepTask.id}`, {
        token: operator,
        body: { config: { command: 'echo changed' } },
      });
      expect(updated.status).toBe(200);

      expect((await api.request('GET', `/api/pipelines/${pipeline.id}`, { token: operator })).body.version).toBe(
        before + 1,
      );
      expect((await api.request('GET', `/api/pipelines/${other.id}`, { token: operator })).body.version).toBe(
        other.version,
      );

      await api.request('PATCH', `/api/tasks/${failureTask.id}`, {
        token: operator,
        body: { description: 'notify on failure' },
      });
      expect((await api.request('GET', `/api/pipelines/${pipeline.id}`, { token: operator })).body.version).toBe(
        before + 2,
      );
    });

    it('deletes a task once no pipeline uses it', async () => {
      const removed = await api.request('DELETE', `/api/pipelines/${pipeline.id}`, { token: operator });
      expect(removed.status).toBe(204);

      expect((await api.request('DELETE', `/api/tasks/${failureTask.id}`, { token: operator })).status).toBe(204);
    });
  });
});
