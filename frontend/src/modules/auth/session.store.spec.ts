import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { useSessionStore } from './session.store';

function storeSession(role: 'viewer' | 'operator' | 'admin', expiresInMs: number): void {
  localStorage.setItem(
    'ects.session',
    JSON.stringify({
      accessToken: 'jwt',
      expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
      user: {
        id: 'u1',
        name: role,
        email: `${role}@example.com`,
        role,
        disabled: false,
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      },
    }),
  );
}

describe('session store', () => {
  beforeEach(() => {
    localStorage.clear();
    setActivePinia(createPinia());
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives viewers read operations only', () => {
    storeSession('viewer', 60_000);
    const session = useSessionStore();

    expect(session.can('GET /api/pipelines')).toBe(true);
    expect(session.can('PATCH /api/pipelines/{id}')).toBe(false);
    expect(session.can('POST /api/pipelines/{id}/runs')).toBe(false);
    expect(session.can('POST /api/runs/{id}/kill')).toBe(false);
    expect(session.can('GET /api/users')).toBe(false);
  });

  it('gives operators pipeline work', () => {
    storeSession('operator', 60_000);
    const session = useSessionStore();

    expect(session.can('PATCH /api/pipelines/{id}')).toBe(true);
    expect(session.can('POST /api/runs/{id}/kill')).toBe(true);
    expect(session.can('POST /api/enrollment-tokens')).toBe(false);
    expect(session.can('GET /api/audit-events')).toBe(false);
  });

  it('gives admins everything', () => {
    storeSession('admin', 60_000);
    const session = useSessionStore();

    expect(session.can('GET /api/users')).toBe(true);
    expect(session.can('DELETE /api/nodes/{id}')).toBe(true);
    expect(session.can('PUT /api/settings/smtp')).toBe(true);
  });

  it('allows nothing when signed out', () => {
    const session = useSessionStore();

    expect(session.signedIn).toBe(false);
    expect(session.can('GET /api/pipelines')).toBe(false);
    expect(session.can('POST /api/auth/login')).toBe(true);
  });

  it('drops an expired stored session', () => {
    storeSession('admin', -1_000);
    const session = useSessionStore();

    expect(session.signedIn).toBe(false);
  });

  it('ends the session at its expiry', () => {
    vi.useFakeTimers();
    storeSession('operator', 5_000);
    const session = useSessionStore();
    expect(session.signedIn).toBe(true);

    vi.advanceTimersByTime(5_001);

    expect(session.signedIn).toBe(false);
    expect(session.ended).toBe('expired');
    expect(localStorage.getItem('ects.session')).toBeNull();
  });
});
