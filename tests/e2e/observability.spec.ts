import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { startEtcd, type EtcdServer } from '../../tools/test/etcd.mjs';
import { captureOutput, metricNamesIn, scrape, total, TcpProxy, type Scrape } from './support/observability';
import {
  ADMIN_PASSWORD,
  createDatabase,
  freePort,
  randomNamespace,
  restartApi,
  startAgent,
  startApi,
  waitFor,
  type AgentProcess,
  type ApiProcess,
  type Database,
} from './support/processes';

const DOCKER = join(__dirname, '..', '..', 'docker');
const NODE_NAME = 'obs-node-1';
const SECRET_VALUE = 'obs-secret-value-7f3a9c';

interface Health {
  status: string;
  info?: Record<string, { status: string }>;
  error?: Record<string, { status: string }>;
  details?: Record<string, { status: string }>;
}

describe('observability of the API and an agent', () => {
  let etcd: EtcdServer;
  let database: Database;
  let proxy: TcpProxy;
  let api: ApiProcess;
  let agent: AgentProcess;
  let agentUrl = '';
  let agentEnv: Record<string, string> = {};
  let enrollToken = '';
  let nodeId = '';
  const namespace = randomNamespace();
  const apiOutput: string[] = [];
  const agentOutput: string[] = [];
  const pipelineIds: string[] = [];

  const apiScrape = (): Promise<Scrape> => scrape(`${api.url}/metrics`);
  const agentScrape = (): Promise<Scrape> => scrape(`${agentUrl}/metrics`);

  const health = async (url: string): Promise<{ status: number; body: Health }> => {
    const response = await fetch(url);

    return { status: response.status, body: (await response.json()) as Health };
  };

  const createPipeline = async (
    name: string,
    command: string,
    options: { overlap?: string; mode?: string; env?: { name: string; value: string; secret: boolean }[] } = {},
  ): Promise<string> => {
    const task = await api.expect(201, 'POST', '/api/tasks', {
      name: `${name}-task`,
      kind: 'shell',
      config: { command },
    });
    const pipeline = await api.expect(201, 'POST', '/api/pipelines', {
      name,
      cron: '* * * * * *',
      mode: options.mode ?? 'all',
      overlap: options.overlap ?? 'allow',
      nodeIds: [nodeId],
      steps: [{ taskId: task.id, env: options.env ?? [] }],
    });
    pipelineIds.push(pipeline.id);

    return pipeline.id;
  };

  const runAgent = (stateDir?: string): AgentProcess => {
    const started = startAgent({
      apiUrl: api.url,
      etcdEndpoints: etcd.endpoint,
      namespace,
      name: NODE_NAME,
      enrollToken,
      ...(stateDir === undefined ? {} : { stateDir }),
      env: agentEnv,
    });
    captureOutput(started, agentOutput);

    return started;
  };

  beforeAll(async () => {
    etcd = await startEtcd();
    database = await createDatabase();
    // The API reaches MariaDB through a proxy that the database test cuts, so the shared server keeps running.
    const server = /@([^/:]+):(\d+)\//.exec(database.url);
    if (server === null) {
      throw new Error(`Cannot find host and port in ${database.url}`);
    }
    proxy = await TcpProxy.start(server[1], Number(server[2]));
    const databaseUrl = database.url.replace(`@${server[1]}:${server[2]}/`, `@127.0.0.1:${proxy.port}/`);

    api = await startApi({ databaseUrl, etcdEndpoints: etcd.endpoint, namespace });
    captureOutput(api.process, apiOutput);
    enrollToken = (await api.expect(201, 'POST', '/api/enrollment-tokens', { name: 'observability' })).token;

    const metricsPort = await freePort();
    agentUrl = `http://127.0.0.1:${metricsPort}`;
    agentEnv = {
      ECTS_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      ECTS_LOG_FORMAT: 'json',
      ECTS_LEASE_TTL_SECONDS: '3',
    };
    agent = runAgent();

    const node = await waitFor(
      'the agent to come online',
      async () =>
        (await api.expect<{ items: { id: string; status: string }[] }>(200, 'GET', `/api/nodes?search=${NODE_NAME}`))
          .items[0],
      (found) => found?.status === 'online',
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nagent output:\n${agent.logs()}\nAPI output:\n${api.process.logs()}`);
    });
    nodeId = node.id;
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await api?.process.stop();
    await proxy?.close();
    await database?.drop();
    await etcd?.destroy();
  });

  it('serves metrics on both processes', async () => {
    const fromApi = await apiScrape();
    const fromAgent = await agentScrape();

    for (const family of [
      'process_cpu_user_seconds_total',
      'ects_http_request_duration_seconds',
      'ects_socketio_connections',
      'ects_db_pool_connections',
      'ects_db_pool_max_connections',
      'ects_etcd_request_errors_total',
      'ects_api_leader',
      'ects_node_online',
    ]) {
      expect(fromApi.families, family).toContain(family);
    }
    for (const family of [
      'process_cpu_user_seconds_total',
      'ects_agent_fire_lateness_seconds',
      'ects_agent_runs_total',
      'ects_agent_run_duration_seconds',
      'ects_agent_step_duration_seconds',
      'ects_agent_overlap_skips_total',
      'ects_agent_misfires_total',
      'ects_agent_fire_locks_total',
      'ects_agent_spool_events',
      'ects_agent_spool_oldest_event_age_seconds',
      'ects_agent_lease_losses_total',
      'ects_agent_registrations_total',
      'ects_agent_assignments',
      'ects_etcd_request_errors_total',
    ]) {
      expect(fromAgent.families, family).toContain(family);
    }
    expect(total(fromApi, 'ects_api_leader')).toBe(1);
    expect(total(fromApi, 'ects_node_online', { node: NODE_NAME })).toBe(1);
    expect(total(fromApi, 'ects_socketio_connections', { namespace: '/agents' })).toBe(1);
    expect(total(fromAgent, 'ects_agent_registered')).toBe(1);

    // The agent writes its readiness into its registration, which the API reads from etcd.
    const ready = await waitFor(
      'the registration to report the agent ready',
      apiScrape,
      (scraped) => total(scraped, 'ects_node_ready', { node: NODE_NAME }) === 1,
      15_000,
      250,
    );
    expect(ready.families).toContain('ects_node_ready');
  });

  it('engine metrics follow the runs', async () => {
    const before = await agentScrape();
    const apiBefore = await apiScrape();

    await createPipeline('obs-ok', 'echo "token is $OBS_TOKEN"', {
      env: [{ name: 'OBS_TOKEN', value: SECRET_VALUE, secret: true }],
    });
    await createPipeline('obs-fail', 'exit 3');
    await createPipeline('obs-overlap', 'sleep 1.5', { overlap: 'skip' });
    await createPipeline('obs-one', 'true', { mode: 'one' });

    const during = await waitFor(
      'runs of every kind',
      agentScrape,
      (scraped) =>
        total(scraped, 'ects_agent_runs_total', { status: 'succeeded' }) >=
          total(before, 'ects_agent_runs_total', { status: 'succeeded' }) + 3 &&
        total(scraped, 'ects_agent_runs_total', { status: 'failed' }) >
          total(before, 'ects_agent_runs_total', { status: 'failed' }) &&
        total(scraped, 'ects_agent_overlap_skips_total', { policy: 'skip' }) >
          total(before, 'ects_agent_overlap_skips_total', { policy: 'skip' }),
      20_000,
      250,
    );
    const apiDuring = await apiScrape();

    expect(total(during, 'ects_agent_assignments')).toBe(4);
    expect(total(during, 'ects_agent_fire_lateness_seconds_count')).toBeGreaterThan(
      total(before, 'ects_agent_fire_lateness_seconds_count'),
    );
    expect(total(during, 'ects_agent_fire_lateness_seconds_bucket', { le: '1' })).toBe(
      total(during, 'ects_agent_fire_lateness_seconds_count'),
    );
    expect(total(during, 'ects_agent_runs_total', { status: 'skipped' })).toBeGreaterThan(
      total(before, 'ects_agent_runs_total', { status: 'skipped' }),
    );
    expect(total(during, 'ects_agent_fire_locks_total', { result: 'won' })).toBeGreaterThan(
      total(before, 'ects_agent_fire_locks_total', { result: 'won' }),
    );
    expect(total(during, 'ects_agent_run_duration_seconds_count', { status: 'failed' })).toBeGreaterThan(0);
    expect(
      total(during, 'ects_agent_step_duration_seconds_count', { kind: 'shell', status: 'succeeded' }),
    ).toBeGreaterThan(total(before, 'ects_agent_step_duration_seconds_count', { kind: 'shell', status: 'succeeded' }));
    expect(during.text).not.toContain('pipeline=');
    expect(
      total(apiDuring, 'ects_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/pipelines',
        status: '201',
      }),
    ).toBe(
      total(apiBefore, 'ects_http_request_duration_seconds_count', { route: '/api/pipelines', status: '201' }) + 4,
    );

    for (const pipelineId of pipelineIds.splice(1)) {
      await api.expect(200, 'POST', `/api/pipelines/${pipelineId}/disable`);
    }
    const after = await waitFor(
      'the assignments to go',
      agentScrape,
      (scraped) => total(scraped, 'ects_agent_assignments') === 1,
    );
    expect(total(after, 'ects_agent_assignments')).toBe(1);
  });

  it('spool grows while the API is away', async () => {
    await api.process.stop();

    const backlog = await waitFor(
      'events to wait in the spool',
      agentScrape,
      (scraped) =>
        total(scraped, 'ects_agent_spool_events') >= 4 &&
        total(scraped, 'ects_agent_spool_oldest_event_age_seconds') >= 2,
      15_000,
      250,
    );
    const ready = await health(`${agentUrl}/health/ready`);

    expect(total(backlog, 'ects_agent_api_connected')).toBe(0);
    expect(ready.status).toBe(503);
    expect(ready.body.details?.['api']?.status).toBe('down');

    api = await restartApi(api);
    captureOutput(api.process, apiOutput);
    const drained = await waitFor(
      'the spool to drain',
      agentScrape,
      (scraped) => total(scraped, 'ects_agent_spool_events') === 0,
      30_000,
      250,
    );

    expect(total(drained, 'ects_agent_spool_oldest_event_age_seconds')).toBe(0);
    expect((await health(`${agentUrl}/health/ready`)).status).toBe(200);
  });

  it('counts misfires after agent downtime', async () => {
    const stateDir = agent.stateDir;
    await agent.stop();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    agent = runAgent(stateDir);

    const restarted = await waitFor(
      'the restarted agent to count the missed fires',
      agentScrape,
      (scraped) => total(scraped, 'ects_agent_misfires_total', { policy: 'skip' }) >= 1,
      20_000,
      250,
    );

    expect(total(restarted, 'ects_agent_misfires_total', { policy: 'run_once' })).toBe(0);
  });

  it('readiness fails while etcd is stopped', async () => {
    await waitFor('the agent to register', agentScrape, (scraped) => total(scraped, 'ects_agent_registered') === 1);
    const apiBefore = await apiScrape();

    await etcd.stop();
    const apiDown = await waitFor(
      'API readiness to fail',
      () => health(`${api.url}/api/health/ready`),
      (response) => response.status === 503,
    );
    const agentDown = await waitFor(
      'agent readiness to fail',
      () => health(`${agentUrl}/health/ready`),
      (response) => response.status === 503 && response.body.details?.['etcd']?.status === 'down',
      15_000,
      250,
    );
    const apiErrors = await waitFor(
      'etcd errors in the API',
      apiScrape,
      (scraped) =>
        total(scraped, 'ects_etcd_request_errors_total') > total(apiBefore, 'ects_etcd_request_errors_total'),
    );

    expect(apiDown.body.error?.['etcd']?.status).toBe('down');
    expect(apiDown.body.info?.['database']?.status).toBe('up');
    expect(agentDown.body.status).toBe('error');
    expect(total(apiErrors, 'ects_etcd_request_errors_total', { code: 'COORDINATION_UNAVAILABLE' })).toBeGreaterThan(0);

    await etcd.start();
    await waitFor(
      'API readiness to recover',
      () => health(`${api.url}/api/health/ready`),
      (response) => response.status === 200,
      30_000,
    );
    await waitFor(
      'agent readiness to recover',
      () => health(`${agentUrl}/health/ready`),
      (response) => response.status === 200,
      30_000,
      250,
    );
    const recovered = await agentScrape();

    expect(total(recovered, 'ects_agent_lease_losses_total')).toBeGreaterThanOrEqual(1);
    expect(total(recovered, 'ects_agent_registrations_total')).toBeGreaterThanOrEqual(2);
  });

  it('readiness fails while the database is cut off', async () => {
    expect((await health(`${api.url}/api/health/ready`)).status).toBe(200);

    proxy.cut();
    const down = await waitFor(
      'readiness to fail',
      () => health(`${api.url}/api/health/ready`),
      (response) => response.status === 503,
    );

    expect(down.body.error?.['database']?.status).toBe('down');
    expect((await health(`${api.url}/api/health`)).status).toBe(200);

    proxy.restore();
    const up = await waitFor(
      'readiness to recover',
      () => health(`${api.url}/api/health/ready`),
      (response) => response.status === 200,
      30_000,
    );

    expect(up.body.info?.['database']?.status).toBe('up');
  });

  it('alert rules and dashboard use real metrics', async () => {
    const known = new Set([...(await apiScrape()).families, ...(await agentScrape()).families]);
    const rules = parseYaml(readFileSync(join(DOCKER, 'prometheus', 'alerts.yml'), 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const dashboard = JSON.parse(readFileSync(join(DOCKER, 'grafana', 'ects-dashboard.json'), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const expressions = [
      ...rules.groups.flatMap((group) =>
        group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
      ),
      ...dashboard.panels.flatMap((panel) =>
        panel.targets.map((target) => ({ where: `panel ${panel.title}`, expr: target.expr })),
      ),
    ];
    const familyOf = (name: string): string => {
      const base = name.replace(/_(bucket|count|sum)$/, '');

      return known.has(name) ? name : base;
    };
    const unknown = expressions.flatMap(({ where, expr }) =>
      metricNamesIn(expr)
        .filter((name) => !known.has(familyOf(name)))
        .map((name) => `${where}: ${name}`),
    );
    const alerts = rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert));

    expect(alerts).toEqual(
      expect.arrayContaining(['EctsFireLatenessHigh', 'EctsNodeOffline', 'EctsRunFailureRateHigh', 'EctsSpoolGrowing']),
    );
    expect(expressions.every(({ expr }) => metricNamesIn(expr).length > 0)).toBe(true);
    expect(unknown).toEqual([]);
  });

  it('logs JSON lines with run ids and no secrets', async () => {
    // A rejected request is logged with its headers, so its Authorization header must come out redacted.
    const rejected = await api.request('GET', '/api/runs', undefined, 'ects_not-a-valid-token');
    expect(rejected.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const agentLines = agentOutput
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const apiLines = apiOutput
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const parse = (line: string): Record<string, unknown> => JSON.parse(line) as Record<string, unknown>;
    const credential = (
      JSON.parse(readFileSync(join(agent.stateDir, 'identity.json'), 'utf8')) as { credential: string }
    ).credential;

    expect(agentLines.length).toBeGreaterThan(10);
    expect(apiLines.length).toBeGreaterThan(10);
    expect(agentLines.filter((line) => !line.startsWith('{'))).toEqual([]);
    expect(apiLines.filter((line) => !line.startsWith('{'))).toEqual([]);

    const runLines = agentLines.map(parse).filter((entry) => String(entry['msg']).includes(' finished '));
    expect(runLines.length).toBeGreaterThan(0);
    for (const entry of runLines) {
      expect(entry['runId']).toEqual(expect.any(String));
      expect(entry['pipelineId']).toEqual(expect.any(String));
      expect(entry['nodeId']).toBe(nodeId);
    }
    expect(apiLines.some((line) => line.includes('"authorization":"[redacted]"'))).toBe(true);

    const everything = [...agentLines, ...apiLines].join('\n');
    for (const secret of [
      SECRET_VALUE,
      api.adminToken,
      credential,
      enrollToken,
      ADMIN_PASSWORD,
      'ects_not-a-valid-token',
    ]) {
      expect(everything.includes(secret), `a log line contains ${secret.slice(0, 6)}…`).toBe(false);
    }
  });
});
