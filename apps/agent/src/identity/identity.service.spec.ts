import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Logger } from '@nestjs/common';
import type { EnrollRequest } from '@ects/domain';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { AgentSettings } from '../config/settings';
import { IDENTITY_FILE, IdentityError, IdentityService } from './identity.service';

const VALID_TOKEN = 'ectse_valid';
const requests: EnrollRequest[] = [];
let server: Server;
let apiUrl: string;
let stateDir: string;

beforeAll(async () => {
  Logger.overrideLogger(false);
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (data: Buffer) => (body += data.toString()));
    request.on('end', () => {
      const enroll = JSON.parse(body) as EnrollRequest;
      requests.push(enroll);
      response.setHeader('Content-Type', 'application/json');

      if (request.url !== '/api/agents/enroll' || request.method !== 'POST') {
        response.writeHead(404).end(JSON.stringify({ message: 'not found' }));
      } else if (enroll.token !== VALID_TOKEN) {
        response
          .writeHead(401)
          .end(JSON.stringify({ statusCode: 401, message: 'Enrollment token is not valid, revoked or expired' }));
      } else {
        response
          .writeHead(201)
          .end(JSON.stringify({ nodeId: 'node-42', name: enroll.name, credential: 'ectsn_secret' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
});

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'ects-identity-'));
  requests.length = 0;
});

afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

function service(overrides: Partial<AgentSettings> = {}): IdentityService {
  const settings: AgentSettings = {
    apiUrl,
    etcdEndpoints: ['http://127.0.0.1:2379'],
    etcdNamespace: '/ects',
    etcdUsername: undefined,
    etcdPassword: undefined,
    etcdCaFile: undefined,
    stateDir: join(stateDir, 'state'),
    name: 'web-1',
    labels: { env: 'test' },
    maxConcurrentRuns: 16,
    enrollToken: undefined,
    leaseTtlSeconds: 10,
    shutdownGraceSeconds: 30,
    logLevel: 'log',
    logFormat: 'text',
    metricsAddress: null,
    metricsPipelineLabels: false,
    ...overrides,
  };

  return new IdentityService(settings, { host: 'host-1', os: 'Linux 6.1 x64', version: '0.1.0' });
}

async function identityError(promise: Promise<unknown>): Promise<IdentityError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof IdentityError) {
      return error;
    }
    throw error;
  }

  throw new Error('Expected an IdentityError');
}

describe('IdentityService', () => {
  it('enrolls and saves a private identity', async () => {
    const identity = await service({ enrollToken: VALID_TOKEN }).resolve();

    const path = join(stateDir, 'state', IDENTITY_FILE);
    expect(identity).toEqual({ nodeId: 'node-42', credential: 'ectsn_secret', apiUrl });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(identity);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(requests).toEqual([
      {
        token: VALID_TOKEN,
        name: 'web-1',
        host: 'host-1',
        labels: { env: 'test' },
        os: 'Linux 6.1 x64',
        version: '0.1.0',
      },
    ]);
  });

  it('reuses a saved identity', async () => {
    await service({ enrollToken: VALID_TOKEN }).resolve();

    const identity = await service({ enrollToken: 'ectse_other' }).resolve();

    expect(identity.nodeId).toBe('node-42');
    expect(requests).toHaveLength(1);
  });

  it('needs an identity or a token', async () => {
    const error = await identityError(service().resolve());

    expect(error.code).toBe('IDENTITY_MISSING');
    expect(error.message).toContain(join(stateDir, 'state', IDENTITY_FILE));
    expect(error.message).toContain('--enroll-token or ECTS_ENROLL_TOKEN');
  });

  it('reports a rejected token', async () => {
    const error = await identityError(service({ enrollToken: 'ectse_revoked' }).resolve());

    expect(error.code).toBe('ENROLLMENT_REJECTED');
    expect(error.message).toBe(
      'The API rejected the enrollment (HTTP 401): Enrollment token is not valid, revoked or expired',
    );
  });

  it('rejects a damaged identity file', async () => {
    const settings = { stateDir };
    writeFileSync(join(stateDir, IDENTITY_FILE), '{"nodeId": ""}');

    const error = await identityError(service(settings).resolve());

    expect(error.code).toBe('IDENTITY_INVALID');
    expect(error.message).toContain('delete it and enroll again');
  });
});
