import createClient, { type Middleware } from 'openapi-fetch';

import type { components, paths } from './schema';

export type Schemas = components['schemas'];

/** The JSON error body every API error carries. */
export type ErrorResponse = Schemas['ErrorResponseDto'];

/** An API call that answered with an error status; `code` is always API_ERROR, `status` is the HTTP status. */
export class ApiError extends Error {
  readonly code = 'API_ERROR';

  constructor(
    readonly status: number,
    readonly body: ErrorResponse | null,
  ) {
    super(body?.message ?? `The API answered with HTTP ${status}`);
    this.name = 'ApiError';
  }

  /** Messages of the failing fields, by field name, for inline form errors. */
  fieldErrors(): Record<string, string> {
    const errors: Record<string, string> = {};
    for (const error of this.body?.errors ?? []) {
      errors[error.field] = error.message;
    }

    return errors;
  }
}

interface AuthHooks {
  /** The bearer token of the current session, or null when signed out. */
  token(): string | null;
  /** Called when the API rejects the session (HTTP 401), so the app can send the user to sign in. */
  unauthorized(): void;
}

let hooks: AuthHooks = { token: () => null, unauthorized: () => undefined };

/** Connects the client to the session: which token to send, and what a rejected session does. */
export function setAuthHooks(next: AuthHooks): void {
  hooks = next;
}

const authMiddleware: Middleware = {
  onRequest({ request }) {
    const token = hooks.token();
    if (token !== null) {
      request.headers.set('authorization', `Bearer ${token}`);
    }

    return request;
  },
  onResponse({ request, response }) {
    // A failed sign-in is a wrong password, not an expired session.
    if (response.status === 401 && !request.url.endsWith('/api/auth/login')) {
      hooks.unauthorized();
    }

    return response;
  },
};

/** The typed REST client; paths, parameters and bodies come from the generated OpenAPI schema. */
export const api = createClient<paths>({ baseUrl: '' });
api.use(authMiddleware);

interface ApiResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Awaits an API call and returns its data, or throws an ApiError for an error status. */
export async function unwrap<T>(call: Promise<ApiResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    throw new ApiError(response.status, isErrorResponse(error) ? error : null);
  }

  return data as T;
}

function isErrorResponse(value: unknown): value is ErrorResponse {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}
