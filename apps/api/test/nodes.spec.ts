import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApp, type TestApp } from './support/app';

interface Node {
  id: string;
  name: string;
  host: string;
  labels: Record<string, string>;
  status: string;
  lastSeenAt: string | null;
  enrolled: boolean;
  runningRuns: number;
}

describe('nodes', () => {
  let api: TestApp;

  const createNode = async (body: Record<string, unknown>): Promise<Node> => {
    const response = await api.request<Node>('POST', '/api/nodes', { token: api.adminToken, body });
    if (response.status !== 201) {
      throw new Error(`Creating node failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }

    return response.body;
  };

  const names = async (query: string): Promise<string[]> => {
    const response = await api.request<{ items: Node[] }>('GET', `/api/nodes?${query}`, { token: api.adminToken });
    if (response.status !== 200) {
      throw new Error(`Listing nodes failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }

    return response.body.items.map((node) => node.name);
  };

  beforeAll(async () => {
    api = await startTestApp();
  });

  afterAll(async () => {
    await api.close();
  });

  it('pre-registers an offline node', async () => {
    const response = await api.request<Node>('POST', '/api/nodes', {
      token: api.adminToken,
      body: { name: 'db-1', host: 'db-1.internal', labels: { role: 'db', 'topology.kubernetes.io/zone': 'a' } },
    });

    expect(response.status).toBe(201);
    expect(response.body.name).toBe('db-1');
    expect(response.body.host).toBe('db-1.internal');
    expect(response.body.labels).toEqual({ role: 'db', 'topology.kubernetes.io/zone': 'a' });
    expect(response.body.status).toBe('offline');
    expect(response.body.lastSeenAt).toBeNull();
    expect(response.body.enrolled).toBe(false);
    expect(response.body.runningRuns).toBe(0);

    const fetched = await api.request<Node>('GET', `/api/nodes/${response.body.id}`, { token: api.adminToken });
    expect(fetched.body).toEqual(response.body);
  });

  it('renames a node and changes labels', async () => {
    const node = await createNode({ name: 'rename-me', labels: { role: 'web' } });

    const renamed = await api.request<Node>('PATCH', `/api/nodes/${node.id}`, {
      token: api.adminToken,
      body: { name: 'renamed', labels: { role: 'cache', tier: '1' } },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('renamed');
    expect(renamed.body.labels).toEqual({ role: 'cache', tier: '1' });

    const hostOnly = await api.request<Node>('PATCH', `/api/nodes/${node.id}`, {
      token: api.adminToken,
      body: { host: '10.0.0.9' },
    });
    expect(hostOnly.body.labels).toEqual({ role: 'cache', tier: '1' });
    expect(hostOnly.body.host).toBe('10.0.0.9');
  });

  it('rejects an invalid label key', async () => {
    const created = await api.request('POST', '/api/nodes', {
      token: api.adminToken,
      body: { name: 'bad-labels', labels: { 'bad key!': 'x' } },
    });
    expect(created.status).toBe(400);
    expect(created.body.errors[0].field).toBe('labels');
    expect(created.body.errors[0].message).toContain('bad key!');

    const node = await createNode({ name: 'label-update' });
    const updated = await api.request('PATCH', `/api/nodes/${node.id}`, {
      token: api.adminToken,
      body: { labels: { role: 7 } },
    });
    expect(updated.status).toBe(400);
    expect(updated.body.errors[0].field).toBe('labels');
  });

  it('rejects an invalid node name', async () => {
    const response = await api.request('POST', '/api/nodes', {
      token: api.adminToken,
      body: { name: '-leading-dash' },
    });

    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('name');
  });

  it('filters by label, status and search', async () => {
    await createNode({ name: 'f-db-1', labels: { role: 'db' } });
    await createNode({ name: 'f-db-2', labels: { role: 'db', tier: 'gold' } });
    await createNode({ name: 'f-web-1', labels: { role: 'web' } });
    await createNode({ name: 'f-plain' });

    expect(await names(`search=f-&label=${encodeURIComponent('role=db')}`)).toEqual(['f-db-1', 'f-db-2']);
    expect(await names('search=f-&label=role=db')).toEqual(['f-db-1', 'f-db-2']);
    expect(await names(`search=f-&label=${encodeURIComponent('tier=gold')}`)).toEqual(['f-db-2']);
    expect(await names(`search=f-&label=${encodeURIComponent('role=')}`)).toEqual([]);
    expect(await names('search=f-')).toEqual(['f-db-1', 'f-db-2', 'f-plain', 'f-web-1']);
    expect(await names('search=f-&order=desc')).toEqual(['f-web-1', 'f-plain', 'f-db-2', 'f-db-1']);
    expect(await names('search=f-&status=online')).toEqual([]);

    const paged = await api.request<{ items: Node[]; total: number }>(
      'GET',
      `/api/nodes?search=f-&label=role%3Ddb&pageSize=1&page=2`,
      {
        token: api.adminToken,
      },
    );
    expect(paged.body.total).toBe(2);
    expect(paged.body.items.map((node) => node.name)).toEqual(['f-db-2']);

    expect((await api.request('GET', '/api/nodes?label=role', { token: api.adminToken })).status).toBe(400);
  });

  it('drains and undrains a node', async () => {
    const node = await createNode({ name: 'drain-me' });

    const drained = await api.request<Node>('POST', `/api/nodes/${node.id}/drain`, { token: api.adminToken });
    expect(drained.status).toBe(200);
    expect(drained.body.status).toBe('draining');
    expect(await names('search=drain-me&status=draining')).toEqual(['drain-me']);

    const undrained = await api.request<Node>('POST', `/api/nodes/${node.id}/undrain`, { token: api.adminToken });
    expect(undrained.status).toBe(200);
    expect(undrained.body.status).toBe('offline');
  });

  it('undrain of a seen node makes it online', async () => {
    const node = await createNode({ name: 'seen-node' });
    await api.dataSource.query("UPDATE nodes SET status = 'online', last_seen_at = ? WHERE id = ?", [
      new Date(),
      node.id,
    ]);

    await api.request('POST', `/api/nodes/${node.id}/drain`, { token: api.adminToken });
    const undrained = await api.request<Node>('POST', `/api/nodes/${node.id}/undrain`, { token: api.adminToken });

    expect(undrained.body.status).toBe('online');
  });

  it('deletes an offline node', async () => {
    const node = await createNode({ name: 'delete-me' });

    expect((await api.request('DELETE', `/api/nodes/${node.id}`, { token: api.adminToken })).status).toBe(204);
    expect((await api.request('GET', `/api/nodes/${node.id}`, { token: api.adminToken })).status).toBe(404);
    expect((await api.request('DELETE', `/api/nodes/${node.id}`, { token: api.adminToken })).status).toBe(404);
  });

  it('refuses to delete an online node', async () => {
    const node = await createNode({ name: 'still-online' });
    await api.dataSource.query("UPDATE nodes SET status = 'online' WHERE id = ?", [node.id]);

    const response = await api.request('DELETE', `/api/nodes/${node.id}`, { token: api.adminToken });
    expect(response.status).toBe(409);
    expect(response.body.message).toMatch(/stop its agent/);
    expect((await api.request('GET', `/api/nodes/${node.id}`, { token: api.adminToken })).status).toBe(200);
  });

  it('refuses to delete a draining node', async () => {
    const node = await createNode({ name: 'draining-delete' });
    await api.request('POST', `/api/nodes/${node.id}/drain`, { token: api.adminToken });

    expect((await api.request('DELETE', `/api/nodes/${node.id}`, { token: api.adminToken })).status).toBe(409);
  });

  it('rejects a duplicate name with 409', async () => {
    await createNode({ name: 'twin' });
    const duplicate = await api.request('POST', '/api/nodes', { token: api.adminToken, body: { name: 'twin' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.message).toContain('twin');

    const other = await createNode({ name: 'twin-2' });
    expect(
      (await api.request('PATCH', `/api/nodes/${other.id}`, { token: api.adminToken, body: { name: 'twin' } })).status,
    ).toBe(409);
  });

  it('counts running runs per node', async () => {
    const node = await createNode({ name: 'busy' });
    for (const status of ['running', 'running', 'succeeded']) {
      await api.dataSource.query(
        'INSERT INTO runs (id, pipeline_name, pipeline_version, node_id, node_name, `trigger`, scheduled_at, started_at, status) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)',
        [randomUUID(), 'p', node.id, 'busy', 'schedule', new Date(), new Date(), status],
      );
    }

    expect((await api.request<Node>('GET', `/api/nodes/${node.id}`, { token: api.adminToken })).body.runningRuns).toBe(
      2,
    );
  });

  it('viewer reads but cannot change nodes', async () => {
    const viewer = await api.userWithRole('viewer');

    expect((await api.request('GET', '/api/nodes', { token: viewer.token })).status).toBe(200);
    expect((await api.request('POST', '/api/nodes', { token: viewer.token, body: { name: 'by-viewer' } })).status).toBe(
      403,
    );
  });
});
