import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApp, type TestApp } from './support/app';

/** Reads the value of one sample line, such as `name{label="x"} 3`, from a scrape. */
function sample(scrape: string, series: string): number | undefined {
  const line = scrape.split('\n').find((candidate) => candidate.startsWith(`${series} `));

  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(api: TestApp, token?: string): Promise<{ status: number; text: string; type: string | null }> {
  const response = await fetch(`${api.baseUrl}/metrics`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });

  return { status: response.status, text: await response.text(), type: response.headers.get('content-type') };
}

describe('API metrics', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ embeddedAgent: true });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('serves the text format to loopback', async () => {
    const response = await scrape(api);

    expect(response.status).toBe(200);
    expect(response.type).toContain('text/plain');
    expect(response.text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(response.text).toContain('# TYPE ects_etcd_request_errors_total counter');
    expect(sample(response.text, 'ects_socketio_connections{namespace="/agents"}')).toBeGreaterThanOrEqual(0);
    expect(sample(response.text, 'ects_db_pool_max_connections')).toBeGreaterThan(0);
    expect(sample(response.text, 'ects_db_pool_connections{state="idle"}')).toBeGreaterThanOrEqual(0);
  });

  it('records requests by route pattern', async () => {
    const id = randomUUID();
    await api.request('GET', `/api/runs/${id}`, { token: api.adminToken });
    await api.request('GET', `/api/no-such-route/${id}`);

    const { text } = await scrape(api);

    expect(
      sample(text, 'ects_http_request_duration_seconds_count{method="GET",route="/api/runs/:id",status="404"}'),
    ).toBe(1);
    expect(
      sample(text, 'ects_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(id);
  });

  it('reports leadership and the embedded agent', async () => {
    let text = '';
    for (let attempt = 0; attempt < 60; attempt += 1) {
      text = (await scrape(api)).text;
      if (
        sample(text, 'ects_agent_api_connected') === 1 &&
        sample(text, 'ects_node_online{node="local"}') === 1 &&
        sample(text, 'ects_node_ready{node="local"}') === 1
      ) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    expect(sample(text, 'ects_api_leader')).toBe(1);
    expect(sample(text, 'ects_agent_registered')).toBe(1);
    expect(sample(text, 'ects_agent_api_connected')).toBe(1);
    expect(sample(text, 'ects_node_online{node="local"}')).toBe(1);
    expect(sample(text, 'ects_node_ready{node="local"}')).toBe(1);
    expect(sample(text, 'ects_socketio_connections{namespace="/agents"}')).toBe(1);
  });

  it('keeps metrics out of OpenAPI', async () => {
    const document = await api.request<{ paths: Record<string, unknown> }>('GET', '/api/docs-json');

    expect(Object.keys(document.body.paths)).not.toContain('/metrics');
  });
});

describe('metrics access', () => {
  let api: TestApp;

  afterAll(async () => {
    await api?.close();
  });

  it('needs the token outside the allow list', async () => {
    api = await startTestApp({
      database: 'sqlite',
      env: { ECTS_METRICS_ALLOW: '10.0.0.0/8', ECTS_METRICS_TOKEN: 'scrape-token-for-tests' },
    });

    const anonymous = await scrape(api);
    const wrong = await scrape(api, 'scrape-token-for-test');
    const right = await scrape(api, 'scrape-token-for-tests');

    expect(anonymous.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(right.status).toBe(200);
    expect(right.text).toContain('ects_http_request_duration_seconds');
  });
});
