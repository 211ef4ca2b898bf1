import type { HttpTaskConfig } from '@ects/domain';

import { HttpTimeoutError, describeHttpError, sendHttp } from './http-client';
import { StopReason, failed, stopped, type StepContext, type StepOutcome } from './step';

const DEFAULT_TIMEOUT_MS = 30_000;
/** Response body bytes written to the step output. */
export const MAX_RESPONSE_BODY_BYTES = 64 * 1024;

function isExpected(status: number, expected: number[] | undefined): boolean {
  if (expected === undefined || expected.length === 0) {
    return status >= 200 && status <= 299;
  }

  return expected.includes(status);
}

/**
 * Sends the HTTP request of an http task. The step succeeds when the final status is one of the
 * expected codes (any 2xx by default). With followRedirects false, a 3xx is the final status.
 */
export async function runHttpStep(context: StepContext): Promise<StepOutcome> {
  const { output, signal } = context;
  const config = context.step.task.config as HttpTaskConfig;
  const timeoutMs = config.timeoutMs !== undefined && config.timeoutMs > 0 ? config.timeoutMs : DEFAULT_TIMEOUT_MS;
  const method = config.method ?? 'GET';

  output.system(`[ECTS] ${method} ${config.url}`);

  try {
    const reply = await sendHttp(
      {
        method,
        url: config.url,
        headers: config.headers ?? {},
        body: method === 'GET' || method === 'HEAD' ? undefined : config.body,
        timeoutMs,
        followRedirects: config.followRedirects ?? true,
        verifyTls: config.verifyTls ?? true,
        maxBodyBytes: MAX_RESPONSE_BODY_BYTES,
      },
      signal,
    );

    output.write('stdout', `HTTP ${reply.status} ${reply.statusText}\n`);
    output.write('stdout', reply.body);
    if (reply.truncated) {
      output.system(`\n[ECTS] Response body cut after ${MAX_RESPONSE_BODY_BYTES} bytes`);
    }

    if (isExpected(reply.status, config.expectedStatus)) {
      return { status: 'succeeded', exitCode: null, httpStatus: reply.status, errorMessage: null };
    }

    const expected =
      config.expectedStatus !== undefined && config.expectedStatus.length > 0
        ? config.expectedStatus.join(', ')
        : 'any 2xx';

    return failed(`returned HTTP ${reply.status}, expected ${expected}`, { httpStatus: reply.status });
  } catch (error: unknown) {
    if (error instanceof StopReason) {
      return stopped(signal);
    }
    if (error instanceof HttpTimeoutError) {
      return { status: 'timed_out', exitCode: null, httpStatus: null, errorMessage: error.message };
    }

    return failed(`request failed: ${describeHttpError(error)}`);
  }
}
