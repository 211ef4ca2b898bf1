import type { Connection } from '../config';
import { CliError, messageOf } from '../errors';
import type { ErrorResponseDto } from './schema';

/** Milliseconds one request may take before it is abandoned. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Largest page the API serves. */
const MAX_PAGE_SIZE = 200;

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** The API rejected a request; `status` is its HTTP status and `body` its JSON error, when it sent one. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly body: Partial<ErrorResponseDto> | null,
    message: string,
  ) {
    super(status === 401 ? 'CREDENTIALS_REJECTED' : status === 404 ? 'NOT_FOUND' : 'API_REJECTED', message);
    this.name = 'ApiError';
  }
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** A REST client of the ECTS API that sends an API token and turns failures into actionable errors. */
export class ApiClient {
  constructor(readonly connection: Pick<Connection, 'server' | 'token' | 'serverSource' | 'tokenSource'>) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  /** Fetches every page of a list endpoint; `query` holds its filters. */
  async listAll<T>(path: string, query: Record<string, string> = {}): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const search = new URLSearchParams({ ...query, page: String(page), pageSize: String(MAX_PAGE_SIZE) });
      const result = await this.get<Page<T>>(`${path}?${search.toString()}`);
      items.push(...result.items);
      if (result.items.length < MAX_PAGE_SIZE || items.length >= result.total) {
        return items;
      }
    }
  }

  async request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const { server } = this.connection;
    let response: Response;
    try {
      response = await fetch(`${server}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.connection.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error: unknown) {
      throw new CliError(
        'SERVER_UNREACHABLE',
        `Cannot reach the ECTS server at ${server} (${describeFetchError(error)}); check the address from ` +
          `${this.connection.serverSource} and that the API is running`,
      );
    }

    const text = await response.text();
    if (response.ok) {
      return (text === '' ? undefined : JSON.parse(text)) as T;
    }

    throw this.errorFor(method, path, response.status, parseErrorBody(text));
  }

  private errorFor(method: Method, path: string, status: number, body: Partial<ErrorResponseDto> | null): ApiError {
    const reason = body?.message ?? `HTTP ${status}`;
    // Validation errors usually repeat each field's message in `message`; list only the others.
    const fields = (body?.errors ?? [])
      .filter((error) => !reason.includes(error.message))
      .map((error) => `\n  ${error.field}: ${error.message}`)
      .join('');

    switch (status) {
      case 401:
        return new ApiError(
          status,
          body,
          `The server rejected the API token from ${this.connection.tokenSource} (${reason}); run ectsctl login ` +
            'with a valid token, or set ECTS_TOKEN. API tokens start with ects_ and are created by an admin',
        );
      case 403:
        return new ApiError(
          status,
          body,
          `${method} ${path} is not allowed for this token (${reason}); use a token whose scope and owner's ` +
            'role allow it: read for get, describe and logs, write for apply, run and kill',
        );
      default:
        return new ApiError(status, body, `${method} ${path} failed with HTTP ${status}: ${reason}${fields}`);
    }
  }
}

function parseErrorBody(text: string): Partial<ErrorResponseDto> | null {
  try {
    const parsed: unknown = JSON.parse(text);

    return parsed !== null && typeof parsed === 'object' ? parsed : null;
  } catch {
    // Proxies answer with HTML or plain text; the status alone must do then.
    return text.trim() === '' ? null : { message: text.trim().slice(0, 200) };
  }
}

/** Undici wraps the socket error (ECONNREFUSED, ENOTFOUND) in `cause`; that is the useful part. */
function describeFetchError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  }

  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;

  return cause?.code ?? cause?.message ?? messageOf(error);
}
