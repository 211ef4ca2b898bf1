import type { Role } from '@ects/domain';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

import { api, type Schemas, unwrap } from '../../api/client';
import { OPERATION_ROLES, type Operation } from '../../api/permissions';

const STORAGE_KEY = 'ects.session';

/** Longest delay setTimeout accepts (2^31 - 1 ms, about 24.8 days); longer sessions re-arm the timer. */
const MAX_TIMER_MS = 2_147_483_647;

type Session = Schemas['SessionDto'];
type User = Schemas['UserDto'];

/** Why a session ended, for the sign-in page to explain. */
export type SessionEnd = 'signed_out' | 'expired';

function readStoredSession(): Session | null {
  const raw = localStorage.getItem(STORAGE_KEY);
  if (raw === null) {
    return null;
  }

  try {
    const session = JSON.parse(raw) as Session;

    return Date.parse(session.expiresAt) > Date.now() ? session : null;
  } catch (error: unknown) {
    // A corrupt entry only costs a sign-in, so it is dropped.
    localStorage.removeItem(STORAGE_KEY);
    if (!(error instanceof SyntaxError)) {
      throw error;
    }

    return null;
  }
}

/**
 * The signed-in user and their JWT, kept in localStorage so a reload stays signed in. The session ends
 * at its expiry time, on sign-out, or when the API rejects the token.
 */
export const useSessionStore = defineStore('session', () => {
  const session = ref<Session | null>(readStoredSession());
  const ended = ref<SessionEnd | null>(null);
  let expiryTimer: ReturnType<typeof setTimeout> | undefined;

  const token = computed(() => session.value?.accessToken ?? null);
  const user = computed<User | null>(() => session.value?.user ?? null);
  const role = computed<Role | null>(() => session.value?.user.role ?? null);
  const signedIn = computed(() => session.value !== null);

  /** Tells whether the signed-in user's role may call an operation, from its `x-roles` in the OpenAPI document. */
  function can(operation: Operation): boolean {
    const allowed: readonly string[] = OPERATION_ROLES[operation];

    return allowed.includes('public') || (role.value !== null && allowed.includes(role.value));
  }

  function store(next: Session | null): void {
    session.value = next;
    clearTimeout(expiryTimer);
    if (next === null) {
      localStorage.removeItem(STORAGE_KEY);

      return;
    }

    localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    armExpiryTimer();
  }

  function armExpiryTimer(): void {
    clearTimeout(expiryTimer);
    if (session.value === null) {
      return;
    }

    const remaining = Date.parse(session.value.expiresAt) - Date.now();
    if (remaining <= 0) {
      end('expired');

      return;
    }
    expiryTimer = setTimeout(armExpiryTimer, Math.min(remaining, MAX_TIMER_MS));
  }

  /** Ends the session locally; the router guard then shows the sign-in page. */
  function end(reason: SessionEnd): void {
    if (session.value === null) {
      return;
    }

    ended.value = reason;
    store(null);
  }

  async function signIn(email: string, password: string): Promise<void> {
    const next = await unwrap(api.POST('/api/auth/login', { body: { email, password } }));
    ended.value = null;
    store(next);
  }

  async function signOut(): Promise<void> {
    try {
      await unwrap(api.POST('/api/auth/logout'));
    } finally {
      end('signed_out');
    }
  }

  /** Changes the password; the API revokes older sessions and returns a new one. */
  async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
    const next = await unwrap(api.POST('/api/auth/password', { body: { currentPassword, newPassword } }));
    store(next);
  }

  armExpiryTimer();

  return { session, ended, token, user, role, signedIn, can, signIn, signOut, changePassword, end };
});
