import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { TaskSnapshot } from '@ects/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { stepHarness } from '../../test/support/step-context';
import { runHookStep } from './hook';

const SECRET = 'hook-secret-1';

interface ReceivedHook {
  headers: IncomingMessage['headers'];
  body: string;
  signatureValid: boolean;
}

const received: ReceivedHook[] = [];
let server: Server;
let url: string;

/** Checks the signature as a receiver would: HMAC-SHA256 over `<timestamp>.<body>` with the shared secret. */
function verify(headers: IncomingMessage['headers'], body: string): boolean {
  const signature = String(headers['x-ects-signature'] ?? '');
  const expected = `sha256=${createHmac('sha256', SECRET)
    .update(`${String(headers['x-ects-timestamp'])}.${body}`)
    .digest('hex')}`;

  return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

function hookTask(secret?: string, path = '/hook'): TaskSnapshot {
  return {
    id: 'task-hook',
    name: 'notify chat',
    kind: 'hook',
    config: secret === undefined ? { url: `${url}${path}` } : { url: `${url}${path}`, secret },
  };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (data: Buffer) => (body += data.toString()));
    request.on('end', () => {
      received.push({ headers: request.headers, body, signatureValid: verify(request.headers, body) });
      response.writeHead(request.url === '/hook' ? 204 : 500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('runHookStep', () => {
  it('posts a signed description of the run', async () => {
    const before = Math.floor(Date.now() / 1000);
    const harness = stepHarness(
      hookTask(SECRET),
      {},
      { run: { status: 'failed', exitSummary: 'step 1 "backup" exited with code 3' } },
    );

    const outcome = await runHookStep(harness.context);

    const hook = received.at(-1);
    const payload = JSON.parse(hook?.body ?? '{}') as Record<string, unknown>;
    expect(outcome.status).toBe('succeeded');
    expect(outcome.httpStatus).toBe(204);
    expect(hook?.signatureValid).toBe(true);
    expect(hook?.headers['content-type']).toBe('application/json');
    expect(hook?.headers['x-ects-event']).toBe('run.finished');
    expect(Number(hook?.headers['x-ects-timestamp'])).toBeGreaterThanOrEqual(before);
    expect(payload.runId).toBe('run-1');
    expect(payload.status).toBe('failed');
    expect(payload.exitSummary).toBe('step 1 "backup" exited with code 3');
    expect(payload.pipeline).toEqual({ id: 'pipeline-1', name: 'nightly backup', version: 3 });
    expect(payload.node).toEqual({ id: 'node-1', name: 'web-1' });
  });

  it('signs nothing without a secret', async () => {
    const outcome = await runHookStep(stepHarness(hookTask()).context);

    expect(outcome.status).toBe('succeeded');
    expect(received.at(-1)?.headers['x-ects-signature']).toBeUndefined();
  });

  it('fails on a non-2xx reply', async () => {
    const outcome = await runHookStep(stepHarness(hookTask(SECRET, '/broken')).context);

    expect(outcome.status).toBe('failed');
    expect(outcome.errorMessage).toBe('the hook returned HTTP 500');
  });
});
