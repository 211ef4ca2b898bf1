import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, type TestApp } from './support/app';

describe('auth', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp();
  });

  afterAll(async () => {
    await api.close();
  });

  it('signs in and returns the user with a JWT', async () => {
    const response = await api.request('POST', '/api/auth/login', {
      body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    });

    expect(response.status).toBe(200);
    expect(response.body.accessToken).toMatch(/^ey/);
    expect(response.body.user.email).toBe(ADMIN_EMAIL);
    expect(response.body.user).not.toHaveProperty('passwordHash');
    expect(Date.parse(response.body.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('accepts the e-mail in any case', async () => {
    const response = await api.request('POST', '/api/auth/login', {
      body: { email: ADMIN_EMAIL.toUpperCase(), password: ADMIN_PASSWORD },
    });

    expect(response.status).toBe(200);
  });

  it('rejects a wrong password with 401', async () => {
    const response = await api.request('POST', '/api/auth/login', {
      body: { email: ADMIN_EMAIL, password: 'wrong-password' },
    });

    expect(response.status).toBe(401);
    expect(response.body.message).toMatch(/wrong/);
  });

  it('records failed sign-ins in the audit log', async () => {
    await api.request('POST', '/api/auth/login', { body: { email: 'nobody@example.com', password: 'whatever-1234' } });
    const events = await api.request('GET', '/api/audit-events?action=auth.login_failed', { token: api.adminToken });

    expect(events.status).toBe(200);
    expect(
      events.body.items.some((event: { after: { email: string } }) => event.after.email === 'nobody@example.com'),
    ).toBe(true);
  });

  it('rejects requests without credentials', async () => {
    const response = await api.request('GET', '/api/auth/me');

    expect(response.status).toBe(401);
    expect(response.body.message).toMatch(/Authentication failed|Sign in/);
  });

  it('rejects a forged JWT', async () => {
    const [header, payload] = api.adminToken.split('.');
    const response = await api.request('GET', '/api/auth/me', { token: `${header}.${payload}.forged-signature` });

    expect(response.status).toBe(401);
  });

  it('returns the current user', async () => {
    const response = await api.request('GET', '/api/auth/me', { token: api.adminToken });

    expect(response.status).toBe(200);
    expect(response.body.email).toBe(ADMIN_EMAIL);
    expect(response.body.role).toBe('admin');
    expect(response.body.via).toBe('user');
  });

  it('logout revokes every JWT of the user', async () => {
    const viewer = await api.userWithRole('viewer');
    const second = await api.login(viewer.email, 'viewer-password-1');

    const logout = await api.request('POST', '/api/auth/logout', { token: viewer.token });
    expect(logout.status).toBe(204);

    expect((await api.request('GET', '/api/auth/me', { token: viewer.token })).status).toBe(401);
    expect((await api.request('GET', '/api/auth/me', { token: second })).status).toBe(401);
    expect(
      (await api.request('GET', '/api/auth/me', { token: await api.login(viewer.email, 'viewer-password-1') })).status,
    ).toBe(200);
  });

  it('changes the password and ends the old sessions', async () => {
    const operator = await api.userWithRole('operator');

    const wrong = await api.request('POST', '/api/auth/password', {
      token: operator.token,
      body: { currentPassword: 'not-the-password', newPassword: 'new-password-123' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].field).toBe('currentPassword');

    const tooShort = await api.request('POST', '/api/auth/password', {
      token: operator.token,
      body: { currentPassword: 'operator-password-1', newPassword: 'short' },
    });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body.errors[0].field).toBe('newPassword');

    const changed = await api.request('POST', '/api/auth/password', {
      token: operator.token,
      body: { currentPassword: 'operator-password-1', newPassword: 'new-password-123' },
    });
    expect(changed.status).toBe(200);
    expect((await api.request('GET', '/api/auth/me', { token: operator.token })).status).toBe(401);
    expect((await api.request('GET', '/api/auth/me', { token: changed.body.accessToken })).status).toBe(200);
    expect(
      (
        await api.request('POST', '/api/auth/login', {
          body: { email: operator.email, password: 'operator-password-1' },
        })
      ).status,
    ).toBe(401);
    expect(
      (await api.request('POST', '/api/auth/login', { body: { email: operator.email, password: 'new-password-123' } }))
        .status,
    ).toBe(200);
  });

  it('a disabled user can neither sign in nor use an old JWT', async () => {
    const viewer = await api.userWithRole('viewer');

    const disabled = await api.request('PATCH', `/api/users/${viewer.id}`, {
      token: api.adminToken,
      body: { disabled: true },
    });
    expect(disabled.status).toBe(200);

    expect((await api.request('GET', '/api/auth/me', { token: viewer.token })).status).toBe(401);
    expect(
      (await api.request('POST', '/api/auth/login', { body: { email: viewer.email, password: 'viewer-password-1' } }))
        .status,
    ).toBe(401);
  });

  it('rejects login bodies with unknown fields or wrong types', async () => {
    const unknown = await api.request('POST', '/api/auth/login', {
      body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, remember: true },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toContainEqual(expect.objectContaining({ field: 'remember' }));

    const wrongType = await api.request('POST', '/api/auth/login', { body: { email: ADMIN_EMAIL, password: 12345 } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors).toContainEqual(expect.objectContaining({ field: 'password' }));
  });
});

describe('login throttling', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ database: 'sqlite', env: { ECTS_LOGIN_LIMIT: '3', ECTS_LOGIN_WINDOW_SECONDS: '60' } });
  });

  afterAll(async () => {
    await api.close();
  });

  it('answers 429 once the attempts of a window are used up', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await api.request('POST', '/api/auth/login', {
        body: { email: ADMIN_EMAIL, password: 'wrong-password' },
      });
      statuses.push(response.status);
    }

    expect(statuses.slice(0, 2)).toEqual([401, 401]);
    expect(statuses.at(-1)).toBe(429);
  });
});
