import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { HttpTaskConfig, TaskSnapshot } from '@ects/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { stepHarness } from '../../test/support/step-context';
import { runHttpStep } from './http';
import { StopReason } from './step';

interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const received: ReceivedRequest[] = [];
let server: Server;
let tlsServer: Server;
let baseUrl: string;
let tlsUrl: string;
let certificateDir: string;

function handle(request: IncomingMessage, response: ServerResponse): void {
  let body = '';
  request.on('data', (data: Buffer) => (body += data.toString()));
  request.on('end', () => {
    received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });

    if (request.url === '/ok') {
      response.end('all good');
    } else if (request.url === '/created') {
      response.writeHead(201).end('made');
    } else if (request.url === '/fail') {
      response.writeHead(500).end('broken');
    } else if (request.url === '/redirect') {
      response.writeHead(302, { location: '/ok' }).end('moved');
    } else if (request.url === '/slow') {
      setTimeout(() => response.end('late'), 5_000);
    } else if (request.url === '/big') {
      response.end('b'.repeat(100 * 1024));
    } else {
      response.writeHead(404).end('no such page');
    }
  });
}

function httpTask(config: Partial<HttpTaskConfig> & { url: string }): TaskSnapshot {
  return { id: 'task-http', name: 'ping', kind: 'http', config: { method: 'GET', ...config } };
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  certificateDir = mkdtempSync(join(tmpdir(), 'ects-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      join(certificateDir, 'key.pem'),
      '-out',
      join(certificateDir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  tlsServer = createTlsServer(
    { key: readFileSync(join(certificateDir, 'key.pem')), cert: readFileSync(join(certificateDir, 'cert.pem')) },
    handle,
  );
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  tlsUrl = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
  tlsServer.closeAllConnections();
  tlsServer.close();
  rmSync(certificateDir, { recursive: true, force: true });
});

describe('runHttpStep', () => {
  it('succeeds on a 2xx status', async () => {
    const harness = stepHarness(httpTask({ url: `${baseUrl}/ok` }));

    const outcome = await runHttpStep(harness.context);

    expect(outcome).toEqual({ status: 'succeeded', exitCode: null, httpStatus: 200, errorMessage: null });
    expect(harness.text()).toContain('HTTP 200 OK\nall good');
  });

  it('fails on an unexpected status', async () => {
    const harness = stepHarness(httpTask({ url: `${baseUrl}/fail` }));

    const outcome = await runHttpStep(harness.context);

    expect(outcome.status).toBe('failed');
    expect(outcome.httpStatus).toBe(500);
    expect(outcome.errorMessage).toBe('returned HTTP 500, expected any 2xx');
  });

  it('accepts only the expected statuses', async () => {
    const created = await runHttpStep(
      stepHarness(httpTask({ url: `${baseUrl}/created`, expectedStatus: [201] })).context,
    );
    const ok = await runHttpStep(stepHarness(httpTask({ url: `${baseUrl}/ok`, expectedStatus: [201] })).context);
    const missing = await runHttpStep(
      stepHarness(httpTask({ url: `${baseUrl}/nothing`, expectedStatus: [404] })).context,
    );

    expect(created.status).toBe('succeeded');
    expect(ok.status).toBe('failed');
    expect(ok.errorMessage).toBe('returned HTTP 200, expected 201');
    expect(missing.status).toBe('succeeded');
  });

  it('sends method, headers and body', async () => {
    const harness = stepHarness(
      httpTask({
        url: `${baseUrl}/ok`,
        method: 'POST',
        headers: { 'X-Trace': 'abc', 'Content-Type': 'text/plain' },
        body: 'payload',
      }),
    );

    await runHttpStep(harness.context);

    const request = received.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.headers['x-trace']).toBe('abc');
    expect(request?.headers['content-type']).toBe('text/plain');
    expect(request?.body).toBe('payload');
  });

  it('follows redirects by default', async () => {
    const harness = stepHarness(httpTask({ url: `${baseUrl}/redirect` }));

    const outcome = await runHttpStep(harness.context);

    expect(outcome.httpStatus).toBe(200);
    expect(outcome.status).toBe('succeeded');
  });

  it('stops at a 3xx without following', async () => {
    const failing = await runHttpStep(
      stepHarness(httpTask({ url: `${baseUrl}/redirect`, followRedirects: false })).context,
    );
    const expected = await runHttpStep(
      stepHarness(httpTask({ url: `${baseUrl}/redirect`, followRedirects: false, expectedStatus: [302] })).context,
    );

    expect(failing.httpStatus).toBe(302);
    expect(failing.status).toBe('failed');
    expect(expected.status).toBe('succeeded');
  });

  it('times out after timeoutMs', async () => {
    const started = Date.now();

    const outcome = await runHttpStep(stepHarness(httpTask({ url: `${baseUrl}/slow`, timeoutMs: 300 })).context);

    expect(outcome.status).toBe('timed_out');
    expect(outcome.errorMessage).toBe('the request timed out after 300 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('stops when the step is killed', async () => {
    const harness = stepHarness(httpTask({ url: `${baseUrl}/slow` }));
    setTimeout(() => harness.controller.abort(new StopReason('killed', 'killed by alice', 0)), 200);

    const outcome = await runHttpStep(harness.context);

    expect(outcome.status).toBe('killed');
    expect(outcome.errorMessage).toBe('killed by alice');
  });

  it('keeps 64 KiB of a large body', async () => {
    const harness = stepHarness(httpTask({ url: `${baseUrl}/big` }));

    await runHttpStep(harness.context);

    const text = harness.text();
    expect(/b+/.exec(text.slice(text.indexOf('\n') + 1))?.[0].length).toBe(64 * 1024);
    expect(text).toContain('Response body cut after 65536 bytes');
  });

  it('fails on a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const outcome = await runHttpStep(stepHarness(httpTask({ url: `http://127.0.0.1:${port}/` })).context);

    expect(outcome.status).toBe('failed');
    expect(outcome.errorMessage).toContain('ECONNREFUSED');
  });

  it('verifies TLS unless told not to', async () => {
    const verified = await runHttpStep(stepHarness(httpTask({ url: `${tlsUrl}/ok` })).context);
    const unverified = await runHttpStep(stepHarness(httpTask({ url: `${tlsUrl}/ok`, verifyTls: false })).context);

    expect(verified.status).toBe('failed');
    expect(verified.errorMessage).toContain('self-signed');
    expect(unverified.status).toBe('succeeded');
  });
});
