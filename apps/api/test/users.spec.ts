import { randomUUID } from 'node:crypto';

import { ConflictException } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SYSTEM_ACTOR } from '../src/infra/context/request-context';
import { UsersService } from '../src/users/users.service';
import { ADMIN_EMAIL, startTestApp, type TestApp } from './support/app';

interface User {
  id: string;
  name: string;
  email: string;
  role: string;
  disabled: boolean;
}

describe('users', () => {
  let api: TestApp;
  let adminId: string;

  const createUser = async (body: Record<string, unknown>): Promise<User> => {
    const response = await api.request<User>('POST', '/api/users', {
      token: api.adminToken,
      body: { password: 'a-password-123', ...body },
    });
    if (response.status !== 201) {
      throw new Error(`Creating user failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }

    return response.body;
  };

  beforeAll(async () => {
    api = await startTestApp();
    adminId = (await api.request('GET', '/api/auth/me', { token: api.adminToken })).body.id;
  });

  afterAll(async () => {
    await api.close();
  });

  it('creates, reads, updates and deletes a user', async () => {
    const created = await api.request<User>('POST', '/api/users', {
      token: api.adminToken,
      body: { name: 'Dana Ops', email: ' Dana@Example.com ', password: 'dana-password-1', role: 'operator' },
    });
    expect(created.status).toBe(201);
    expect(created.body.email).toBe('dana@example.com');
    expect(created.body.role).toBe('operator');
    expect(created.body.disabled).toBe(false);
    expect(created.body).not.toHaveProperty('passwordHash');
    expect(created.body).not.toHaveProperty('password');

    const fetched = await api.request<User>('GET', `/api/users/${created.body.id}`, { token: api.adminToken });
    expect(fetched.status).toBe(200);
    expect(fetched.body.name).toBe('Dana Ops');

    const updated = await api.request<User>('PATCH', `/api/users/${created.body.id}`, {
      token: api.adminToken,
      body: { name: 'Dana Admin', role: 'admin' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.name).toBe('Dana Admin');
    expect(updated.body.role).toBe('admin');

    const deleted = await api.request('DELETE', `/api/users/${created.body.id}`, { token: api.adminToken });
    expect(deleted.status).toBe(204);
    expect((await api.request('GET', `/api/users/${created.body.id}`, { token: api.adminToken })).status).toBe(404);
  });

  it('rejects a duplicate e-mail with 409', async () => {
    await createUser({ name: 'First', email: 'twice@example.com', role: 'viewer' });

    const duplicate = await api.request('POST', '/api/users', {
      token: api.adminToken,
      body: { name: 'Second', email: 'TWICE@example.com', password: 'a-password-123', role: 'viewer' },
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.message).toContain('twice@example.com');

    const other = await createUser({ name: 'Other', email: 'other-mail@example.com', role: 'viewer' });
    const renamed = await api.request('PATCH', `/api/users/${other.id}`, {
      token: api.adminToken,
      body: { email: 'twice@example.com' },
    });
    expect(renamed.status).toBe(409);
  });

  it('returns 404 for an unknown user', async () => {
    const id = randomUUID();
    const response = await api.request('GET', `/api/users/${id}`, { token: api.adminToken });

    expect(response.status).toBe(404);
    expect(response.body.message).toContain(id);
  });

  it('rejects invalid user fields', async () => {
    const response = await api.request('POST', '/api/users', {
      token: api.adminToken,
      body: { name: '', email: 'not-an-email', password: 'short', role: 'root' },
    });
    const fields = (response.body.errors as { field: string }[]).map((error) => error.field);

    expect(response.status).toBe(400);
    expect(fields).toContain('name');
    expect(fields).toContain('email');
    expect(fields).toContain('password');
    expect(fields).toContain('role');
  });

  it('keeps the last admin from demoting itself', async () => {
    const demoted = await api.request('PATCH', `/api/users/${adminId}`, {
      token: api.adminToken,
      body: { role: 'operator' },
    });

    expect(demoted.status).toBe(409);
    expect(demoted.body.message).toMatch(/last enabled admin/);
    expect((await api.request<User>('GET', `/api/users/${adminId}`, { token: api.adminToken })).body.role).toBe(
      'admin',
    );
  });

  it('a disabled admin does not count', async () => {
    const other = await createUser({ name: 'Sleeping Admin', email: 'sleeping-admin@example.com', role: 'admin' });
    expect(
      (await api.request('PATCH', `/api/users/${other.id}`, { token: api.adminToken, body: { disabled: true } }))
        .status,
    ).toBe(200);

    const demoted = await api.request('PATCH', `/api/users/${adminId}`, {
      token: api.adminToken,
      body: { role: 'viewer' },
    });

    expect(demoted.status).toBe(409);
  });

  it('keeps the last admin enabled and present', async () => {
    // Over HTTP the caller is another enabled admin, or the admin itself, which the self checks reject
    // first. So the rule is tested on the service, with the system as the actor.
    const users = api.app.get(UsersService);

    await expect(users.update(adminId, { disabled: true }, SYSTEM_ACTOR)).rejects.toBeInstanceOf(ConflictException);
    await expect(users.remove(adminId, SYSTEM_ACTOR)).rejects.toBeInstanceOf(ConflictException);
    expect((await users.get(adminId)).disabled).toBe(false);
  });

  it('rejects deleting or disabling yourself', async () => {
    const deleted = await api.request('DELETE', `/api/users/${adminId}`, { token: api.adminToken });
    expect(deleted.status).toBe(400);
    expect(deleted.body.message).toMatch(/own account/);

    const disabled = await api.request('PATCH', `/api/users/${adminId}`, {
      token: api.adminToken,
      body: { disabled: true },
    });
    expect(disabled.status).toBe(400);
  });

  it('another admin can demote an admin', async () => {
    const second = await createUser({ name: 'Second Admin', email: 'second-admin@example.com', role: 'admin' });
    const demoted = await api.request<User>('PATCH', `/api/users/${second.id}`, {
      token: api.adminToken,
      body: { role: 'operator' },
    });

    expect(demoted.status).toBe(200);
    expect(demoted.body.role).toBe('operator');
  });

  it('password reset ends the sessions', async () => {
    const viewer = await api.userWithRole('viewer');

    const reset = await api.request('POST', `/api/users/${viewer.id}/password`, {
      token: api.adminToken,
      body: { password: 'brand-new-password' },
    });
    expect(reset.status).toBe(200);
    expect(reset.body.id).toBe(viewer.id);

    expect((await api.request('GET', '/api/auth/me', { token: viewer.token })).status).toBe(401);
    expect(
      (await api.request('POST', '/api/auth/login', { body: { email: viewer.email, password: 'viewer-password-1' } }))
        .status,
    ).toBe(401);
    expect(
      (await api.request('POST', '/api/auth/login', { body: { email: viewer.email, password: 'brand-new-password' } }))
        .status,
    ).toBe(200);
  });

  it('filters by search text and role', async () => {
    await createUser({ name: 'Zebra Keeper', email: 'zk@zoo.example.com', role: 'operator' });
    await createUser({ name: 'Lion Keeper', email: 'lion@zoo.example.com', role: 'viewer' });
    await createUser({ name: 'Night Guard', email: 'guard@zoo.example.com', role: 'operator' });

    const byName = await api.request<{ items: User[]; total: number }>('GET', '/api/users?search=keeper', {
      token: api.adminToken,
    });
    expect(byName.status).toBe(200);
    expect(byName.body.items.map((user) => user.name).sort()).toEqual(['Lion Keeper', 'Zebra Keeper']);
    expect(byName.body.total).toBe(2);

    const byEmail = await api.request<{ items: User[] }>('GET', '/api/users?search=zoo.example', {
      token: api.adminToken,
    });
    expect(byEmail.body.items).toHaveLength(3);

    const operators = await api.request<{ items: User[] }>('GET', '/api/users?search=zoo.example&role=operator', {
      token: api.adminToken,
    });
    expect(operators.body.items.map((user) => user.name).sort()).toEqual(['Night Guard', 'Zebra Keeper']);

    const wildcard = await api.request<{ items: User[] }>('GET', `/api/users?search=${encodeURIComponent('%')}`, {
      token: api.adminToken,
    });
    expect(wildcard.body.items).toHaveLength(0);

    const badRole = await api.request('GET', '/api/users?role=root', { token: api.adminToken });
    expect(badRole.status).toBe(400);
  });

  it('pages through users in order', async () => {
    const all = await api.request<{ items: User[]; total: number }>('GET', '/api/users?order=asc&pageSize=200', {
      token: api.adminToken,
    });
    expect(all.body.total).toBeGreaterThanOrEqual(6);
    expect(all.body.items[0].email).toBe(ADMIN_EMAIL);

    const page2 = await api.request<{ items: User[]; total: number; page: number; pageSize: number }>(
      'GET',
      '/api/users?order=asc&page=2&pageSize=2',
      {
        token: api.adminToken,
      },
    );
    expect(page2.status).toBe(200);
    expect(page2.body.page).toBe(2);
    expect(page2.body.pageSize).toBe(2);
    expect(page2.body.total).toBe(all.body.total);
    expect(page2.body.items.map((user) => user.id)).toEqual(all.body.items.slice(2, 4).map((user) => user.id));
  });

  it('rejects a page size over 200', async () => {
    const response = await api.request('GET', '/api/users?pageSize=201', { token: api.adminToken });

    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('pageSize');
    expect(response.body.message).toContain('pageSize');
  });

  it('rejects page 0', async () => {
    const response = await api.request('GET', '/api/users?page=0', { token: api.adminToken });

    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('page');
  });
});
