import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApp, type TestApp } from './support/app';

interface Token {
  id: string;
  name: string;
  userId: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  secret?: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('API tokens', () => {
  let api: TestApp;
  let viewer: { id: string; email: string; token: string };

  const createToken = async (body: Record<string, unknown>): Promise<Token & { secret: string }> => {
    const response = await api.request<Token & { secret: string }>('POST', '/api/tokens', {
      token: api.adminToken,
      body,
    });
    if (response.status !== 201) {
      throw new Error(`Creating token failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }

    return response.body;
  };

  beforeAll(async () => {
    api = await startTestApp();
    viewer = await api.userWithRole('viewer');
  });

  afterAll(async () => {
    await api.close();
  });

  it('shows the secret once and stores its hash', async () => {
    const created = await createToken({ name: 'ci-deploy', scopes: ['read'] });

    expect(created.secret).toMatch(/^ects_[A-Za-z0-9_-]{30,}$/);
    expect(created.prefix).toBe(created.secret.slice(0, created.prefix.length));
    expect(created.prefix.length).toBeLessThan(16);
    expect(created.scopes).toEqual(['read']);

    const rows: Record<string, unknown>[] = await api.dataSource.query('SELECT * FROM api_tokens WHERE id = ?', [
      created.id,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]['hash']).toBe(sha256(created.secret));
    expect(JSON.stringify(rows[0])).not.toContain(created.secret);

    const fetched = await api.request<{ items: Token[] }>('GET', '/api/tokens?pageSize=200', { token: api.adminToken });
    const listed = fetched.body.items.find((token) => token.id === created.id);
    expect(listed).toBeDefined();
    expect(listed).not.toHaveProperty('secret');
  });

  it('lists prefix and last use', async () => {
    const created = await createToken({ name: 'last-use', scopes: ['read'] });
    const before = await api.request<{ items: Token[] }>('GET', '/api/tokens?pageSize=200', { token: api.adminToken });
    const unused = before.body.items.find((token) => token.id === created.id);
    expect(unused?.prefix).toBe(created.prefix);
    expect(unused?.lastUsedAt).toBeNull();

    const startedAt = Date.now();
    expect((await api.request('GET', '/api/tasks', { token: created.secret })).status).toBe(200);

    const after = await api.request<{ items: Token[] }>('GET', '/api/tokens?pageSize=200', { token: api.adminToken });
    const used = after.body.items.find((token) => token.id === created.id);
    expect(used?.lastUsedAt).not.toBeNull();
    expect(Math.abs(Date.parse(used?.lastUsedAt ?? '') - startedAt)).toBeLessThan(10_000);
  });

  it('filters tokens by user', async () => {
    const own = await createToken({ name: 'viewer-own', scopes: ['read'], userId: viewer.id });
    const listed = await api.request<{ items: Token[] }>('GET', `/api/tokens?userId=${viewer.id}`, {
      token: api.adminToken,
    });

    expect(listed.body.items.map((token) => token.id)).toContain(own.id);
    expect(listed.body.items.every((token) => token.userId === viewer.id)).toBe(true);
  });

  it('read token can read only', async () => {
    const created = await createToken({ name: 'reader', scopes: ['read'] });

    const me = await api.request('GET', '/api/auth/me', { token: created.secret });
    expect(me.status).toBe(200);
    expect(me.body.via).toBe('token');
    expect(me.body.role).toBe('admin');
    expect(me.body.effectiveRole).toBe('viewer');

    expect((await api.request('GET', '/api/tasks', { token: created.secret })).status).toBe(200);
    const write = await api.request('POST', '/api/tasks', {
      token: created.secret,
      body: { name: 'nope', kind: 'shell', config: { command: 'true' } },
    });
    expect(write.status).toBe(403);
    expect(write.body.message).toMatch(/operator/);
  });

  it('write token of a viewer acts as viewer', async () => {
    const created = await createToken({ name: 'viewer-write', scopes: ['write', 'admin'], userId: viewer.id });
    expect(created.userId).toBe(viewer.id);

    const me = await api.request('GET', '/api/auth/me', { token: created.secret });
    expect(me.body.effectiveRole).toBe('viewer');

    const write = await api.request('POST', '/api/tasks', {
      token: created.secret,
      body: { name: 'nope', kind: 'shell', config: { command: 'true' } },
    });
    expect(write.status).toBe(403);
    expect((await api.request('GET', '/api/users', { token: created.secret })).status).toBe(403);
  });

  it('write token of an admin acts as operator', async () => {
    const created = await createToken({ name: 'admin-write', scopes: ['write'] });

    const task = await api.request('POST', '/api/tasks', {
      token: created.secret,
      body: { name: 'by-token', kind: 'shell', config: { command: 'true' } },
    });
    expect(task.status).toBe(201);
    expect((await api.request('GET', '/api/users', { token: created.secret })).status).toBe(403);
  });

  it('revoked token gets 401', async () => {
    const created = await createToken({ name: 'to-revoke', scopes: ['read'] });
    expect((await api.request('GET', '/api/tasks', { token: created.secret })).status).toBe(200);

    const revoked = await api.request<Token>('POST', `/api/tokens/${created.id}/revoke`, { token: api.adminToken });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();

    const rejected = await api.request('GET', '/api/tasks', { token: created.secret });
    expect(rejected.status).toBe(401);
    expect(rejected.body.message).toMatch(/revoked/);
  });

  it('expired token gets 401', async () => {
    const created = await createToken({
      name: 'to-expire',
      scopes: ['read'],
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(created.expiresAt).not.toBeNull();
    expect((await api.request('GET', '/api/tasks', { token: created.secret })).status).toBe(200);

    await api.dataSource.query('UPDATE api_tokens SET expires_at = ? WHERE id = ?', [
      new Date(Date.now() - 60_000),
      created.id,
    ]);

    const rejected = await api.request('GET', '/api/tasks', { token: created.secret });
    expect(rejected.status).toBe(401);
    expect(rejected.body.message).toMatch(/expired/);
  });

  it('token of a disabled owner gets 401', async () => {
    const owner = await api.userWithRole('operator');
    const created = await createToken({ name: 'owner-disabled', scopes: ['write'], userId: owner.id });
    await api.request('PATCH', `/api/users/${owner.id}`, { token: api.adminToken, body: { disabled: true } });

    expect((await api.request('GET', '/api/tasks', { token: created.secret })).status).toBe(401);
  });

  it('unknown token gets 401', async () => {
    const response = await api.request('GET', '/api/tasks', { token: 'ects_this-token-was-never-issued-by-the-api' });

    expect(response.status).toBe(401);
  });

  it('rejects a past expiresAt', async () => {
    const response = await api.request('POST', '/api/tokens', {
      token: api.adminToken,
      body: { name: 'past', scopes: ['read'], expiresAt: new Date(Date.now() - 60_000).toISOString() },
    });

    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('expiresAt');
  });

  it('rejects unknown scopes and empty scopes', async () => {
    const unknown = await api.request('POST', '/api/tokens', {
      token: api.adminToken,
      body: { name: 'bad', scopes: ['root'] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].field).toBe('scopes');

    const empty = await api.request('POST', '/api/tokens', {
      token: api.adminToken,
      body: { name: 'bad', scopes: [] },
    });
    expect(empty.status).toBe(400);
  });

  it('revoking an unknown token gives 404', async () => {
    const response = await api.request('POST', '/api/tokens/01936b2e-0000-7000-8000-000000000000/revoke', {
      token: api.adminToken,
    });

    expect(response.status).toBe(404);
  });
});
