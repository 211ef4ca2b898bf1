import { Agent, fetch, type Dispatcher } from 'undici';

import { StopReason } from './step';

export interface HttpCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
  followRedirects: boolean;
  verifyTls: boolean;
  /** Response body bytes kept; the rest is read from the socket and dropped. */
  maxBodyBytes: number;
}

export interface HttpReply {
  status: number;
  statusText: string;
  body: string;
  /** Whether the body was longer than maxBodyBytes. */
  truncated: boolean;
}

/** Dispatcher that accepts any TLS certificate, for steps with verifyTls set to false; made on first use. */
let insecureDispatcher: Dispatcher | undefined;

function dispatcherFor(verifyTls: boolean): Dispatcher | undefined {
  if (verifyTls) {
    return undefined;
  }

  insecureDispatcher ??= new Agent({ connect: { rejectUnauthorized: false } });

  return insecureDispatcher;
}

/** Reads at most `maxBytes` of a response body and cancels the rest. */
async function readBody(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  if (body === null) {
    return { text: '', truncated: false };
  }

  const reader = body.getReader();
  const parts: Buffer[] = [];
  let size = 0;
  let truncated = false;

  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }

    const room = maxBytes - size;
    if (value.length > room) {
      parts.push(Buffer.from(value.subarray(0, room)));
      truncated = true;
      await reader.cancel();
      break;
    }

    parts.push(Buffer.from(value));
    size += value.length;
  }

  return { text: Buffer.concat(parts).toString('utf8'), truncated };
}

/** Thrown when the request's own timeout ended it, as opposed to the step's signal. */
export class HttpTimeoutError extends Error {}

/**
 * Sends one HTTP request with undici. Rejects with HttpTimeoutError when `timeoutMs` passes, with
 * the signal's StopReason when the step is stopped, and with the network error otherwise.
 */
export async function sendHttp(call: HttpCall, signal: AbortSignal): Promise<HttpReply> {
  const timeout = AbortSignal.timeout(call.timeoutMs);
  const combined = AbortSignal.any([signal, timeout]);

  try {
    const response = await fetch(call.url, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      redirect: call.followRedirects ? 'follow' : 'manual',
      signal: combined,
      dispatcher: dispatcherFor(call.verifyTls),
    });
    const { text, truncated } = await readBody(response.body, call.maxBodyBytes);

    return { status: response.status, statusText: response.statusText, body: text, truncated };
  } catch (error: unknown) {
    if (signal.aborted) {
      throw signal.reason instanceof StopReason ? signal.reason : error;
    }
    if (timeout.aborted) {
      throw new HttpTimeoutError(`the request timed out after ${call.timeoutMs} ms`);
    }

    throw error;
  }
}

/** Describes a network error, including undici's cause, such as `connect ECONNREFUSED 127.0.0.1:9`. */
export function describeHttpError(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }

  const cause: unknown = error.cause;

  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}
