import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN_EMAIL, startTestApp, type RequestOptions, type TestApp } from './support/app';

interface AuditEvent {
  id: string;
  actorKind: string;
  actorId: string | null;
  actorName: string;
  action: string;
  entityType: string;
  entityId: string | null;
  before: Record<string, any> | null;
  after: Record<string, any> | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
}

const USER_AGENT = 'ects-audit-spec/1.0';
const HOOK_SECRET = 'audited-hook-secret';
const STEP_SECRET = 'audited-step-secret';
const SMTP_PASSWORD = 'audited-smtp-password';

describe('audit events', () => {
  let api: TestApp;
  let adminId: string;

  /** Sends a request as the admin, with a user agent the events must record. */
  const call = async <T = any>(method: string, path: string, options: RequestOptions = {}): Promise<T> => {
    const response = await api.request<T>(method, path, {
      token: api.adminToken,
      ...options,
      headers: { 'user-agent': USER_AGENT },
    });
    if (response.status >= 300) {
      throw new Error(`${method} ${path} failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }

    return response.body;
  };

  const events = async (query: string): Promise<AuditEvent[]> => {
    const response = await api.request<{ items: AuditEvent[] }>('GET', `/api/audit-events?pageSize=200&${query}`, {
      token: api.adminToken,
    });
    if (response.status !== 200) {
      throw new Error(`Listing audit events failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }

    return response.body.items;
  };

  /** Returns the one event of an action on an entity, failing when there is none or more than one. */
  const only = async (action: string, entityId: string): Promise<AuditEvent> => {
    const found = await events(`action=${encodeURIComponent(action)}&entityId=${entityId}`);
    expect(found, `${action} events of ${entityId}`).toHaveLength(1);

    return found[0];
  };

  const expectAdminRequest = (event: AuditEvent): void => {
    expect(event.actorKind).toBe('user');
    expect(event.actorName).toBe(ADMIN_EMAIL);
    expect(event.actorId).toBe(adminId);
    expect(event.ip).toMatch(/(^|:)127\.0\.0\.1$/);
    expect(event.userAgent).toBe(USER_AGENT);
  };

  beforeAll(async () => {
    api = await startTestApp();
    adminId = (await api.request('GET', '/api/auth/me', { token: api.adminToken })).body.id;
  });

  afterAll(async () => {
    await api.close();
  });

  it('records user changes', async () => {
    const user = await call('POST', '/api/users', {
      body: { name: 'Audited', email: 'audited@example.com', password: 'audited-password', role: 'viewer' },
    });
    const created = await only('user.create', user.id);
    expectAdminRequest(created);
    expect(created.entityType).toBe('user');
    expect(created.before).toBeNull();
    expect(created.after?.['email']).toBe('audited@example.com');
    expect(JSON.stringify(created)).not.toContain('audited-password');

    await call('PATCH', `/api/users/${user.id}`, { body: { name: 'Audited Twice', role: 'operator' } });
    const updated = await only('user.update', user.id);
    expectAdminRequest(updated);
    expect(updated.before?.['name']).toBe('Audited');
    expect(updated.after?.['name']).toBe('Audited Twice');
    expect(updated.before?.['role']).toBe('viewer');
    expect(updated.after?.['role']).toBe('operator');

    await call('POST', `/api/users/${user.id}/password`, { body: { password: 'another-password' } });
    const reset = await only('user.reset_password', user.id);
    expect(JSON.stringify(reset)).not.toContain('another-password');

    await call('DELETE', `/api/users/${user.id}`);
    const deleted = await only('user.delete', user.id);
    expectAdminRequest(deleted);
    expect(deleted.before?.['email']).toBe('audited@example.com');
    expect(deleted.after).toBeNull();
  });

  it('records token changes', async () => {
    const token = await call('POST', '/api/tokens', { body: { name: 'audited-token', scopes: ['read'] } });
    const created = await only('token.create', token.id);
    expectAdminRequest(created);
    expect(created.after?.['name']).toBe('audited-token');
    expect(JSON.stringify(created)).not.toContain(token.secret);

    await call('POST', `/api/tokens/${token.id}/revoke`);
    const revoked = await only('token.revoke', token.id);
    expectAdminRequest(revoked);
    expect(revoked.before?.['revokedAt']).toBeNull();
    expect(revoked.after?.['revokedAt']).not.toBeNull();
  });

  it('records node changes', async () => {
    const node = await call('POST', '/api/nodes', { body: { name: 'audited-node', labels: { role: 'db' } } });
    const created = await only('node.create', node.id);
    expectAdminRequest(created);
    expect(created.after?.['labels']).toEqual({ role: 'db' });

    await call('PATCH', `/api/nodes/${node.id}`, { body: { name: 'audited-node-2' } });
    const updated = await only('node.update', node.id);
    expect(updated.before?.['name']).toBe('audited-node');
    expect(updated.after?.['name']).toBe('audited-node-2');

    await call('POST', `/api/nodes/${node.id}/drain`);
    const drained = await only('node.drain', node.id);
    expect(drained.before?.['status']).toBe('offline');
    expect(drained.after?.['status']).toBe('draining');

    await call('POST', `/api/nodes/${node.id}/undrain`);
    expect((await only('node.undrain', node.id)).after?.['status']).toBe('offline');

    await call('DELETE', `/api/nodes/${node.id}`);
    const deleted = await only('node.delete', node.id);
    expectAdminRequest(deleted);
    expect(deleted.before?.['name']).toBe('audited-node-2');
    expect(deleted.after).toBeNull();
  });

  it('records task changes with secrets masked', async () => {
    const task = await call('POST', '/api/tasks', {
      body: { name: 'audited-hook', kind: 'hook', config: { url: 'http://127.0.0.1:9/', secret: HOOK_SECRET } },
    });
    const created = await only('task.create', task.id);
    expectAdminRequest(created);
    expect(created.after?.['config']).toEqual({ url: 'http://127.0.0.1:9/', secret: '********' });
    expect(JSON.stringify(created)).not.toContain(HOOK_SECRET);

    await call('PATCH', `/api/tasks/${task.id}`, {
      body: { config: { url: 'http://127.0.0.1:10/', secret: '********' } },
    });
    const updated = await only('task.update', task.id);
    expect(updated.before?.['config']['url']).toBe('http://127.0.0.1:9/');
    expect(updated.after?.['config']['url']).toBe('http://127.0.0.1:10/');
    expect(JSON.stringify(updated)).not.toContain(HOOK_SECRET);

    await call('DELETE', `/api/tasks/${task.id}`);
    const deleted = await only('task.delete', task.id);
    expect(deleted.before?.['name']).toBe('audited-hook');
    expect(deleted.after).toBeNull();
  });

  it('records pipeline changes with secrets masked', async () => {
    const task = await call('POST', '/api/tasks', {
      body: { name: 'audited-step', kind: 'shell', config: { command: 'true' } },
    });
    const node = await call('POST', '/api/nodes', { body: { name: 'audited-binding' } });
    const pipeline = await call('POST', '/api/pipelines', {
      body: {
        name: 'audited-pipeline',
        cron: '0 3 * * *',
        steps: [{ taskId: task.id, env: [{ name: 'API_KEY', value: STEP_SECRET, secret: true }] }, { taskId: task.id }],
      },
    });
    const id = pipeline.id as string;

    const created = await only('pipeline.create', id);
    expectAdminRequest(created);
    expect(created.after?.['name']).toBe('audited-pipeline');
    expect(created.after?.['steps'][0]['env'][0]['value']).toBe('********');
    expect(JSON.stringify(created)).not.toContain(STEP_SECRET);

    await call('PATCH', `/api/pipelines/${id}`, { body: { cron: '0 4 * * *' } });
    const updated = await only('pipeline.update', id);
    expect(updated.before?.['cron']).toBe('0 3 * * *');
    expect(updated.after?.['cron']).toBe('0 4 * * *');
    expect(updated.after?.['version']).toBe(2);

    await call('POST', `/api/pipelines/${id}/disable`);
    const disabled = await only('pipeline.disable', id);
    expect(disabled.before?.['enabled']).toBe(true);
    expect(disabled.after?.['enabled']).toBe(false);

    await call('POST', `/api/pipelines/${id}/enable`);
    expect((await only('pipeline.enable', id)).after?.['enabled']).toBe(true);

    const stepIds = (pipeline.steps as { id: string }[]).map((step) => step.id);
    await call('PUT', `/api/pipelines/${id}/steps/order`, { body: { stepIds: [stepIds[1], stepIds[0]] } });
    const reordered = await only('pipeline.reorder_steps', id);
    expect(reordered.before?.['steps'].map((step: { id: string }) => step.id)).toEqual(stepIds);
    expect(reordered.after?.['steps'].map((step: { id: string }) => step.id)).toEqual([stepIds[1], stepIds[0]]);

    await call('PUT', `/api/pipelines/${id}/nodes/${node.id as string}`);
    const bound = await only('pipeline.bind_node', id);
    expect(bound.before?.['nodeIds']).toEqual([]);
    expect(bound.after?.['nodeIds']).toEqual([node.id]);

    await call('DELETE', `/api/pipelines/${id}/nodes/${node.id as string}`);
    const unbound = await only('pipeline.unbind_node', id);
    expect(unbound.after?.['nodeIds']).toEqual([]);

    await call('DELETE', `/api/pipelines/${id}`);
    const deleted = await only('pipeline.delete', id);
    expectAdminRequest(deleted);
    expect(deleted.before?.['name']).toBe('audited-pipeline');
    expect(deleted.after).toBeNull();

    const all = await events(`entityId=${id}`);
    expect(all).toHaveLength(8);
    expect(JSON.stringify(all)).not.toContain(STEP_SECRET);
  });

  it('records settings without the password', async () => {
    await call('PUT', '/api/settings/smtp', {
      body: {
        enabled: true,
        host: '127.0.0.1',
        port: 2525,
        secure: false,
        username: 'mailer',
        password: SMTP_PASSWORD,
        from: 'ects@example.com',
      },
    });
    const updated = await only('settings.smtp.update', 'smtp');
    expectAdminRequest(updated);
    expect(updated.before?.['host']).toBe('');
    expect(updated.after?.['host']).toBe('127.0.0.1');
    expect(updated.after?.['port']).toBe(2525);
    expect(updated.after).not.toHaveProperty('password');
    expect(JSON.stringify(updated)).not.toContain(SMTP_PASSWORD);
    expect(
      await api.dataSource.query('SELECT id FROM audit_events WHERE `before` LIKE ? OR `after` LIKE ?', [
        `%${SMTP_PASSWORD}%`,
        `%${SMTP_PASSWORD}%`,
      ]),
    ).toEqual([]);
  });

  it('records sign-in, password change and sign-out', async () => {
    const operator = await api.userWithRole('operator');

    const login = (await events(`action=auth.login&entityId=${operator.id}`))[0];
    expect(login.actorName).toBe(operator.email);
    expect(login.actorId).toBe(operator.id);
    expect(login.ip).toMatch(/(^|:)127\.0\.0\.1$/);

    const changed = await api.request('POST', '/api/auth/password', {
      token: operator.token,
      body: { currentPassword: 'operator-password-1', newPassword: 'operator-password-2' },
    });
    const password = await only('auth.change_password', operator.id);
    expect(password.actorName).toBe(operator.email);
    expect(JSON.stringify(password)).not.toContain('operator-password');

    await api.request('POST', '/api/auth/logout', { token: changed.body.accessToken });
    const logout = await only('auth.logout', operator.id);
    expect(logout.actorName).toBe(operator.email);
    expect(logout.actorKind).toBe('user');
  });

  it('records the token as actor', async () => {
    const token = await call('POST', '/api/tokens', { body: { name: 'audited-script', scopes: ['write'] } });
    const task = await api.request('POST', '/api/tasks', {
      token: token.secret as string,
      body: { name: 'by-token', kind: 'shell', config: { command: 'true' } },
    });
    const created = await only('task.create', task.body.id as string);

    expect(created.actorKind).toBe('token');
    expect(created.actorId).toBe(token.id);
    expect(created.actorName).toBe(`audited-script (token of ${ADMIN_EMAIL})`);
  });

  it('filters by actor, action and entity', async () => {
    const operator = await api.userWithRole('operator');
    const task = await api.request('POST', '/api/tasks', {
      token: operator.token,
      body: { name: 'by-operator', kind: 'shell', config: { command: 'true' } },
    });

    const byActor = await events(`actor=${encodeURIComponent(operator.email)}`);
    expect(byActor.map((event) => event.action).sort()).toEqual(['auth.login', 'task.create']);
    expect(byActor.every((event) => event.actorName === operator.email)).toBe(true);

    const byAction = await events('action=task.create');
    expect(byAction.length).toBeGreaterThanOrEqual(4);
    expect(byAction.every((event) => event.action === 'task.create')).toBe(true);

    const byType = await events('entityType=node');
    expect(byType.length).toBeGreaterThanOrEqual(6);
    expect(byType.every((event) => event.entityType === 'node')).toBe(true);

    const byEntity = await events(`entityId=${task.body.id as string}`);
    expect(byEntity.map((event) => event.action)).toEqual(['task.create']);
  });

  it('lists newest first and filters by time', async () => {
    const all = await events('');
    const createdAts = all.map((event) => Date.parse(event.createdAt));
    expect(createdAts).toEqual([...createdAts].sort((a, b) => b - a));

    const target = all.find((event) => event.action === 'token.revoke');
    expect(target).toBeDefined();
    const at = Date.parse(target?.createdAt ?? '');
    const ids = async (query: string): Promise<string[]> =>
      (await events(`action=token.revoke&${query}`)).map((event) => event.id);

    expect(await ids(`from=${new Date(at).toISOString()}&to=${new Date(at).toISOString()}`)).toEqual([target?.id]);
    expect(await ids(`from=${new Date(at - 60_000).toISOString()}`)).toEqual([target?.id]);
    expect(await ids(`from=${new Date(at + 1_000).toISOString()}`)).toEqual([]);
    expect(await ids(`to=${new Date(at - 1_000).toISOString()}`)).toEqual([]);
    expect((await api.request('GET', '/api/audit-events?from=soon', { token: api.adminToken })).status).toBe(400);
  });

  it('viewer and operator get 403', async () => {
    const viewer = await api.userWithRole('viewer');
    const operator = await api.userWithRole('operator');

    expect((await api.request('GET', '/api/audit-events', { token: viewer.token })).status).toBe(403);
    expect((await api.request('GET', '/api/audit-events', { token: operator.token })).status).toBe(403);
  });

  it('failed changes leave no event', async () => {
    const before = (await events('action=node.create')).length;
    const rejected = await api.request('POST', '/api/nodes', { token: api.adminToken, body: { name: '!!' } });

    expect(rejected.status).toBe(400);
    expect(await events('action=node.create')).toHaveLength(before);
  });
});
