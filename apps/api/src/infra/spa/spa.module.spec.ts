import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApp, type TestApp } from '../../../test/support/app';

const INDEX = '<!doctype html><html><body><div id="app"></div></body></html>';
const SCRIPT = 'console.log("spa");';

describe('SpaModule', () => {
  let spaDir: string;
  let api: TestApp;

  beforeAll(async () => {
    spaDir = mkdtempSync(join(tmpdir(), 'ects-spa-'));
    mkdirSync(join(spaDir, 'assets'));
    writeFileSync(join(spaDir, 'index.html'), INDEX);
    writeFileSync(join(spaDir, 'assets', 'index-abc123.js'), SCRIPT);
    writeFileSync(join(spaDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    api = await startTestApp({ database: 'sqlite', env: { ECTS_SPA_DIR: spaDir } });
  });

  afterAll(async () => {
    await api?.close();
    rmSync(spaDir, { recursive: true, force: true });
  });

  it('serves index.html at the root', async () => {
    const response = await api.request<string>('GET', '/');

    expect(response.status).toBe(200);
    expect(response.body).toBe(INDEX);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers deep links with index.html', async () => {
    const response = await api.request<string>('GET', '/runs/0193a1b2-0000-7000-8000-000000000000');

    expect(response.status).toBe(200);
    expect(response.body).toBe(INDEX);
  });

  it('serves hashed assets as immutable', async () => {
    const response = await api.request<string>('GET', '/assets/index-abc123.js');

    expect(response.status).toBe(200);
    expect(response.body).toBe(SCRIPT);
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('serves other files without long caching', async () => {
    const response = await api.request<string>('GET', '/favicon.svg');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers a missing file with 404', async () => {
    const response = await api.request<string>('GET', '/assets/missing-000.js');

    expect(response.status).toBe(404);
    expect(response.body).not.toBe(INDEX);
  });

  it('keeps unknown API paths as JSON 404s', async () => {
    const response = await api.request<{ statusCode: number; message: string }>('GET', '/api/no-such-route');

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body.statusCode).toBe(404);
  });

  it('leaves API routes to the API', async () => {
    const response = await api.request<{ status: string }>('GET', '/api/health');

    expect(response.status).toBe(200);
    expect(response.body.status).toBe('ok');
  });

  it('answers only GET and HEAD with pages', async () => {
    const post = await api.request('POST', '/pipelines');
    const head = await fetch(`${api.baseUrl}/pipelines`, { method: 'HEAD' });

    expect(post.status).toBe(404);
    expect(head.status).toBe(200);
  });
});

describe('SpaModule without a built SPA', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ database: 'sqlite', env: { ECTS_SPA_DIR: join(tmpdir(), 'ects-no-spa-here') } });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('serves no pages but keeps the API', async () => {
    const page = await api.request('GET', '/');
    const health = await api.request('GET', '/api/health');

    expect(page.status).toBe(404);
    expect(health.status).toBe(200);
  });
});
