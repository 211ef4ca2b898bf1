import { AsyncLocalStorage } from 'node:async_hooks';

import type { Role } from '@ects/domain';

/** Who is making a request: a signed-in user, an API token, or ECTS itself. */
export interface Actor {
  kind: 'user' | 'token' | 'system';
  /** The user behind the request; a token acts as its owner, capped by its scopes. */
  userId: string | null;
  /** API token id when the request came with one. */
  tokenId: string | null;
  name: string;
  role: Role;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', userId: null, tokenId: null, name: 'system', role: 'admin' };

export interface RequestContext {
  actor: Actor | null;
  ip: string | null;
  userAgent: string | null;
  /** Set once an audit event has been written for this request. */
  audited: boolean;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(context: RequestContext, callback: () => T): T {
  return storage.run(context, callback);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}
