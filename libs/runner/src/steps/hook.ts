import { createHmac } from 'node:crypto';

import type { HookTaskConfig } from '@ects/domain';

import { HttpTimeoutError, describeHttpError, sendHttp } from './http-client';
import { StopReason, failed, stopped, type StepContext, type StepOutcome } from './step';

const HOOK_TIMEOUT_MS = 30_000;
const MAX_REPLY_BYTES = 4 * 1024;

/** Signature header value: `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>` keyed with the secret. */
export function signHook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * POSTs the run as JSON to the hook's URL, for chat and incident tools. The receiver checks the
 * `X-ECTS-Signature` header against its copy of the secret, and `X-ECTS-Timestamp` against replays.
 * Any 2xx reply succeeds.
 */
export async function runHookStep(context: StepContext): Promise<StepOutcome> {
  const { output, signal } = context;
  const config = context.step.task.config as HookTaskConfig;
  const body = JSON.stringify(context.describeRun());
  const timestamp = Math.floor(context.clock.now() / 1000);

  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-ECTS-Event': 'run.finished',
    'X-ECTS-Timestamp': String(timestamp),
  };
  if (config.secret !== undefined && config.secret.length > 0) {
    headers['X-ECTS-Signature'] = signHook(config.secret, timestamp, body);
  }

  output.system(`[ECTS] POST ${config.url}`);

  try {
    const reply = await sendHttp(
      {
        method: 'POST',
        url: config.url,
        headers,
        body,
        timeoutMs: HOOK_TIMEOUT_MS,
        followRedirects: true,
        verifyTls: true,
        maxBodyBytes: MAX_REPLY_BYTES,
      },
      signal,
    );

    output.write('stdout', `HTTP ${reply.status} ${reply.statusText}\n${reply.body}`);

    if (reply.status >= 200 && reply.status <= 299) {
      return { status: 'succeeded', exitCode: null, httpStatus: reply.status, errorMessage: null };
    }

    return failed(`the hook returned HTTP ${reply.status}`, { httpStatus: reply.status });
  } catch (error: unknown) {
    if (error instanceof StopReason) {
      return stopped(signal);
    }
    if (error instanceof HttpTimeoutError) {
      return { status: 'timed_out', exitCode: null, httpStatus: null, errorMessage: error.message };
    }

    return failed(`the hook request failed: ${describeHttpError(error)}`);
  }
}
