import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApp, type TestApp } from './support/app';

interface Step {
  id: string;
  position: number;
  taskId: string;
  taskName: string;
  taskKind: string;
  timeoutSeconds: number;
  retries: number;
  retryIntervalSeconds: number;
  retryBackoff: string;
  onFailure: string;
  runAsUser: string | null;
  workingDirectory: string | null;
  env: { name: string; value: string; secret: boolean }[];
}

interface Pipeline {
  id: string;
  name: string;
  description: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  mode: string;
  overlap: string;
  misfire: string;
  timeoutSeconds: number;
  onSuccessTaskId: string | null;
  onFailureTaskId: string | null;
  nodeSelector: Record<string, string> | null;
  nodeIds: string[];
  steps: Step[];
  version: number;
  nextFireAt: string | null;
}

interface Fire {
  at: string;
  local: string;
  offsetChanged: boolean;
}

interface Schedule {
  cron: string;
  timezone: string;
  description: string;
  fires: Fire[];
}

const MASK = '********';

describe('pipelines', () => {
  let api: TestApp;
  let operator: string;
  let backupTask: string;
  let notifyTask: string;
  let checkTask: string;
  let nodeA: string;
  let nodeB: string;

  const create = (body: Record<string, unknown>) => api.request('POST', '/api/pipelines', { token: operator, body });

  const createPipeline = async (body: Record<string, unknown>): Promise<Pipeline> => {
    const response = await create({ cron: '0 3 * * *', steps: [{ taskId: backupTask }], ...body });
    if (response.status !== 201) {
      throw new Error(`Creating pipeline failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }

    return response.body as Pipeline;
  };

  const get = async (id: string): Promise<Pipeline> =>
    (await api.request<Pipeline>('GET', `/api/pipelines/${id}`, { token: operator })).body;

  const names = async (query: string): Promise<string[]> => {
    const response = await api.request<{ items: Pipeline[] }>('GET', `/api/pipelines?${query}`, { token: operator });
    if (response.status !== 200) {
      throw new Error(`Listing pipelines failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }

    return response.body.items.map((pipeline) => pipeline.name);
  };

  beforeAll(async () => {
    api = await startTestApp();
    operator = (await api.userWithRole('operator')).token;

    const task = async (name: string, kind: string, config: Record<string, unknown>): Promise<string> =>
      (await api.request('POST', '/api/tasks', { token: operator, body: { name, kind, config } })).body.id as string;
    backupTask = await task('backup', 'shell', { command: 'backup.sh' });
    notifyTask = await task('notify', 'mail', { to: ['ops@example.com'], subject: 'done', body: 'done' });
    checkTask = await task('check', 'http', { method: 'GET', url: 'http://127.0.0.1:9/health' });

    const node = async (name: string, labels: Record<string, string>): Promise<string> =>
      (await api.request('POST', '/api/nodes', { token: api.adminToken, body: { name, labels } })).body.id as string;
    nodeA = await node('node-a', { role: 'db' });
    nodeB = await node('node-b', { role: 'web' });
  });

  afterAll(async () => {
    await api.close();
  });

  describe('create and read', () => {
    it('creates with steps and defaults', async () => {
      const response = await create({
        name: 'defaults',
        cron: ' 30 2 * * * ',
        steps: [{ taskId: backupTask }, { taskId: checkTask }],
      });

      expect(response.status).toBe(201);
      const pipeline = response.body as Pipeline;
      expect(pipeline.cron).toBe('30 2 * * *');
      expect(pipeline.timezone).toBe('UTC');
      expect(pipeline.enabled).toBe(true);
      expect(pipeline.mode).toBe('all');
      expect(pipeline.overlap).toBe('skip');
      expect(pipeline.misfire).toBe('skip');
      expect(pipeline.timeoutSeconds).toBe(0);
      expect(pipeline.onSuccessTaskId).toBeNull();
      expect(pipeline.onFailureTaskId).toBeNull();
      expect(pipeline.nodeSelector).toBeNull();
      expect(pipeline.nodeIds).toEqual([]);
      expect(pipeline.version).toBe(1);
      expect(pipeline.nextFireAt).toMatch(/T02:30:00\.000Z$/);
      expect(pipeline.steps.map((step) => [step.position, step.taskName, step.taskKind])).toEqual([
        [0, 'backup', 'shell'],
        [1, 'check', 'http'],
      ]);
      expect(pipeline.steps[0]).toMatchObject({
        timeoutSeconds: 0,
        retries: 0,
        retryIntervalSeconds: 0,
        retryBackoff: 'fixed',
        onFailure: 'stop',
        runAsUser: null,
        workingDirectory: null,
        env: [],
      });
    });

    it('stores every given field', async () => {
      const pipeline = await createPipeline({
        name: 'all-fields',
        description: 'Backs up the database',
        cron: '0 0 4 * * 1-5',
        timezone: 'Europe/Berlin',
        enabled: false,
        mode: 'one',
        overlap: 'queue',
        misfire: 'run_once',
        timeoutSeconds: 3600,
        onSuccessTaskId: notifyTask,
        onFailureTaskId: notifyTask,
        nodeIds: [nodeB, nodeA],
        steps: [
          {
            taskId: backupTask,
            timeoutSeconds: 600,
            retries: 2,
            retryIntervalSeconds: 30,
            retryBackoff: 'exponential',
            onFailure: 'continue',
            runAsUser: 'backup',
            workingDirectory: '/srv/backup',
            env: [{ name: 'TARGET', value: 's3://bucket' }],
          },
        ],
      });

      const fetched = await get(pipeline.id);
      expect(fetched).toMatchObject({
        description: 'Backs up the database',
        cron: '0 0 4 * * 1-5',
        timezone: 'Europe/Berlin',
        enabled: false,
        mode: 'one',
        overlap: 'queue',
        misfire: 'run_once',
        timeoutSeconds: 3600,
        onSuccessTaskId: notifyTask,
        onFailureTaskId: notifyTask,
        nextFireAt: null,
      });
      expect(fetched.nodeIds).toEqual([nodeA, nodeB].sort());
      expect(fetched.steps[0]).toMatchObject({
        timeoutSeconds: 600,
        retries: 2,
        retryIntervalSeconds: 30,
        retryBackoff: 'exponential',
        onFailure: 'continue',
        runAsUser: 'backup',
        workingDirectory: '/srv/backup',
        env: [{ name: 'TARGET', value: 's3://bucket', secret: false }],
      });
    });

    it('returns 404 for an unknown pipeline', async () => {
      const id = randomUUID();
      const response = await api.request('GET', `/api/pipelines/${id}`, { token: operator });

      expect(response.status).toBe(404);
      expect(response.body.message).toContain(id);
    });

    it('rejects a duplicate name with 409', async () => {
      await createPipeline({ name: 'taken' });
      const duplicate = await create({ name: 'taken', cron: '0 3 * * *', steps: [] });

      expect(duplicate.status).toBe(409);
      expect(duplicate.body.message).toContain('taken');
    });
  });

  describe('list', () => {
    let listed: Record<string, Pipeline>;

    beforeAll(async () => {
      listed = {};
      listed['zlist-alpha'] = await createPipeline({ name: 'zlist-alpha', nodeIds: [nodeA] });
      listed['zlist-charlie'] = await createPipeline({
        name: 'zlist-charlie',
        enabled: false,
        steps: [{ taskId: checkTask }],
      });
      listed['zlist-bravo'] = await createPipeline({
        name: 'zlist-bravo',
        nodeIds: [nodeA, nodeB],
        onSuccessTaskId: checkTask,
        steps: [],
      });
    });

    it('filters by search text', async () => {
      expect(await names('search=zlist-')).toEqual(['zlist-alpha', 'zlist-bravo', 'zlist-charlie']);
      expect(await names('search=brav')).toEqual(['zlist-bravo']);
    });

    it('filters by enabled flag', async () => {
      expect(await names('search=zlist-&enabled=true')).toEqual(['zlist-alpha', 'zlist-bravo']);
      expect(await names('search=zlist-&enabled=false')).toEqual(['zlist-charlie']);
    });

    it('filters by node', async () => {
      expect(await names(`search=zlist-&nodeId=${nodeA}`)).toEqual(['zlist-alpha', 'zlist-bravo']);
      expect(await names(`search=zlist-&nodeId=${nodeB}`)).toEqual(['zlist-bravo']);
    });

    it('filters by task', async () => {
      expect(await names(`search=zlist-&taskId=${checkTask}`)).toEqual(['zlist-bravo', 'zlist-charlie']);
      expect(await names(`search=zlist-&taskId=${backupTask}`)).toEqual(['zlist-alpha']);
    });

    it('sorts by name and creation', async () => {
      expect(await names('search=zlist-&order=desc')).toEqual(['zlist-charlie', 'zlist-bravo', 'zlist-alpha']);
      expect(await names('search=zlist-&sort=createdAt')).toEqual(['zlist-bravo', 'zlist-charlie', 'zlist-alpha']);
      expect(await names('search=zlist-&sort=createdAt&order=asc')).toEqual([
        'zlist-alpha',
        'zlist-charlie',
        'zlist-bravo',
      ]);
    });

    it('rejects unknown sort keys and filters', async () => {
      expect((await api.request('GET', '/api/pipelines?sort=cron', { token: operator })).status).toBe(400);
      expect((await api.request('GET', '/api/pipelines?enabled=yes', { token: operator })).status).toBe(400);
      expect((await api.request('GET', '/api/pipelines?owner=me', { token: operator })).status).toBe(400);
    });
  });

  describe('validation', () => {
    it('rejects a minute of 61', async () => {
      const response = await create({ name: 'bad-minute', cron: '61 * * * *', steps: [] });

      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('cron');
      expect(response.body.errors[0].message).toMatch(/minute/);
    });

    it('rejects a cron that never fires', async () => {
      const response = await create({ name: 'never', cron: '0 0 30 2 *', steps: [] });

      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('cron');
    });

    it('rejects a step larger than its field', async () => {
      const response = await create({ name: 'big-step', cron: '*/90 * * * *', steps: [] });

      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('cron');
    });

    it('rejects an unknown time zone', async () => {
      const response = await create({ name: 'bad-zone', cron: '0 3 * * *', timezone: 'Mars/Olympus_Mons', steps: [] });

      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('timezone');
    });

    it('rejects an invalid cron on update', async () => {
      const pipeline = await createPipeline({ name: 'update-cron' });
      const response = await api.request('PATCH', `/api/pipelines/${pipeline.id}`, {
        token: operator,
        body: { cron: '* * * *' },
      });

      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('cron');
      expect((await get(pipeline.id)).cron).toBe('0 3 * * *');
    });

    it('names an unknown step task', async () => {
      const missing = randomUUID();
      const response = await create({
        name: 'missing-task',
        cron: '0 3 * * *',
        steps: [{ taskId: backupTask }, { taskId: missing }],
      });

      expect(response.status).toBe(400);
      expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(['steps.1.taskId']);
      expect(response.body.message).toContain(missing);
    });

    it('names an unknown first step task', async () => {
      const response = await create({ name: 'missing-first', cron: '0 3 * * *', steps: [{ taskId: randomUUID() }] });

      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('steps.0.taskId');
    });

    it('names unknown hook tasks and nodes', async () => {
      const response = await create({
        name: 'missing-refs',
        cron: '0 3 * * *',
        steps: [],
        onFailureTaskId: randomUUID(),
        nodeIds: [nodeA, randomUUID()],
      });
      const fields = response.body.errors.map((error: { field: string }) => error.field);

      expect(response.status).toBe(400);
      expect(fields).toContain('onFailureTaskId');
      expect(fields).toContain('nodeIds.1');
    });

    it('rejects invalid step fields', async () => {
      const response = await create({
        name: 'bad-step',
        cron: '0 3 * * *',
        steps: [{ taskId: backupTask, retries: 50, workingDirectory: 'relative', runAsUser: 'Root User' }],
      });
      const fields = response.body.errors.map((error: { field: string }) => error.field);

      expect(response.status).toBe(400);
      expect(fields).toContain('steps.0.retries');
      expect(fields).toContain('steps.0.workingDirectory');
      expect(fields).toContain('steps.0.runAsUser');
    });

    it('rejects unknown fields', async () => {
      const response = await create({ name: 'unknown-field', cron: '0 3 * * *', steps: [], owner: 'me' });

      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('owner');
    });

    it('rejects unknown step fields', async () => {
      const response = await create({
        name: 'unknown-step-field',
        cron: '0 3 * * *',
        steps: [{ taskId: backupTask, command: 'ls' }],
      });

      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('steps.0.command');
    });

    it('rejects duplicate env names without writing', async () => {
      const response = await create({
        name: 'duplicate-env',
        cron: '0 3 * * *',
        steps: [
          {
            taskId: backupTask,
            env: [
              { name: 'A', value: '1' },
              { name: 'A', value: '2' },
            ],
          },
        ],
      });

      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('steps.0.env.1.name');
      expect(await api.dataSource.query("SELECT id FROM pipelines WHERE name = 'duplicate-env'")).toEqual([]);
      expect(
        await api.dataSource.query(
          "SELECT id FROM audit_events WHERE action = 'pipeline.create' AND after LIKE '%duplicate-env%'",
        ),
      ).toEqual([]);
    });

    it('rejects a body over 1 MiB with 413', async () => {
      const response = await api.request('POST', '/api/pipelines', {
        token: operator,
        rawBody: JSON.stringify({
          name: 'huge',
          cron: '0 3 * * *',
          steps: [],
          description: 'x'.repeat(1024 * 1024 + 10),
        }),
      });

      expect(response.status).toBe(413);
      expect(response.body.statusCode).toBe(413);
      expect(response.body.message).toMatch(/larger than the limit/);
    });

    it('rejects malformed JSON with 400', async () => {
      const response = await api.request('POST', '/api/pipelines', { token: operator, rawBody: '{"name": "broken", ' });

      expect(response.status).toBe(400);
      expect(response.body.statusCode).toBe(400);
      expect(response.body.message).toMatch(/not valid JSON/);
    });
  });

  describe('changes', () => {
    it('PATCH with steps replaces them', async () => {
      const pipeline = await createPipeline({
        name: 'replace-steps',
        steps: [{ taskId: backupTask }, { taskId: checkTask }],
      });

      const patched = await api.request<Pipeline>('PATCH', `/api/pipelines/${pipeline.id}`, {
        token: operator,
        body: { steps: [{ taskId: notifyTask, retries: 1 }] },
      });
      expect(patched.status).toBe(200);
      expect(patched.body.steps.map((step) => step.taskName)).toEqual(['notify']);
      expect(patched.body.steps[0].retries).toBe(1);
      expect(patched.body.version).toBe(2);

      const rows: unknown[] = await api.dataSource.query('SELECT id FROM pipeline_steps WHERE pipeline_id = ?', [
        pipeline.id,
      ]);
      expect(rows).toHaveLength(1);
    });

    it('PATCH without steps keeps them', async () => {
      const pipeline = await createPipeline({
        name: 'keep-steps',
        steps: [{ taskId: backupTask }, { taskId: checkTask }],
      });
      const patched = await api.request<Pipeline>('PATCH', `/api/pipelines/${pipeline.id}`, {
        token: operator,
        body: { description: 'new text' },
      });

      expect(patched.body.steps.map((step) => step.id)).toEqual(pipeline.steps.map((step) => step.id));
      expect(patched.body.description).toBe('new text');
    });

    it('reorders steps', async () => {
      const pipeline = await createPipeline({
        name: 'reorder',
        steps: [{ taskId: backupTask }, { taskId: checkTask }, { taskId: notifyTask }],
      });
      const [first, second, third] = pipeline.steps.map((step) => step.id);

      const reordered = await api.request<Pipeline>('PUT', `/api/pipelines/${pipeline.id}/steps/order`, {
        token: operator,
        body: { stepIds: [third, first, second] },
      });
      expect(reordered.status).toBe(200);
      expect(reordered.body.steps.map((step) => step.taskName)).toEqual(['notify', 'backup', 'check']);
      expect(reordered.body.steps.map((step) => step.position)).toEqual([0, 1, 2]);
      expect(reordered.body.version).toBe(pipeline.version + 1);
      expect((await get(pipeline.id)).steps.map((step) => step.id)).toEqual([third, first, second]);
    });

    it('rejects an incomplete step order', async () => {
      const pipeline = await createPipeline({
        name: 'reorder-incomplete',
        steps: [{ taskId: backupTask }, { taskId: checkTask }],
      });

      const missing = await api.request('PUT', `/api/pipelines/${pipeline.id}/steps/order`, {
        token: operator,
        body: { stepIds: [pipeline.steps[1].id] },
      });
      expect(missing.status).toBe(400);
      expect(missing.body.errors[0].field).toBe('stepIds');

      const foreign = await api.request('PUT', `/api/pipelines/${pipeline.id}/steps/order`, {
        token: operator,
        body: { stepIds: [pipeline.steps[0].id, randomUUID()] },
      });
      expect(foreign.status).toBe(400);

      expect((await get(pipeline.id)).steps.map((step) => step.id)).toEqual(pipeline.steps.map((step) => step.id));
    });

    it('binds and unbinds a node', async () => {
      const pipeline = await createPipeline({ name: 'binding' });

      const bound = await api.request<Pipeline>('PUT', `/api/pipelines/${pipeline.id}/nodes/${nodeA}`, {
        token: operator,
      });
      expect(bound.status).toBe(200);
      expect(bound.body.nodeIds).toEqual([nodeA]);
      expect(bound.body.version).toBe(2);

      const again = await api.request<Pipeline>('PUT', `/api/pipelines/${pipeline.id}/nodes/${nodeA}`, {
        token: operator,
      });
      expect(again.status).toBe(200);
      expect(again.body.nodeIds).toEqual([nodeA]);

      const unbound = await api.request<Pipeline>('DELETE', `/api/pipelines/${pipeline.id}/nodes/${nodeA}`, {
        token: operator,
      });
      expect(unbound.status).toBe(200);
      expect(unbound.body.nodeIds).toEqual([]);

      const notBound = await api.request('DELETE', `/api/pipelines/${pipeline.id}/nodes/${nodeA}`, { token: operator });
      expect(notBound.status).toBe(404);

      const unknownNode = await api.request('PUT', `/api/pipelines/${pipeline.id}/nodes/${randomUUID()}`, {
        token: operator,
      });
      expect(unknownNode.status).toBe(404);
    });

    it('stores and clears a label selector', async () => {
      const pipeline = await createPipeline({ name: 'selector', nodeSelector: { role: 'db', 'topology.zone': 'a' } });
      expect(pipeline.nodeSelector).toEqual({ role: 'db', 'topology.zone': 'a' });

      const invalid = await api.request('PATCH', `/api/pipelines/${pipeline.id}`, {
        token: operator,
        body: { nodeSelector: { '-bad': 'x' } },
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body.errors[0].field).toBe('nodeSelector');

      const cleared = await api.request<Pipeline>('PATCH', `/api/pipelines/${pipeline.id}`, {
        token: operator,
        body: { nodeSelector: null },
      });
      expect(cleared.body.nodeSelector).toBeNull();

      const empty = await api.request<Pipeline>('PATCH', `/api/pipelines/${pipeline.id}`, {
        token: operator,
        body: { nodeSelector: { role: 'web' } },
      });
      expect(empty.body.nodeSelector).toEqual({ role: 'web' });
    });

    it('enable and disable bump the version', async () => {
      const pipeline = await createPipeline({ name: 'toggle' });

      const disabled = await api.request<Pipeline>('POST', `/api/pipelines/${pipeline.id}/disable`, {
        token: operator,
      });
      expect(disabled.status).toBe(200);
      expect(disabled.body.enabled).toBe(false);
      expect(disabled.body.nextFireAt).toBeNull();
      expect(disabled.body.version).toBe(2);

      const enabled = await api.request<Pipeline>('POST', `/api/pipelines/${pipeline.id}/enable`, { token: operator });
      expect(enabled.body.enabled).toBe(true);
      expect(enabled.body.nextFireAt).not.toBeNull();
      expect(enabled.body.version).toBe(3);
    });

    it('masks and keeps secret step env', async () => {
      const pipeline = await createPipeline({
        name: 'secret-env',
        steps: [
          {
            taskId: backupTask,
            env: [
              { name: 'DB_PASSWORD', value: 'step-secret-value', secret: true },
              { name: 'MODE', value: 'full' },
            ],
          },
        ],
      });
      expect(pipeline.steps[0].env).toEqual([
        { name: 'DB_PASSWORD', value: MASK, secret: true },
        { name: 'MODE', value: 'full', secret: false },
      ]);
      expect(JSON.stringify(await get(pipeline.id))).not.toContain('step-secret-value');

      const patched = await api.request<Pipeline>('PATCH', `/api/pipelines/${pipeline.id}`, {
        token: operator,
        body: {
          steps: [
            {
              id: pipeline.steps[0].id,
              taskId: backupTask,
              env: [...pipeline.steps[0].env, { name: 'EXTRA', value: '1' }],
            },
          ],
        },
      });
      expect(patched.status).toBe(200);
      expect(patched.body.steps[0].env[0].value).toBe(MASK);

      const rows: { env: string }[] = await api.dataSource.query(
        'SELECT env FROM pipeline_steps WHERE pipeline_id = ?',
        [pipeline.id],
      );
      expect(JSON.parse(rows[0].env)).toEqual([
        { name: 'DB_PASSWORD', value: 'step-secret-value', secret: true },
        { name: 'MODE', value: 'full', secret: false },
        { name: 'EXTRA', value: '1', secret: false },
      ]);
    });

    it('rejects a mask with no stored secret', async () => {
      const response = await create({
        name: 'mask-without-secret',
        cron: '0 3 * * *',
        steps: [{ taskId: backupTask, env: [{ name: 'TOKEN', value: MASK, secret: true }] }],
      });

      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('steps.0.env.0.value');
    });

    it('deletes a pipeline', async () => {
      const pipeline = await createPipeline({ name: 'to-delete', nodeIds: [nodeA] });

      expect((await api.request('DELETE', `/api/pipelines/${pipeline.id}`, { token: operator })).status).toBe(204);
      expect((await api.request('GET', `/api/pipelines/${pipeline.id}`, { token: operator })).status).toBe(404);
      expect(await api.dataSource.query('SELECT * FROM pipeline_nodes WHERE pipeline_id = ?', [pipeline.id])).toEqual(
        [],
      );
      expect((await api.request('DELETE', `/api/pipelines/${pipeline.id}`, { token: operator })).status).toBe(404);
    });
  });

  describe('schedule', () => {
    it('lists fire times in the pipeline zone', async () => {
      const pipeline = await createPipeline({ name: 'tokyo', cron: '0 9 * * *', timezone: 'Asia/Tokyo' });
      const response = await api.request<Schedule>('GET', `/api/pipelines/${pipeline.id}/schedule?count=5`, {
        token: operator,
      });

      expect(response.status).toBe(200);
      expect(response.body.timezone).toBe('Asia/Tokyo');
      expect(response.body.fires).toHaveLength(5);
      for (const fire of response.body.fires) {
        expect(fire.local).toMatch(/T09:00:00\+09:00$/);
        expect(fire.at).toMatch(/T00:00:00\.000Z$/);
        expect(fire.offsetChanged).toBe(false);
      }
      const instants = response.body.fires.map((fire) => Date.parse(fire.at));
      expect(instants[0]).toBeGreaterThan(Date.now());
      expect(instants.slice(1).every((instant, index) => instant - instants[index] === 86_400_000)).toBe(true);
    });

    it('marks DST changes in Berlin', async () => {
      // Monthly fires over 13 months cross both of Berlin's offset changes, whatever today is.
      const preview = await api.request<Schedule>('POST', '/api/pipelines/schedule-preview', {
        token: operator,
        body: { cron: '0 12 1 * *', timezone: 'Europe/Berlin', count: 13 },
      });
      expect(preview.status).toBe(200);
      const fires = preview.body.fires;
      expect(fires).toHaveLength(13);

      const changed = fires.filter((fire) => fire.offsetChanged);
      expect(changed).toHaveLength(2);
      for (const fire of fires.slice(1)) {
        const month = fire.local.slice(5, 7);
        expect(fire.offsetChanged).toBe(month === '04' || month === '11');
      }
      for (const fire of fires) {
        const month = Number(fire.local.slice(5, 7));
        expect(fire.local).toMatch(month >= 4 && month <= 10 ? /T12:00:00\+02:00$/ : /T12:00:00\+01:00$/);
      }
    });

    it('pipeline schedule marks DST changes too', async () => {
      const pipeline = await createPipeline({ name: 'berlin-monthly', cron: '0 12 1 * *', timezone: 'Europe/Berlin' });
      const response = await api.request<Schedule>('GET', `/api/pipelines/${pipeline.id}/schedule?count=13`, {
        token: operator,
      });

      expect(response.body.fires.filter((fire) => fire.offsetChanged)).toHaveLength(2);
    });

    it('previews a schedule with a description', async () => {
      const response = await api.request<Schedule>('POST', '/api/pipelines/schedule-preview', {
        token: operator,
        body: { cron: '*/15 * * * *' },
      });

      expect(response.status).toBe(200);
      expect(response.body.timezone).toBe('UTC');
      expect(response.body.description.length).toBeGreaterThan(0);
      expect(response.body.fires).toHaveLength(10);
      expect(response.body.fires.every((fire) => /:(00|15|30|45):00\.000Z$/.test(fire.at))).toBe(true);
    });

    it('preview rejects an invalid cron', async () => {
      const response = await api.request('POST', '/api/pipelines/schedule-preview', {
        token: operator,
        body: { cron: '61 * * * *' },
      });

      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('cron');
    });

    it('rejects a count over 100', async () => {
      const pipeline = await createPipeline({ name: 'count-limit' });

      const response = await api.request('GET', `/api/pipelines/${pipeline.id}/schedule?count=101`, {
        token: operator,
      });
      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('count');

      expect(
        (await api.request('GET', `/api/pipelines/${pipeline.id}/schedule?count=100`, { token: operator })).body.fires,
      ).toHaveLength(100);
    });

    it('schedule of an unknown pipeline is 404', async () => {
      expect((await api.request('GET', `/api/pipelines/${randomUUID()}/schedule`, { token: operator })).status).toBe(
        404,
      );
    });
  });
});

describe('pipelines on SQLite', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ database: 'sqlite' });
  });

  afterAll(async () => {
    await api.close();
  });

  it('creates and lists tasks and pipelines', async () => {
    const task = await api.request('POST', '/api/tasks', {
      token: api.adminToken,
      body: { name: 'nightly_backup', kind: 'shell', config: { command: 'backup.sh' } },
    });
    expect(task.status).toBe(201);

    const pipeline = await api.request<Pipeline>('POST', '/api/pipelines', {
      token: api.adminToken,
      body: {
        name: 'embedded',
        cron: '0 3 * * *',
        timezone: 'Europe/Berlin',
        steps: [{ taskId: task.body.id, env: [{ name: 'KEY', value: 'v', secret: true }] }],
      },
    });
    expect(pipeline.status).toBe(201);
    expect(pipeline.body.steps[0].env[0].value).toBe(MASK);

    const pipelines = await api.request<{ items: Pipeline[]; total: number }>(
      'GET',
      `/api/pipelines?taskId=${task.body.id as string}&enabled=true`,
      {
        token: api.adminToken,
      },
    );
    expect(pipelines.status).toBe(200);
    expect(pipelines.body.items.map((item) => item.name)).toEqual(['embedded']);

    const tasks = await api.request<{ items: { name: string }[] }>('GET', '/api/tasks?search=nightly_b', {
      token: api.adminToken,
    });
    expect(tasks.status).toBe(200);
    expect(tasks.body.items.map((item) => item.name)).toEqual(['nightly_backup']);
  });
});
